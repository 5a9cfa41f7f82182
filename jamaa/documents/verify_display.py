"""A verification `Result` as people and programs read it: the verdict in words, what the document states (only when
it is authentic: the claims of a payload that failed its check are never shown), the registry's status and the seal
of an uploaded PDF. Shared by the pages (`verify_views`) and the JSON API (`jamaa.api.documents`); texts are in the
active language.

What a verifier sees is what the document itself carries (holder, reference, key facts as printed, dates), and the
registry's status. The reason of a revocation is not shown: it is written by staff for the holder, may say something
about them (a false declaration, a death, a mistake in their file) and changes nothing for the verifier, who must
refuse a revoked document whatever the reason; the page says when it was revoked and whom to ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from jamaa.core.calendar import CASABLANCA
from jamaa.documents import issuance, kinds
from jamaa.documents.verification import PdfCheck, Result, Status

Tone = Literal["success", "warning", "danger"]


@dataclass(frozen=True)
class Fact:
    key: int
    label: str
    value: str | int  # as in the payload (dates ISO 8601)
    display: str  # as printed on the act
    ltr: bool  # a code, a date or a number: shown left to right even in Arabic


@dataclass(frozen=True)
class Issuer:
    code: str
    name: str  # in the page's language
    name_ar: str
    name_fr: str


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str
    authentic: bool
    tone: Tone
    title: str
    message: str  # HTML (dates isolated left to right) when `describe(html=True)`, else plain text
    advice: str = ""
    issuer: Issuer | None = None
    kind: str = ""  # the act kind (`catalog.ActKind`), or the payload's code when this version does not know it
    kind_code: str = ""
    kind_label: str = ""
    reference: str = ""
    holder: str = ""
    facts: list[Fact] = field(default_factory=list)
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    registry_checked: bool = False
    registry_found: bool = False
    revoked_at: datetime | None = None
    pdf: PdfCheck | None = None
    checked_at: datetime | None = None

    @property
    def issued_on(self) -> str:
        return issuance.format_date(self.issued_at) if self.issued_at else ""

    @property
    def valid_until(self) -> str:
        return issuance.format_date(self.expires_at) if self.expires_at else ""

    @property
    def revoked_on(self) -> str:
        return issuance.format_date(self.revoked_at) if self.revoked_at else ""

    @property
    def signed_at(self) -> str:
        if self.pdf is None or self.pdf.signed_at is None:
            return ""
        return self.pdf.signed_at.astimezone(CASABLANCA).strftime("%d/%m/%Y %H:%M")


def reason_text(reason: str) -> str:
    """Why a document is not authentic, in plain words, per stable reason code (payload and PDF checks)."""
    texts = {
        # The QR payload (payload.VerificationError.reason)
        "malformed": _("This is not the code of a document issued by a commune on this platform, or only part of it "
                       "was copied. Scan the QR code again, or copy the whole address it contains."),
        "unknown_key": _("The document was signed with a key that no commune of this platform uses. It was not "
                         "issued by a commune of this platform."),
        "bad_signature": _("The content of the code does not match its electronic signature: it was changed after "
                           "the commune issued it."),
        "key_not_yet_valid": _("The document is dated before the commune's signing key came into use: its date "
                               "is false."),
        "key_expired": _("The document is dated after the commune stopped using this signing key: its date is "
                         "false."),
        "issuer_mismatch": _("The document names a commune other than the one whose key signed it."),
        # The PDF (pdfcheck)
        "not_pdf": _("This file is not a readable PDF document. Only the PDF file of a document, as the holder "
                     "received it, can be checked here; to check a paper or a photo, scan its QR code."),
        "too_large": _("This file is too large to be a document issued by a commune."),
        "encrypted": _("This PDF is encrypted. Documents issued by the communes never are."),
        "unsigned": _("This PDF carries no electronic seal. Documents issued by the communes always do; this "
                      "may be a copy or a scan. Scan its QR code instead."),
        "several_signatures": _("This PDF carries more than one signature. Documents issued by the communes carry "
                                "the commune's seal only."),
        "unreadable_signature": _("The signature in this PDF cannot be read."),
        "modified": _("This PDF was modified after the commune sealed it: its content no longer matches the seal."),
        "incremental_update": _("Something was added to this PDF after the commune sealed it."),
        "untrusted": _("The seal of this PDF was not made by a commune of this platform, or its certificate is no "
                       "longer valid."),
        "no_qr": _("This PDF is sealed, but it does not contain the signed code of a document issued by a commune."),
        "seal_not_issuer": _("The seal of this PDF belongs to a commune other than the one that issued the code "
                             "inside it."),
    }
    return texts.get(reason, _("This document could not be verified."))


def _fill(template: str, html: bool, *, dates: tuple[str, ...] = (), **values: str) -> str:
    """`template % values`; as HTML, the values escaped and the dates isolated left to right (inside Arabic)."""
    if not html:
        return template % values
    filled = {name: format_html('<bdi dir="ltr">{}</bdi>', value) if name in dates else conditional_escape(value)
              for name, value in values.items()}
    return mark_safe(conditional_escape(template) % filled)  # noqa: S308 - every part is escaped above


def _fact(kind_code: str, key: int, value: str | int) -> Fact:
    return Fact(key=key, label=str(kinds.fact_label(kind_code, key)), value=value,
                display=issuance.fact_display(kind_code, key, value),
                ltr=kinds.fact_format(kind_code, key) in ("code", "date", "number"))


def _issuer(result: Result) -> Issuer | None:
    commune = result.commune
    if commune is not None:
        return Issuer(code=commune.code, name=commune.name, name_ar=commune.name_ar, name_fr=commune.name_fr)
    if result.issuer is not None:  # signed by a commune of the trust list that this database does not hold
        return Issuer(code=result.issuer.code, name=result.issuer.name, name_ar="", name_fr=result.issuer.name)
    return None


def _kind_label(spec: kinds.KindSpec | None, claims_kind: str, result: Result) -> str:
    """The kind's title; an "other" act is titled by its procedure, known when the registry holds the document."""
    if spec is None:
        return claims_kind
    if spec.title_from_procedure and result.document is not None:
        from jamaa.cases.models import Case

        case = Case.all_communes.select_related("procedure__procedure").filter(pk=result.document.case_id).first()
        if case is not None and case.procedure is not None:
            return case.procedure.procedure.name
    return str(spec.title)


