"""The communes' QR signing keys (issue 4, section 2). Writes go through `jamaa.documents.services`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jamaa.catalog.models import ActKind
from jamaa.core.fields import EncryptedCharField
from jamaa.core.models import Commune
from jamaa.core.tenancy import AllCommunesManager, CommuneScopedManager
from jamaa.documents.keys import ALG_ES256


class SigningKey(models.Model):
    """One P-256 key a commune signs its acts' QR payload with.

    Its life: published in the trust list at `published_at`, signs from `valid_from` until `valid_until` (null for
    the current key, set when the next key takes over), then stays listed so that what it signed still verifies."""

    class Source(models.TextChoices):
        DATABASE = "database", _("database")
        FILE = "file", _("file")
        PKCS11 = "pkcs11", _("PKCS#11 token")

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    kid = models.CharField(max_length=32, unique=True)  # base64url of keys.key_id()
    algorithm = models.CharField(max_length=10, default=ALG_ES256)
    public_jwk = models.JSONField()
    # Where the private key lives. "database": `private_key_pem` (PKCS#8 PEM, Fernet-encrypted at rest); "file" and
    # "pkcs11" (production, later): `key_path` names the file or the token object and the PEM stays empty.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DATABASE)
    private_key_pem = EncryptedCharField(blank=True, default="")
    key_path = models.CharField(max_length=500, blank=True, default="")
    published_at = models.DateTimeField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[CommuneScopedManager[SigningKey]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[SigningKey]] = AllCommunesManager()

    class Meta:
        ordering = ["commune_id", "valid_from", "kid"]
        indexes = [models.Index(fields=["commune", "valid_from"], name="signingkey_commune_from")]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")

    def __str__(self) -> str:
        return f"{self.kid} ({self.algorithm})"

    def covers(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.valid_until is None or moment < self.valid_until)


class DocumentState(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


def document_path(instance: IssuedDocument, filename: str) -> str:
    # The stored name never comes from the user.
    return f"documents/{instance.commune_id}/{instance.issued_at:%Y}/{instance.token}.pdf"


def _private_storage():
    from jamaa.cases.attachments import get_private_storage

    return get_private_storage()


class IssuedDocument(models.Model):
    """An act issued to a citizen at the end of a case: the sealed PDF, the signed QR payload it carries, and its
    registry status (valid or revoked). Created by `jamaa.documents.issuance.document_issue`, never edited after,
    except for revocation."""

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="documents")
    kind = models.CharField(_("kind of act"), max_length=32, choices=ActKind.choices)
    kind_code = models.CharField(max_length=8)  # the payload's short kind code, e.g. "RES"
    reference = models.CharField(_("reference"), max_length=32)
    token = models.CharField(max_length=32, unique=True)  # names the file; never shown
    holder_name = models.CharField(_("holder"), max_length=150)
    # What the act states, as printed: [{"key": 1, "value": "..."}] (labels come from `kinds.py` by key).
    facts = models.JSONField(default=list, blank=True)
    act = models.JSONField(default=dict, blank=True)  # the act.json embedded in the PDF
    qr_url = models.TextField()  # the QR's content: the verification URL carrying the signed payload
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="documents")
    issued_at = models.DateTimeField(_("issued"))
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    pdf = models.FileField(upload_to=document_path, max_length=200, storage=_private_storage)
    pdf_sha256 = models.CharField(max_length=64)
    pdf_size = models.PositiveIntegerField(default=0)
    state = models.CharField(_("status"), max_length=8, choices=DocumentState.choices, default=DocumentState.VALID)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    revocation_reason = models.TextField(_("reason for the revocation"), blank=True)

    objects: ClassVar[CommuneScopedManager[IssuedDocument]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[IssuedDocument]] = AllCommunesManager()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["commune", "reference"], name="document_reference_unique")]
        indexes = [models.Index(fields=["citizen", "-issued_at"], name="document_citizen_issued")]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")

    def __str__(self) -> str:
        return self.reference

    @property
    def is_revoked(self) -> bool:
        return self.state == DocumentState.REVOKED

    def is_expired(self, now: datetime | None = None) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and (now or timezone.now()) > self.expires_at


class DocumentEventKind(models.TextChoices):
    ISSUED = "issued", _("Issued")
    DOWNLOADED = "downloaded", _("Downloaded")
    VERIFIED = "verified", _("Verified")
    REVOKED = "revoked", _("Revoked")


class VerificationChannel(models.TextChoices):
    QR = "qr", _("QR code scanned")
    PAGE = "page", _("verification page")
    PDF = "pdf", _("PDF file checked")
    API = "api", _("verification API")
    WALLET = "wallet", _("My documents")
    BACKOFFICE = "backoffice", _("back office")


class DocumentEvent(models.Model):
    """What happened to a document: issued, downloaded, verified, revoked. Verifications by people outside the
    administration keep no identity (no account, no address): only when and through which channel."""

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(IssuedDocument, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=DocumentEventKind.choices)
    channel = models.CharField(max_length=12, choices=VerificationChannel.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    by_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)

    objects: ClassVar[CommuneScopedManager[DocumentEvent]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[DocumentEvent]] = AllCommunesManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["document", "-created_at"], name="docevent_document_created")]
        verbose_name = _("document event")
        verbose_name_plural = _("document events")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
