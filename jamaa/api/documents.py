"""Verifying a document, for other administrations and apps: the text of its QR code, or its PDF file.

Public like the verification page (no token), on any host of the platform (every commune's documents are checked
against the one trust list), limited per client address (429). The answer is the page's verdict as data: `status`
(valid, expired, revoked, invalid), `reason` when invalid, and, only when the document is authentic, what it states.
Labels follow the request's Accept-Language (Arabic by default). Each verification of a document of the registry is
logged, without the caller's identity."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from jamaa.api.common import ALL_FIELDS, InvalidInput
from jamaa.api.schemas import Error, ValidationErrorOut
from jamaa.documents import throttle, verification
from jamaa.documents.models import VerificationChannel
from jamaa.documents.verify_display import Verdict, describe
from jamaa.documents.verify_forms import MAX_PDF_BYTES, MAX_PDF_MEGABYTES, MAX_QR_CHARS
from jamaa.documents.verify_views import MULTIPART_OVERHEAD, SNIFF_BYTES, is_pdf, log_verification, not_pdf_result

router = Router(tags=["verification"])

VERIFY_ERRORS: dict[int, type[Schema]] = {422: ValidationErrorOut, 429: Error}


class VerifyQrIn(Schema):
    qr: str = Field(max_length=MAX_QR_CHARS,
                    description="The text of the document's QR code: the URL HTTPS://<HOST>/V/<BASE32>.")


class IssuerOut(Schema):
    code: str = Field(description="The commune's code in the trust list, e.g. SAL.")
    name_ar: str
    name_fr: str


class FactOut(Schema):
    key: int = Field(description="The fact's number in the signed payload (its meaning depends on the kind of act).")
    label: str
    value: str | int = Field(description="As signed: text, a number, or a date as YYYY-MM-DD.")


class RegistryOut(Schema):
    checked: bool = Field(description="The issuing commune's registry was consulted.")
    found: bool = Field(description="The registry holds this document.")
    revoked_at: dt.datetime | None


class PdfOut(Schema):
    signed: bool
    intact: bool = Field(description="The signed bytes were not changed.")
    whole_file: bool = Field(description="The seal covers the whole file: nothing was added after sealing.")
    trusted: bool = Field(description="The seal chains to a trust anchor of the platform's trust list.")
    signer: str
    signed_at: dt.datetime | None
    reason: str


class VerificationOut(Schema):
    status: Literal["valid", "expired", "revoked", "invalid"]
    reason: str = Field(description="When invalid, a stable code: malformed, unknown_key, bad_signature, "
                                    "key_not_yet_valid, key_expired, issuer_mismatch; for a PDF also not_pdf, "
                                    "too_large, encrypted, unsigned, several_signatures, unreadable_signature, "
                                    "modified, incremental_update, untrusted, no_qr, seal_not_issuer. Else empty.")
    message: str = Field(description="The verdict in a sentence, in the request's language.")
    authentic: bool
    issuer: IssuerOut | None
    kind: str | None = Field(description="The kind of act, e.g. residence_certificate.")
    kind_label: str | None
    reference: str | None
    holder: str | None
    facts: list[FactOut]
    issued_at: dt.datetime | None
    expires_at: dt.datetime | None = Field(description="Null when the act does not expire (or is not authentic).")
    registry: RegistryOut
    pdf: PdfOut | None


PDF_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary", "minLength": 1,
                                "description": f"The PDF file, at most {MAX_PDF_MEGABYTES} MB."}},
    }}},
}


def verification_out(verdict: Verdict) -> dict[str, Any]:
    pdf = verdict.pdf
    authentic = verdict.authentic
    return {
        "status": verdict.status,
        "reason": verdict.reason if not authentic else "",
        "message": verdict.message,
        "authentic": authentic,
        "issuer": {"code": verdict.issuer.code, "name_ar": verdict.issuer.name_ar, "name_fr": verdict.issuer.name_fr}
        if verdict.issuer else None,
        "kind": verdict.kind if authentic else None,
        "kind_label": verdict.kind_label if authentic else None,
        "reference": verdict.reference if authentic else None,
        "holder": verdict.holder if authentic else None,
        "facts": [{"key": f.key, "label": f.label, "value": f.value} for f in verdict.facts],
        "issued_at": verdict.issued_at,
        "expires_at": verdict.expires_at,
        "registry": {"checked": verdict.registry_checked, "found": verdict.registry_found,
                     "revoked_at": verdict.revoked_at},
        "pdf": {"signed": pdf.signed, "intact": pdf.intact, "whole_file": pdf.whole_file, "trusted": pdf.trusted,
                "signer": pdf.signer, "signed_at": pdf.signed_at, "reason": pdf.reason} if pdf else None,
    }


def _prepare(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]] | None:
    """The caller's language; a 429 when this address asked too often."""
    translation.activate(translation.get_language_from_request(request, check_path=False))
    limit = int(getattr(settings, "DOCUMENT_VERIFY_API_LIMIT", throttle.API_LIMIT))
    if not throttle.allow(request, "api", limit):
        response["Retry-After"] = str(throttle.WINDOW_SECONDS)
        return Status(429, {"detail": _("Too many verifications from this address. Wait %(minutes)d minutes, "
                                        "then try again.") % {"minutes": throttle.wait_minutes()}})
    return None


def _answer(request: HttpRequest, result: verification.Result) -> dict[str, Any]:
    if result.document is not None:
        log_verification(None, result.document, VerificationChannel.API)
    return verification_out(describe(result))


@router.post("/verify", response={200: VerificationOut, **VERIFY_ERRORS}, summary="Verify a document's QR code")
def verify_qr(request: HttpRequest, body: VerifyQrIn,
              response: HttpResponse) -> Status[dict[str, Any]] | dict[str, Any]:
    """Check the text of a document's QR code: its signature against the platform's trust list, then the issuing
    commune's registry (revoked, expired). A text that is not a document's code is answered 200 with status
    `invalid` and reason `malformed`."""
    refused = _prepare(request, response)
    if refused is not None:
        return refused
    return _answer(request, verification.verify_qr("".join(body.qr.split())))


@router.post("/verify/pdf", response={200: VerificationOut, **VERIFY_ERRORS}, summary="Verify a document's PDF",
             openapi_extra={"requestBody": PDF_BODY})
def verify_pdf(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]] | dict[str, Any]:
    """Check a PDF sent as multipart/form-data (field `file`): the commune's seal (intact, covering the whole file,
    trusted), then the signed code it embeds and the registry. A file that is not a PDF (whatever its name) is
    answered 200 with status `invalid` and reason `not_pdf` (an empty file too)."""
    refused = _prepare(request, response)
    if refused is not None:
        return refused
    too_large = _("The file is larger than %(size)d MB.") % {"size": MAX_PDF_MEGABYTES}
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_PDF_BYTES + MULTIPART_OVERHEAD:
        raise InvalidInput.field("file", too_large)
    if request.content_type != "multipart/form-data":
        raise InvalidInput.field(ALL_FIELDS, _("Send the PDF as multipart/form-data, in the field `file`."))
    try:
        upload = request.FILES.get("file")
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError):
        raise InvalidInput.field(ALL_FIELDS, _("The multipart body could not be read.")) from None
    if upload is None:
        raise InvalidInput.field("file", _("Send the PDF in the field `file`."))
    if (upload.size or 0) > MAX_PDF_BYTES:
        raise InvalidInput.field("file", too_large)
    data = upload.read(MAX_PDF_BYTES + 1)
    result = verification.verify_pdf(data) if is_pdf(data[:SNIFF_BYTES]) else not_pdf_result()
    return _answer(request, result)
