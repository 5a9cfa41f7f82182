"""Helpers of the verification tests: forged and altered QR codes and PDFs, a later clock, an act for the
accessibility pages (which have the world but not the fixtures of this folder)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import cbor2

from jamaa.documents import keys, payload

QR_ORIGIN = "HTTPS://SALE.EXAMPLE.MA"


def qr_path(document: Any) -> str:
    """The path of the document's QR URL (what the browser asks any host for)."""
    return urlsplit(document.qr_url).path


def _signed(url: str) -> cbor2.CBORTag:
    message = cbor2.loads(payload.decode_url(url))
    assert isinstance(message, cbor2.CBORTag)
    return message


def tampered_qr(url: str, **changes: Any) -> str:
    """The same signed payload with claims changed (by name: holder, reference, ...) and the old signature kept."""
    message = _signed(url)
    protected, unprotected, body, signature = message.value
    claims = cbor2.loads(body)
    names = {"holder": payload.CLAIM_HOLDER, "reference": payload.CLAIM_REFERENCE, "issuer": payload.CLAIM_ISSUER}
    for name, value in changes.items():
        claims[names[name]] = value
    forged = cbor2.dumps(cbor2.CBORTag(payload.COSE_SIGN1_TAG, [protected, unprotected, cbor2.dumps(claims),
                                                                signature]))
    return payload.encode_url(QR_ORIGIN, forged)


def claims_of(url: str) -> payload.Claims:
    return payload.Claims.from_cbor_map(cbor2.loads(_signed(url).value[2]))


def unknown_key_qr(url: str) -> str:
    """The document's claims, properly signed, but by a key that no commune published."""
    private_key = keys.generate_private_key()
    kid = keys.key_id(private_key.public_key())
    return payload.encode_url(QR_ORIGIN, payload.sign_payload(claims_of(url), private_key=private_key, kid=kid))


def garbage_qr() -> str:
    """Valid base32 of zlib data that is not a COSE message."""
    import base64

    return f"{QR_ORIGIN}/V/" + base64.b32encode(zlib.compress(b"not a document" * 3)).decode().rstrip("=")


def later_clock(monkeypatch: Any, days: int) -> datetime:
    """Verification runs `days` from now (the only clock `verification` reads is `datetime.now`)."""
    from jamaa.documents import verification

    moment = datetime.now(UTC) + timedelta(days=days)

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return moment if tz is not None else moment.replace(tzinfo=None)

    monkeypatch.setattr(verification, "datetime", Later)
    return moment


def tampered_pdf(data: bytes) -> bytes:
    """One byte changed inside the signed part of the file (the binary comment of its second line): the file still
    reads as a PDF, but no longer matches its seal."""
    position = data.index(b"\n") + 2
    assert data[position - 1:position] == b"%", "the sealed PDF should start with a binary comment line"
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:]


def appended_pdf(data: bytes) -> bytes:
    """Something added after the seal: a well-formed incremental update (a new title) that leaves the signed bytes
    as they were."""
    import io

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    info = writer.trailer["/Info"] if "/Info" in writer.trailer else None
    if info is not None:
        info = info.get_object()
        info["/Title"] = generic.TextStringObject("Changed after sealing")
        writer.update_container(info)
    else:
        writer.root["/Lang"] = generic.TextStringObject("fr")
        writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def issue_residence_certificate(world: Any, *, commune: str = "sale", citizen: Any = None) -> Any:
    """Issue a residence certificate through the real services (submit, review, approve, issue) for `citizen` (by
    default the world's citizen of `commune`); returns the IssuedDocument. Needs the `procedures` fixture's
    catalogue."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jamaa.cases import services
    from jamaa.catalog.models import CommuneProcedure
    from jamaa.core import tenancy
    from jamaa.core.models import Arrondissement
    from jamaa.documents.models import IssuedDocument

    target = world.sale if commune == "sale" else world.temara
    agent = world.agent_sale if commune == "sale" else world.agent_temara
    citizen = citizen or (world.citizen_sale if commune == "sale" else world.citizen_temara)
    pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
           b"trailer<</Root 1 0 R>>\n%%EOF\n")
    with tenancy.scope(target):
        adoption = CommuneProcedure.objects.get(procedure__slug="residence-certificate")
        data = {"address": "حي الرحمة زنقة 12 رقم 5", "cin": "AB123456", "since": "2019-03-01", "purpose": "work",
                "owner": "no"}
        arrondissement = Arrondissement.objects.order_by("position").first()
        if arrondissement is not None:
            data["arrondissement"] = str(arrondissement.pk)
        case = services.case_submit(commune=target, procedure=adoption, data=data, citizen=citizen,
                                    files=[("doc__proof", SimpleUploadedFile("proof.pdf", pdf))])
        for move in ("start_review", "approve", "issue_act"):
            case = services.case_transition(case=case, name=move, actor=agent, by_staff=True)
        return IssuedDocument.all_communes.get(case=case)


def result_path(document: Any) -> str:
    """/verify/<code>/: the result of the document's QR code in the active language (Arabic: unprefixed)."""
    from django.urls import reverse

    return reverse("verify:by_code", kwargs={"payload_text": qr_path(document).rsplit("/", 1)[1]})


def issue_on_a_thread(world: Any, *, commune: str = "sale", citizen: Any = None) -> Any:
    """`issue_residence_certificate` on a thread of its own: sealing (pyHanko) runs an asyncio loop, and a browser
    test's thread already has Playwright's."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def issue() -> Any:
        try:
            return issue_residence_certificate(world, commune=commune, citizen=citizen)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(issue).result()
