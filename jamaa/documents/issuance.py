"""Issuing an act: the signed QR payload, the PDF/A-3b rendered by Typst, the commune's PAdES seal, the registry row.

`document_issue` is called by `jamaa.cases.services.case_transition` when staff issue the act of an approved case,
inside the same transaction: if the commune cannot sign (no QR key, no seal), the case stays approved and staff see
why. Revocation lives here too (`document_revoke`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jamaa.core import audit
from jamaa.core.calendar import CASABLANCA
from jamaa.core.models import Commune, User
from jamaa.documents import kinds, payload, sealing, services
from jamaa.documents.models import (
    DocumentEvent,
    DocumentEventKind,
    DocumentState,
    IssuedDocument,
    VerificationChannel,
)
from jamaa.documents.pdf import qr_svg, render_act_pdf
from jamaa.documents.seal import seal_with

if TYPE_CHECKING:
    from jamaa.cases.models import Case

ACT_LANGUAGES = ("ar", "fr")
DIRECTIONS = {"ar": "rtl", "fr": "ltr", "zgh": "ltr"}


class IssueError(Exception):
    """The act cannot be issued; `message` is translated and safe to show to staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _per_language(make: Any) -> dict[str, str]:
    result = {}
    for code in ACT_LANGUAGES:
        with translation.override(code):
            result[code] = str(make(code))
    return result


def format_date(value: datetime | str) -> str:
    """dd/mm/yyyy, the way Moroccan acts print dates (a datetime in Casablanca time)."""
    if isinstance(value, datetime):
        return value.astimezone(CASABLANCA).strftime("%d/%m/%Y")
    try:
        return datetime.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return value


def fact_display(kind_code: str, key: int, value: str | int) -> str:
    """A payload fact as printed on the act and shown by verifiers."""
    if kinds.fact_format(kind_code, key) == "date" and isinstance(value, str):
        return format_date(value)
    return str(value)


def _origin(commune: Commune) -> str:
    return commune.absolute_url("").rstrip("/")


def _next_reference(case: Case) -> str:
    """The case's reference; a re-issue after a revocation gets a suffix (-2, -3, …)."""
    count = IssuedDocument.all_communes.filter(commune_id=case.commune_id, case=case).count()
    return case.reference if count == 0 else f"{case.reference}-{count + 1}"


def display_data(*, commune: Commune, spec: kinds.KindSpec, case: Case, reference: str, holder: str,
                 facts: dict[int, str | int], issued_at: datetime, expires_at: datetime | None) -> dict[str, Any]:
    procedure = case.procedure.procedure if case.procedure else None

    def title(code: str) -> str:
        if spec.title_from_procedure and procedure is not None:
            return getattr(procedure, f"name_{code}", "") or procedure.name_fr
        with translation.override(code):
            return str(spec.title)

    names = {"ar": commune.name_ar, "fr": commune.name_fr}
    rows: list[dict[str, Any]] = [
        {"label": _per_language(lambda _c: _("Holder")), "value": {"kind": "user", "text": holder}, "strong": True},
    ]
    for fact in spec.facts:
        if fact.key not in facts:
            continue
        text = fact_display(spec.code, fact.key, facts[fact.key])
        rows.append({"label": _per_language(lambda _c, f=fact: f.label),
                     "value": {"kind": "code" if fact.format in ("code", "date", "number") else "user",
                               "text": text}})
    if procedure is not None:
        rows.append({"label": _per_language(lambda _c: _("Request")),
                     "value": {"kind": "lang", "text": {c: getattr(procedure, f"name_{c}", "") or procedure.name_fr
                                                        for c in ACT_LANGUAGES}}})
    return {
        "langs": [{"code": c, "dir": DIRECTIONS[c]} for c in ACT_LANGUAGES],
        "colour": commune.primary_colour,
        "document_title": f"{title('fr')} {reference}",
        "reference": reference,
        "issued": format_date(issued_at),
        # A date, or "no time limit" in each language.
        "valid_until": format_date(expires_at) if expires_at else _per_language(lambda _c: _("No time limit")),
        "commune": {"name_ar": commune.name_ar, "name_fr": commune.name_fr,
                    "address_ar": commune.address_ar, "address_fr": commune.address_fr},
        "title": {c: title(c) for c in ACT_LANGUAGES},
        "intro": _per_language(lambda c: spec.intro % {"commune": names[c]}),
        "labels": {
            "reference": _per_language(lambda _c: _("Reference")),
            "issued": _per_language(lambda _c: _("Issued on")),
            "valid_until": _per_language(lambda _c: _("Valid until")),
            "qr": _per_language(lambda _c: _("Scan to verify")),
        },
        "rows": rows,
        "notes": [
            _per_language(lambda _c: _("This document is natively digital and carries the electronic seal of the "
                                       "commune. A printout is valid: scan the QR code to check it.")),
            _per_language(lambda c: _("Verify it at %(url)s") % {"url": commune.absolute_url("/verify/")}),
        ],
    }


