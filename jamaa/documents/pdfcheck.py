"""Checking an uploaded PDF: its PAdES seal (intact, covering the whole file, chaining to a trust anchor of the
trust list) and the signed QR payload it embeds (`qr.txt`). Works offline with a trust list alone.

The file comes from anyone (an upload, a mail attachment): `check_pdf` never raises, whatever the bytes; what went
wrong is a stable `reason` code of the returned `PdfCheck`, for the pages, the API and the offline command:

* `too_large`: bigger than `MAX_PDF_BYTES` (an act is about 100 KB);
* `not_pdf`: not a PDF, or one too broken to read;
* `encrypted`: an encrypted PDF (an act never is);
* `unsigned`: no signature at all;
* `several_signatures`: more than one signature (an act carries the commune's seal only);
* `unreadable_signature`: a signature field whose content cannot be read as a PAdES / CMS signature;
* `modified`: the signed bytes were changed, or the signature does not match them;
* `incremental_update`: the signature is sound but something was appended to the file after signing;
* `untrusted`: the seal certificate does not chain to a trust anchor of the trust list (or has expired).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import io
import logging
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from jamaa.documents.keys import TrustList
from jamaa.documents.pdf import QR_ATTACHMENT
from jamaa.documents.verification import PdfCheck

logger = logging.getLogger(__name__)

MAX_PDF_BYTES = 10 * 1024 * 1024
# The QR text is a few hundred characters; anything much bigger is not ours.
MAX_QR_BYTES = 8192
# Bounds on walking the catalog's name tree of embedded files (hostile files may nest or loop).
MAX_NAME_TREE_DEPTH = 8
MAX_NAME_TREE_ENTRIES = 256

def _failed(reason: str, **fields: Any) -> PdfCheck:
    return PdfCheck(**{"signed": False, "intact": False, "whole_file": False, "trusted": False, **fields},
                    reason=reason)


def check_pdf(data: bytes, trust: TrustList, *, now: datetime | None = None) -> tuple[PdfCheck, str | None]:
    """The seal check of `data` at `now` (default: the current time) and the QR text embedded in it (None when
    there is none). Never raises: a file that cannot be checked gets a `reason`."""
    now = now or datetime.now(UTC)
    try:
        return _check(data, trust, now)
    except Exception:  # a hostile file must never turn into a server error
        logger.info("PDF check failed on unreadable input", exc_info=True)
        return _failed("not_pdf"), None


def _check(data: bytes, trust: TrustList, now: datetime) -> tuple[PdfCheck, str | None]:
    if not isinstance(data, bytes | bytearray | memoryview):
        return _failed("not_pdf"), None
    data = bytes(data)
    if len(data) > MAX_PDF_BYTES:
        return _failed("too_large"), None
    if b"%PDF-" not in data[:1024]:
        return _failed("not_pdf"), None
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
    except Exception:  # noqa: BLE001 - pyHanko raises many kinds on broken files
        return _failed("not_pdf"), None
    if reader.encrypted:
        return _failed("encrypted"), None
    try:
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - same
        return _failed("not_pdf"), None
    qr = _embedded_qr(reader)
    if not signatures:
        return _failed("unsigned"), qr
    if len(signatures) > 1:
        return _failed("several_signatures", signed=True), qr
    try:
        status = _validate(signatures[0], trust, now)
    except Exception:
        logger.info("PDF signature could not be validated", exc_info=True)
        return _failed("unreadable_signature", signed=True), qr
    return _summary(status), qr


def _validate(signature: Any, trust: TrustList, now: datetime) -> PdfSignatureStatus:
    anchors = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust.seal_anchors]
    context = ValidationContext(trust_roots=anchors, allow_fetching=False, revocation_mode="soft-fail", moment=now)
    # Integrity and coverage are computed byte for byte; the difference analysis of incremental updates is skipped
    # because any update after the seal is refused (the seal must cover the whole file).
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return validate_pdf_signature(signature, context, skip_diff=True)
    # pyHanko runs its own event loop: inside an async caller, run it in a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate_pdf_signature, signature, context, skip_diff=True).result()


def _summary(status: PdfSignatureStatus) -> PdfCheck:
    certificate = status.signing_cert
    common_name = certificate.subject.native.get("common_name", "") if certificate is not None else ""
    if isinstance(common_name, list):
        common_name = ", ".join(str(n) for n in common_name)
    intact = bool(status.intact and status.valid)
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    trusted = bool(intact and status.trusted)
    if not intact:
        reason = "modified"
    elif not whole_file:
        reason = "incremental_update"
    elif not trusted:
        reason = "untrusted"
    else:
        reason = ""
    signed_at = status.signer_reported_dt
    return PdfCheck(
        signed=True, intact=intact, whole_file=whole_file, trusted=trusted, signer=str(common_name),
        signed_at=signed_at.astimezone(UTC) if signed_at is not None else None, reason=reason,
        signer_sha256=hashlib.sha256(certificate.dump()).hexdigest() if certificate is not None else "",
    )


def _embedded_qr(reader: PdfFileReader) -> str | None:
    """The text of the embedded `qr.txt` (from the catalog's embedded files), or None."""
    try:
        root = reader.root
        tree = root.get("/Names", generic.DictionaryObject()).get("/EmbeddedFiles")
        specs = list(_name_tree_values(tree.get_object(), 0, [0])) if tree is not None else []
        specs.extend(root.get("/AF", generic.ArrayObject()))
        for spec in specs:
            spec = spec.get_object()
            if not isinstance(spec, generic.DictionaryObject):
                continue
            if str(spec.get("/UF", spec.get("/F", ""))) != QR_ATTACHMENT:
                continue
            stream = spec["/EF"]["/F"].get_object()
            if not isinstance(stream, generic.StreamObject) or len(stream.encoded_data) > MAX_QR_BYTES:
                return None
            content = stream.data
            if len(content) > MAX_QR_BYTES:
                return None
            return content.decode("ascii").strip() or None
    except Exception:
        logger.info("embedded QR text could not be read", exc_info=True)
    return None


def _name_tree_values(node: Any, depth: int, seen: list[int]) -> Any:
    """The values of a PDF name tree, bounded in depth and size."""
    if depth > MAX_NAME_TREE_DEPTH or not isinstance(node, generic.DictionaryObject):
        return
    names = node.get("/Names")
    if isinstance(names, generic.ArrayObject):
        for value in list(names)[1::2]:
            seen[0] += 1
            if seen[0] > MAX_NAME_TREE_ENTRIES:
                return
            yield value
    kids = node.get("/Kids")
    if isinstance(kids, generic.ArrayObject):
        for kid in kids:
            yield from _name_tree_values(kid.get_object(), depth + 1, seen)