def describe(result: Result, *, html: bool = False) -> Verdict:
    """The verdict, and what an authentic document states (`html`: the message as HTML, for the pages)."""
    status = result.status
    if status == "invalid" or result.claims is None:
        return Verdict(
            status="invalid", reason=result.reason or "invalid", authentic=False, tone="danger",
            title=_("Not authentic"), message=reason_text(result.reason),
            advice=_("Do not accept this document as it is. If in doubt, contact the commune that is said to have "
                     "issued it."),
            pdf=result.pdf, checked_at=result.checked_at,
        )
    claims = result.claims
    issuer = _issuer(result)
    spec = kinds.spec_for_code(claims.kind)
    document = result.document
    commune_name = issuer.name if issuer else claims.issuer
    revoked_at = document.revoked_at if document is not None and document.is_revoked else None
    expires = issuance.format_date(claims.expires_at) if claims.expires_at else ""
    tone: Tone
    if status == "revoked":
        tone, title = "danger", _("Revoked by the commune")
        message = _fill(_("%(commune)s issued this document, then revoked it on %(date)s. It is no longer valid."),
                        html, dates=("date",), commune=commune_name,
                        date=issuance.format_date(revoked_at) if revoked_at else "")
        advice = _("Do not accept it. The holder can ask the commune for a new document.")
    elif status == "expired":
        tone, title = "warning", _("Authentic but expired")
        message = _fill(_("%(commune)s issued this document and it has not been changed since, but it was valid "
                          "only until %(date)s."), html, dates=("date",), commune=commune_name, date=expires)
        advice = _("Ask the holder for a recent document.")
    else:
        tone, title = "success", _("Authentic and valid")
        message = _fill(_("%(commune)s issued this document and it has not been changed since."), html,
                        commune=commune_name)
        advice = _("Check that the paper or the file you were shown says the same as this page: the holder, the "
                   "reference and the facts below.")
    return Verdict(
        status=status, reason="", authentic=True, tone=tone, title=title, message=message, advice=advice,
        issuer=issuer,
        kind=spec.kind if spec else claims.kind, kind_code=claims.kind,
        kind_label=_kind_label(spec, claims.kind, result),
        reference=claims.reference, holder=claims.holder,
        facts=[_fact(claims.kind, key, value) for key, value in sorted(claims.facts.items())],
        issued_at=claims.issued_at, expires_at=claims.expires_at,
        registry_checked=result.registry_checked, registry_found=document is not None, revoked_at=revoked_at,
        pdf=result.pdf, checked_at=result.checked_at,
    )