def document_issue(*, case: Case, actor: User | None, now: datetime | None = None) -> IssuedDocument:
    """Issue the act of `case` (approved, with a procedure): sign, render, seal, store. Raises IssueError."""
    now = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    commune = case.commune
    if case.procedure is None or not case.reference:
        raise IssueError(_("This request does not end with an act."))
    spec = kinds.spec_for(case.procedure.procedure.act_kind)
    signing_key = services.current_signing_key(commune, at=now)
    if signing_key is None:
        raise IssueError(_("The commune has no key to sign acts with yet. Ask the platform operator to create "
                           "one (manage.py rotate_signing_key)."))
    try:
        sign = services.signer_for(signing_key)
    except services.SigningKeyUnavailable as exc:
        raise IssueError(_("The commune's QR signing key cannot be used: %(error)s") % {"error": exc}) from exc
    try:
        signer = sealing.seal_signer(commune)
    except (sealing.SealNotConfigured, OSError, ValueError) as exc:
        raise IssueError(_("The commune's seal cannot be used: %(error)s") % {"error": exc}) from exc
    holder = (case.applicant_name or (case.citizen.full_name if case.citizen else "")).strip()
    if not holder:
        raise IssueError(_("The applicant's name is missing: it is printed on the act."))
    reference = _next_reference(case)
    facts = kinds.case_facts(case)
    expires_at = kinds.expiry(case, spec, now)
    claims = payload.Claims(issuer=commune.code, kind=spec.code, reference=reference, holder=holder,
                            issued_at=now, expires_at=expires_at, facts=facts)
    try:
        signed = payload.sign_payload_with(claims, signer=sign, kid=payload_kid(signing_key))
    except services.SigningKeyUnavailable as exc:
        raise IssueError(_("The commune's QR signing key cannot be used: %(error)s") % {"error": exc}) from exc
    qr_url = payload.encode_url(_origin(commune), signed)
    act = {
        "version": 1,
        "issuer": {"code": commune.code, "name_ar": commune.name_ar, "name_fr": commune.name_fr},
        "kind": spec.kind, "kind_code": spec.code, "reference": reference, "case": case.reference,
        "holder": holder,
        "facts": {str(k): v for k, v in facts.items()},
        "fact_labels": {str(f.key): _per_language(lambda _c, f=f: f.label) for f in spec.facts if f.key in facts},
        "issued_at": now.isoformat().replace("+00:00", "Z"),
        "expires_at": expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z") if expires_at else None,
        "qr": qr_url,
    }
    data = display_data(commune=commune, spec=spec, case=case, reference=reference, holder=holder, facts=facts,
                        issued_at=now, expires_at=expires_at)
    pdf = render_act_pdf(data, act=act, issued_at=now, qr=qr_svg(qr_url), qr_url=qr_url)
    try:
        with translation.override("fr"):
            sealed = seal_with(pdf, signer, reason=f"{data['title']['fr']} {reference}")
    except Exception as exc:  # pyHanko raises many kinds; the case must stay approved with a clear message
        raise IssueError(_("The commune's seal cannot be used: %(error)s") % {"error": exc}) from exc
    document = IssuedDocument(
        commune=commune, case=case, citizen=case.citizen, kind=spec.kind, kind_code=spec.code, reference=reference,
        token=secrets.token_hex(16), holder_name=holder,
        facts=[{"key": k, "value": v} for k, v in facts.items()], act=act, qr_url=qr_url,
        signing_key=signing_key, issued_at=now, expires_at=expires_at, issued_by=actor,
        pdf_sha256=hashlib.sha256(sealed).hexdigest(), pdf_size=len(sealed),
    )
    document.pdf.save(f"{document.token}.pdf", ContentFile(sealed), save=False)
    try:
        document.save()
    except Exception:
        document.pdf.delete(save=False)
        raise
    DocumentEvent.all_communes.create(commune=commune, document=document, kind=DocumentEventKind.ISSUED,
                                      actor=actor, by_staff=actor is not None, created_at=now)
    audit.record(action="documents.issued", commune=commune, actor=actor, target=document,
                 target_label=reference, subject=case.citizen,
                 details={"reference": reference, "case": case.reference, "kind": spec.kind, "kid": signing_key.kid})
    return document


