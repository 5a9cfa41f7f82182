"""Checking an act's PDF: the PAdES seal (intact, whole file, trusted, the issuing commune's own) and the QR inside."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typst
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign import fields, signers

from jamaa.documents import keys, pdfcheck, sealing, verification
from jamaa.documents.pdfcheck import check_pdf
from jamaa.documents.seal import ensure_dev_pki, seal_with
from jamaa.documents.tests.conftest import HOLDER_AR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_trust_list")]



@pytest.fixture(scope="module")
def foreign_pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another trust anchor with a seal named like Salé's: what a forger can make."""
    directory = tmp_path_factory.mktemp("foreign") / "pki"
    ensure_dev_pki(directory, ["sale"], {"sale": "Salé"})
    return directory


def pdf_of(document) -> bytes:
    with document.pdf.open("rb") as file:
        return file.read()


def flip(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def signed_range_end(data: bytes) -> int:
    """Where the first signed segment ends (the signature's /Contents starts)."""
    signature = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
    return signature.byte_range[1]


def test_an_issued_act_passes_the_seal_check_and_gives_its_qr_text(issue_act, world):
    document = issue_act()
    check, qr = check_pdf(pdf_of(document), verification.current_trust_list())
    assert check.ok and check.reason == ""
    assert check.signed and check.intact and check.whole_file and check.trusted
    assert check.signer == "Salé — cachet électronique"
    assert check.signed_at is not None and abs(check.signed_at - document.issued_at) < timedelta(minutes=5)
    assert check.signer_sha256 == keys.certificate_fingerprint(sealing.seal_certificate(world.sale))
    assert qr == document.qr_url


def test_verify_pdf_says_valid_with_the_registrys_record(issue_act):
    document = issue_act()
    result = verification.verify_pdf(pdf_of(document))
    assert result.status == "valid" and result.reason == ""
    assert result.document == document and result.registry_checked
    assert result.claims is not None and result.claims.holder == HOLDER_AR
    assert result.claims.reference == document.reference
    assert result.pdf is not None and result.pdf.ok


def test_one_changed_byte_inside_the_signed_range_fails_as_modified(issue_act):
    document = issue_act()
    pdf = pdf_of(document)
    position = pdf.index(document.reference.encode())  # the title in the metadata, before the signature
    assert position < signed_range_end(pdf)
    tampered = flip(pdf, position)
    check, _qr = check_pdf(tampered, verification.current_trust_list())
    assert check.signed and not check.intact and not check.ok and check.reason == "modified"
    result = verification.verify_pdf(tampered)
    assert result.status == "invalid" and result.reason == "modified"
    assert result.claims is None and result.document is None  # nothing of a broken file is vouched for


def test_an_update_appended_after_the_seal_fails_as_incremental_update(issue_act):
    pdf = pdf_of(issue_act())
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    writer.root["/Lang"] = generic.TextStringObject("fr")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue()
    assert updated.startswith(pdf)
    check, qr = check_pdf(updated, verification.current_trust_list())
    assert check.intact and not check.whole_file and check.reason == "incremental_update"
    result = verification.verify_pdf(updated)
    assert result.status == "invalid" and result.reason == "incremental_update"
    # The QR inside is genuine, and still the PDF does not verify.
    assert verification.verify_qr(qr).status == "valid"


def test_a_pdf_sealed_under_another_trust_anchor_fails_as_untrusted(issue_act, settings, foreign_pki_dir):
    genuine_anchor = settings.DOCUMENT_DEV_PKI_DIR
    settings.DOCUMENT_DEV_PKI_DIR = foreign_pki_dir
    forged = pdf_of(issue_act())
    settings.DOCUMENT_DEV_PKI_DIR = genuine_anchor
    check, _qr = check_pdf(forged, verification.current_trust_list())
    assert check.intact and check.whole_file and not check.trusted and check.reason == "untrusted"
    result = verification.verify_pdf(forged)
    assert result.status == "invalid" and result.reason == "untrusted"


def test_a_pdf_sealed_by_another_commune_fails_as_not_the_issuers_seal(issue_act, world, monkeypatch):
    seal_signer = sealing.seal_signer
    monkeypatch.setattr(sealing, "seal_signer", lambda commune: seal_signer(world.temara))
    document = issue_act()  # Salé's QR, Témara's seal: both genuine, not together
    check, _qr = check_pdf(pdf_of(document), verification.current_trust_list())
    assert check.ok and check.signer == "Témara — cachet électronique"
    result = verification.verify_pdf(pdf_of(document))
    assert result.status == "invalid" and result.reason == "seal_not_issuer"


def test_a_trust_list_without_seal_anchors_trusts_no_seal(issue_act):
    pdf = pdf_of(issue_act())
    older = keys.TrustList.from_dict(
        {k: v for k, v in verification.current_trust_list().to_dict().items() if k != "seal_anchors"})
    check, _qr = check_pdf(pdf, older)
    assert check.intact and check.whole_file and check.reason == "untrusted"
    assert verification.verify_pdf_offline(pdf, older).reason == "untrusted"


def test_a_pdf_checked_after_its_act_expired_verifies_as_expired(issue_act):
    document = issue_act()
    result = verification.verify_pdf(pdf_of(document), now=document.expires_at + timedelta(days=1))
    assert result.status == "expired" and result.pdf is not None and result.pdf.ok


def test_a_sealed_pdf_without_our_qr_text_fails(world):
    pdf = typst.compile(b"= Attestation", format="pdf")
    sealed = seal_with(pdf, sealing.seal_signer(world.sale))
    check, qr = check_pdf(sealed, verification.current_trust_list())
    assert check.ok and qr is None
    assert verification.verify_pdf(sealed).reason == "no_qr"


def test_an_unsigned_pdf_fails_as_unsigned(world):
    check, qr = check_pdf(typst.compile(b"Hello", format="pdf"), verification.current_trust_list())
    assert not check.signed and check.reason == "unsigned" and qr is None


def test_an_encrypted_pdf_fails_as_encrypted(issue_act):
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf_of(issue_act())), strict=False))
    writer.encrypt("owner", "")
    out = io.BytesIO()
    writer.write(out)
    check, qr = check_pdf(out.getvalue(), verification.current_trust_list())
    assert check.reason == "encrypted" and not check.ok and qr is None


