"""An issued act checked by tools that share no code with ours (issue 4, section 5): poppler's pdfsig, pdftotext,
pdfdetach and pdftoppm, NSS's certutil, the zxing-cpp QR reader; and the QR payload attacked claim by claim."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import cbor2
import pytest
import zxingcpp
from django.conf import settings
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from jamaa.documents import issuance, keys, payload, verification
from jamaa.documents.tests.conftest import ADDRESS_AR, CIN, HOLDER_AR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_trust_list")]

BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")



def run(*args: str) -> subprocess.CompletedProcess[str]:
    path = shutil.which(args[0])
    if path is None:
        pytest.fail(f"{args[0]} is missing: install poppler-utils / libnss3-tools (scripts/lib.sh does it).")
    return subprocess.run([path, *args[1:]], capture_output=True, text=True, check=False)


@pytest.fixture
def nss_db(tmp_path: Path) -> str:
    """A temporary NSS database trusting the development trust anchor for signatures (",C,", see test_seal.py)."""
    db = tmp_path / "nss"
    db.mkdir()
    spec = f"sql:{db}"
    root = Path(settings.DOCUMENT_DEV_PKI_DIR) / "root.pem"
    for args in (("certutil", "-N", "-d", spec, "--empty-password"),
                 ("certutil", "-A", "-n", "jamaa-root", "-t", ",C,", "-i", str(root), "-d", spec)):
        result = run(*args)
        assert result.returncode == 0, result.stderr
    return spec


def text_of(path: Path) -> str:
    out = run("pdftotext", "-layout", "-enc", "UTF-8", str(path), "-")
    assert out.returncode == 0, out.stderr
    return " ".join(BIDI_CONTROLS.sub("", out.stdout).split())


# ---- poppler and NSS

def test_pdfsig_reports_the_seal_valid_over_the_whole_document(act_file):
    _document, path = act_file
    out = run("pdfsig", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("Signature #") == 1
    assert "Signature Validation: Signature is Valid." in out.stdout
    assert "Total document signed" in out.stdout
    assert "Salé — cachet électronique" in out.stdout
    assert "Certificate is Trusted" not in out.stdout  # nothing on this machine trusts the development anchor


def test_pdfsig_trusts_the_seal_once_the_dev_anchor_is_imported(act_file, nss_db):
    _document, path = act_file
    out = run("pdfsig", "-nssdir", nss_db, str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Signature is Valid." in out.stdout and "Total document signed" in out.stdout
    assert "Certificate Validation: Certificate is Trusted." in out.stdout


def words(text: str) -> list[str]:
    """The words of `text` without bidi controls; a number is a word of its own (poppler may drop the space
    between a number and an Arabic word when it reorders them)."""
    text = re.sub(r"(?<=\d)(?=[^\d\s])|(?<=[^\d\s])(?=\d)", " ", BIDI_CONTROLS.sub("", text))
    return text.split()


def value_box(path: Path, word: str) -> tuple[float, float, float, float]:
    """The box (x, y, width, height, in points) of the table cell line where pdftotext finds the Arabic `word`
    (its bounding-box mode lists the letters of a word in visual order, hence the reversal)."""
    out = run("pdftotext", "-bbox-layout", str(path), "-")
    assert out.returncode == 0, out.stderr
    root = ElementTree.fromstring(re.sub(r'xmlns="[^"]+"', "", out.stdout, count=1))
    for line in root.iter("line"):
        value = list(line.iter("word"))
        if not any(w.text == word[::-1] for w in value):
            continue
        x0, y0 = min(float(w.get("xMin")) for w in value), min(float(w.get("yMin")) for w in value)
        x1, y1 = max(float(w.get("xMax")) for w in value), max(float(w.get("yMax")) for w in value)
        return x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2
    raise AssertionError(f"{word!r} is not in the text layer")


def test_pdftotext_gives_the_arabic_holder_and_address_in_logical_order(act_file):
    document, path = act_file
    text = text_of(path)
    assert HOLDER_AR in text
    assert CIN in text and document.reference in text
    assert "حي الرحمة زنقة" in text and "رقم" in text
    # pdftotext orders the runs of a line by the page's main direction (it counts Latin against Arabic letters),
    # so an Arabic address with numbers comes out in logical order when it is read on its own, as a verifier
    # copying it would select it.
    x, y, width, height = value_box(path, "زنقة")
    crop = ("-x", str(int(x)), "-y", str(int(y)), "-W", str(int(width) + 1), "-H", str(int(height) + 1))
    out = run("pdftotext", "-layout", "-enc", "UTF-8", *crop, str(path), "-")
    assert words(out.stdout) == words(ADDRESS_AR)


def test_the_sealed_act_is_pdfa_3b_with_its_attachments(act_file):
    _document, path = act_file
    data = path.read_bytes()
    assert data.startswith(b"%PDF-1.7\n")
    root = PdfFileReader(path.open("rb"), strict=False).root
    assert str(root.get("/Version", "/1.7")) != "/2.0"
    assert not re.search(rb"/Version\s*/2", data)
    info = run("pdfinfo", str(path)).stdout
    assert re.search(r"PDF version:\s+1\.7", info)
    xmp = run("pdfinfo", "-meta", str(path)).stdout
    assert re.search(r"pdfaid:part(>|=\")3", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp
    listing = run("pdfdetach", "-list", str(path)).stdout
    assert "act.json" in listing and "qr.txt" in listing


def test_the_embedded_qr_text_is_the_documents_qr(act_file, tmp_path):
    document, path = act_file
    out_dir = tmp_path / "attachments"
    out_dir.mkdir()
    assert run("pdfdetach", "-saveall", "-o", str(out_dir), str(path)).returncode == 0
    assert (out_dir / "qr.txt").read_text() == document.qr_url


# ---- a QR reader

def test_a_qr_reader_decodes_the_printed_code_and_the_url_verifies(act_file, tmp_path):
    document, path = act_file
    prefix = tmp_path / "page"
    result = run("pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(prefix))
    assert result.returncode == 0, result.stderr
    image = Image.open(next(tmp_path.glob("page*.png")))
    codes = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1
    url = codes[0].text
    assert url == document.qr_url and url.startswith("HTTP")
    verified = verification.verify_qr(url)
    assert verified.status == "valid" and verified.document == document
    assert verified.claims is not None and verified.claims.holder == HOLDER_AR
    assert verified.issuer is not None and verified.issuer.code == "SAL"


# ---- the payload, attacked

def _reencode(url: str, change) -> str:
    """The QR URL with its COSE_Sign1 changed by `change(message)` and encoded again, not signed again."""
    message = cbor2.loads(payload.decode_url(url))
    change(message.value)
    origin = url[: url.index(payload.VERIFY_PATH)]
    return payload.encode_url(origin, cbor2.dumps(message))


def test_a_payload_with_one_claim_changed_fails_as_bad_signature(issue_act):
    document = issue_act()

    def other_holder(sign1: list) -> None:
        claims = cbor2.loads(sign1[2])
        claims[payload.CLAIM_HOLDER] = "سعيد العلوي"
        sign1[2] = cbor2.dumps(claims)

    tampered = _reencode(document.qr_url, other_holder)
    assert tampered != document.qr_url
    result = verification.verify_qr(tampered)
    assert result.status == "invalid" and result.reason == "bad_signature" and result.claims is None

    def later_expiry(sign1: list) -> None:
        claims = cbor2.loads(sign1[2])
        claims[payload.CLAIM_EXPIRES_AT] += 365 * 24 * 3600
        sign1[2] = cbor2.dumps(claims)

    assert verification.verify_qr(_reencode(document.qr_url, later_expiry)).reason == "bad_signature"


def test_a_payload_signed_by_an_unknown_key_fails_as_unknown_key(issue_act):
    document = issue_act()
    genuine = payload.verify(payload.decode_url(document.qr_url), trust_list=verification.current_trust_list())
    stranger = keys.generate_private_key()
    forged = payload.encode_url("http://sale.localhost", payload.sign_payload(
        genuine.claims, private_key=stranger, kid=keys.key_id(stranger.public_key())))
    result = verification.verify_qr(forged)
    assert result.status == "invalid" and result.reason == "unknown_key"
    # Claiming the genuine key id does not help: the signature does not match it.
    impostor = payload.encode_url("http://sale.localhost", payload.sign_payload(
        genuine.claims, private_key=stranger, kid=genuine.kid))
    assert verification.verify_qr(impostor).reason == "bad_signature"


def test_garbage_in_the_qr_url_fails_as_malformed(world):
    for text in ("", "hello", "HTTP://SALE.LOCALHOST/V/", "HTTP://SALE.LOCALHOST/V/AAAA",
                 "HTTP://SALE.LOCALHOST/V/" + "A" * 20000,
                 payload.encode_url("http://sale.localhost", zlib.compress(b"x") + b"y")):
        result = verification.verify_qr(text)
        assert result.status == "invalid" and result.reason == "malformed", text


def test_an_act_verified_after_its_expiry_says_expired(issue_act):
    document = issue_act()
    assert document.expires_at is not None
    before = verification.verify_qr(document.qr_url, now=document.expires_at - timedelta(hours=1))
    after = verification.verify_qr(document.qr_url, now=document.expires_at + timedelta(seconds=1))
    assert before.status == "valid"
    assert after.status == "expired" and after.is_authentic and after.claims.holder == HOLDER_AR


def test_a_revoked_act_verifies_as_revoked_from_its_qr_and_its_pdf(issue_act, world):
    document = issue_act()
    issuance.document_revoke(document=document, actor=world.agent_sale, reason="Fausse déclaration d'adresse")
    result = verification.verify_qr(document.qr_url)
    assert result.status == "revoked" and result.is_authentic and result.document == document
    with document.pdf.open("rb") as file:
        from_pdf = verification.verify_pdf(file.read())
    assert from_pdf.status == "revoked" and from_pdf.pdf is not None and from_pdf.pdf.ok
    # Offline, without the registry, the same QR still reads as authentic: revocation is only known online.
    offline = verification.verify_claims_offline(document.qr_url, verification.current_trust_list())
    assert offline.status == "valid" and not offline.registry_checked