def payload_kid(signing_key: Any) -> bytes:
    from jamaa.documents.keys import b64url_decode

    return b64url_decode(signing_key.kid)


def document_revoke(*, document: IssuedDocument, actor: User, reason: str,
                    now: datetime | None = None) -> IssuedDocument:
    """Revoke a valid document with a reason: it verifies as revoked from now on; the case's timeline says so and
    the citizen is told. PermissionDenied unless `actor` may act on the document's case (the rule of the case's
    transitions: the views check it first, this is the second line of defence)."""
    reason = " ".join((reason or "").split())[:1000]
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the revocation: the holder is told.")]})
    from jamaa.cases import services as case_services

    with transaction.atomic():
        locked = IssuedDocument.all_communes.select_for_update().get(pk=document.pk)
        case_services._require_staff(locked.case, actor)
        if locked.state == DocumentState.REVOKED:
            raise ValidationError(_("This document is already revoked."))
        now = now or timezone.now()
        locked.state = DocumentState.REVOKED
        locked.revoked_at = now
        locked.revoked_by = actor
        locked.revocation_reason = reason
        locked.save(update_fields=["state", "revoked_at", "revoked_by", "revocation_reason"])
        DocumentEvent.all_communes.create(commune_id=locked.commune_id, document=locked,
                                          kind=DocumentEventKind.REVOKED, actor=actor, by_staff=True,
                                          created_at=now)
        case_services.record_document_revoked(case=locked.case, actor=actor, reference=locked.reference,
                                              reason=reason)
        audit.record(action="documents.revoked", commune=locked.commune, actor=actor, target=locked,
                     target_label=locked.reference, subject=locked.citizen, reason=reason,
                     details={"reference": locked.reference})
    document.refresh_from_db()
    return document


def _event_insert() -> str:
    """The INSERT of one event, written out: verifications log on the hot path, where building the ORM insert cost
    more than the write. The names come from the model."""
    meta = DocumentEvent._meta
    qn = connection.ops.quote_name
    fields = ("commune", "document", "kind", "channel", "actor", "by_staff", "created_at")
    columns = ", ".join(qn(meta.get_field(name).column) for name in fields)
    return f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608 - names from the model, values bound


def record_event(document: IssuedDocument, kind: str, *, channel: str = "", actor: User | None = None,
                 by_staff: bool = False) -> None:
    """Log a download or a verification (who only when it is the holder or staff: never a member of the public)."""
    named = actor is not None and (by_staff or actor.pk == document.citizen_id)
    values = [document.commune_id, document.pk, kind, channel, actor.pk if named and actor is not None else None,
              by_staff, connection.ops.adapt_datetimefield_value(timezone.now())]
    with connection.cursor() as cursor:
        cursor.execute(_event_insert(), values)


__all__ = ["IssueError", "VerificationChannel", "document_issue", "document_revoke", "record_event"]
