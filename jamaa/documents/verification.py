"""Verifying a document: from its QR text (the signed payload) or from its PDF (the PAdES seal, then the payload it
embeds), against the trust list, then its status in the registry (valid, expired, revoked).

One `Result` for every verifier (the page behind the QR, the upload form, the JSON API, the offline command): the
signature check needs only a trust list; the registry part is added when a database is at hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from django.core.cache import cache
from django.db import connection, transaction

from jamaa.core import tenancy
from jamaa.core.models import Commune
from jamaa.documents import keys, payload
from jamaa.documents.models import IssuedDocument

Status = Literal["valid", "expired", "revoked", "invalid"]
TRUST_LIST_CACHE_KEY = "documents:trust-list"
TRUST_LIST_CACHE_SECONDS = 60


@dataclass(frozen=True)
class PdfCheck:
    """What the PAdES check of an uploaded PDF found (see `pdfcheck.check_pdf`)."""

    signed: bool
    intact: bool  # the signed bytes were not changed
    whole_file: bool  # the signature covers the whole file: nothing added after signing
    trusted: bool  # the certificate chains to a trust anchor of the trust list
    signer: str = ""  # the seal certificate's subject (common name)
    signed_at: datetime | None = None
    reason: str = ""  # a stable code when something failed: not_pdf, unsigned, modified, untrusted, ...
    signer_sha256: str = ""  # SHA-256 of the seal certificate (hex): compared with the commune's in the trust list

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.whole_file and self.trusted


@dataclass
class Result:
    status: Status
    reason: str = ""  # when invalid: a `payload.VerificationError.reason`, or a PdfCheck reason
    claims: payload.Claims | None = None
    issuer: keys.TrustedCommune | None = None
    commune: Commune | None = None  # the issuing commune in this database (None offline)
    document: IssuedDocument | None = None  # the registry's record (None offline or when not found)
    registry_checked: bool = False
    pdf: PdfCheck | None = None
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def is_authentic(self) -> bool:
        return self.status != "invalid"


def clear_trust_list_cache() -> None:
    transaction.on_commit(lambda: cache.delete(TRUST_LIST_CACHE_KEY))


def current_trust_list() -> keys.TrustList:
    """The trust list of this installation, built from the database at most once a minute per process.

    Keys are published days before they sign anything, so a list a minute old never misses a key in use."""
    from jamaa.documents.services import trust_list

    cached = cache.get(TRUST_LIST_CACHE_KEY)
    if isinstance(cached, str):
        # Parsing the list (keys, PEM certificates) costs more than the signature check: keep the parsed list of
        # the cached text, reused as long as the cache holds the same text.
        parsed = _parsed.get(cached)
        if parsed is None:
            parsed = keys.TrustList.from_json(cached)
            _parsed.clear()
            _parsed[cached] = parsed
        return parsed
    current = trust_list()
    cache.set(TRUST_LIST_CACHE_KEY, current.to_json(), TRUST_LIST_CACHE_SECONDS)
    return current


_parsed: dict[str, keys.TrustList] = {}


def verify_claims_offline(text: str, trust: keys.TrustList, *, now: datetime | None = None) -> Result:
    """The QR text checked against `trust` alone (no database): authentic or not, expired or not."""
    now = now or datetime.now(UTC)
    try:
        verified = payload.verify(payload.decode_url(text), trust_list=trust, now=now)
    except payload.VerificationError as exc:
        return Result(status="invalid", reason=exc.reason, checked_at=now)
    status: Status = "expired" if verified.is_expired(now) else "valid"
    return Result(status=status, claims=verified.claims, issuer=verified.commune, checked_at=now)


def _registry_query() -> str:
    """The registry lookup of the hot path (every counter scanning an act) as one plain SELECT: the document by the
    issuing commune's code and its reference (unique together), with only the columns a verification reads.

    Written out rather than built by the ORM because compiling the ORM query cost seven times the query itself;
    the names still come from the models, so a renamed table or column cannot be missed."""
    doc, com = IssuedDocument._meta, Commune._meta
    qn = connection.ops.quote_name

    def col(name: str) -> str:
        return "d." + qn(doc.get_field(name).column)

    columns = ", ".join(col(name) for name in ("id", "commune", "case", "citizen", "state", "revoked_at",
                                                "expires_at", "reference"))
    return (f"SELECT {columns} FROM {qn(doc.db_table)} d JOIN {qn(com.db_table)} c "  # noqa: S608 - model names
            f"ON c.{qn(com.pk.column)} = {col('commune')} "
            f"WHERE c.{qn(com.get_field('code').column)} = %s AND {col('reference')} = %s")


def _commune(pk: int) -> Commune | None:
    """The issuing commune: the site's own when the QR is scanned on its host (the usual case), else one query."""
    current = tenancy.get_current_commune()
    if current is not None and current.pk == pk:
        return current
    return next(iter(Commune.objects.filter(pk=pk).order_by()[:1]), None)


def with_registry(result: Result) -> Result:
    """`result` completed with the registry: the issuing commune and the document's status (revoked wins).

    One query when the document is in the registry and the QR is scanned on its commune's site, two otherwise.
    The document comes back with only the fields verification reads (the rest load on access)."""
    if result.claims is None or result.issuer is None:
        return result
    result.registry_checked = True
    document = next(iter(IssuedDocument.all_communes.raw(_registry_query(),
                                                         [result.issuer.code, result.claims.reference])), None)
    if document is None:
        result.commune = next(iter(Commune.objects.filter(code=result.issuer.code).order_by()[:1]), None)
        return result
    result.commune = _commune(document.commune_id)
    result.document = document
    if document.is_revoked:
        result.status = "revoked"
    return result


def verify_qr(text: str, *, now: datetime | None = None) -> Result:
    """A QR text (the URL it holds) verified against this installation's trust list and registry."""
    return with_registry(verify_claims_offline(text, current_trust_list(), now=now))


def verify_pdf_offline(data: bytes, trust: keys.TrustList, now: datetime | None = None) -> Result:
    """A PDF checked against `trust` alone (no database): its seal (intact, nothing added after it, chaining to a
    seal anchor, and the certificate of the commune its QR names), then the QR text it embeds.

    Any seal failure makes the result invalid with the PDF's reason (`pdfcheck`), even if the QR inside is fine;
    `no_qr` when a sound seal covers a PDF without our QR text; `seal_not_issuer` when the seal is not the own seal
    of the commune whose key signed the QR."""
    from jamaa.documents.pdfcheck import check_pdf

    now = now or datetime.now(UTC)
    check, qr_text = check_pdf(data, trust, now=now)
    if not check.ok:
        return Result(status="invalid", reason=check.reason, pdf=check, checked_at=now)
    if not qr_text:
        return Result(status="invalid", reason="no_qr", pdf=check, checked_at=now)
    result = verify_claims_offline(qr_text, trust, now=now)
    result.pdf = check
    if result.status == "invalid":
        return result
    if result.issuer is None or not result.issuer.seals_with(check.signer_sha256):
        return Result(status="invalid", reason="seal_not_issuer", pdf=check, checked_at=now)
    return result


def verify_pdf(data: bytes, *, now: datetime | None = None) -> Result:
    """A PDF (an upload) verified against this installation's trust list and registry (see `verify_pdf_offline`)."""
    return with_registry(verify_pdf_offline(data, current_trust_list(), now=now))