def test_a_second_signature_fails_as_several_signatures(issue_act, world):
    pdf = pdf_of(issue_act())
    metadata = signers.PdfSignatureMetadata(field_name="Countersignature", md_algorithm="sha256",
                                            subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()
    signers.PdfSigner(metadata, signer=sealing.seal_signer(world.sale)).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), output=out)
    twice = out.getvalue()
    check, _qr = check_pdf(twice, verification.current_trust_list())
    assert check.reason == "several_signatures" and not check.ok


@pytest.mark.parametrize("data, reason", [
    (b"", "not_pdf"),
    (b"garbage bytes, not a document", "not_pdf"),
    (b"%PDF-1.7\n%%EOF garbage", "not_pdf"),
    (bytes(random.Random(4).randbytes(5000)), "not_pdf"),
    (b"%PDF-1.7\n" + bytes(random.Random(5).randbytes(5000)), "not_pdf"),
])
def test_garbage_fails_as_not_pdf(world, data, reason):
    check, qr = check_pdf(data, verification.current_trust_list())
    assert check.reason == reason and not check.ok and qr is None
    result = verification.verify_pdf(data)
    assert result.status == "invalid" and result.reason == reason


def test_a_file_over_the_size_limit_is_refused_unread(world, monkeypatch):
    monkeypatch.setattr(pdfcheck, "MAX_PDF_BYTES", 1000)
    check, _qr = check_pdf(b"%PDF-1.7\n" + b" " * 1000, verification.current_trust_list())
    assert check.reason == "too_large"


def test_truncated_and_mangled_files_never_raise(issue_act):
    pdf = pdf_of(issue_act())
    trust = verification.current_trust_list()
    end = signed_range_end(pdf)
    for cut in (100, len(pdf) // 3, len(pdf) // 2, len(pdf) - 10):
        check, _qr = check_pdf(pdf[:cut], trust)
        assert not check.ok and check.reason
    rng = random.Random(42)
    for position in rng.sample(range(end), 25):
        check, _qr = check_pdf(flip(pdf, position), trust)
        assert not check.ok and check.reason, position
    for position in rng.sample(range(end, len(pdf)), 10):  # the signature itself, or after it: never a crash
        check, _qr = check_pdf(flip(pdf, position), trust)
        assert isinstance(check, verification.PdfCheck)


def test_check_pdf_validates_at_the_moment_given(issue_act):
    """The seal certificate is checked at the verifier's time: long after it expired, the seal is not trusted."""
    pdf = pdf_of(issue_act())
    check, _qr = check_pdf(pdf, verification.current_trust_list(), now=datetime(2200, 1, 1, tzinfo=UTC))
    assert check.intact and check.reason == "untrusted"
