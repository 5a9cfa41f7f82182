"""The communes' QR signing keys (issue 4, section 2). Writes go through `jamaa.documents.services`."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

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
