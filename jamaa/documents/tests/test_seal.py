"""A sealed act read back with independent tools: poppler's pdfsig, pdfdetach, pdftotext and NSS's certutil."""

from __future__ import annotations

import json
import re
import shutil
import stat
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from jamaa.documents.pdf import act_json, qr_svg, render_act_pdf
from jamaa.documents.seal import DevPki, ensure_dev_pki, load_file_signer, seal_pdf, seal_with

HOLDER_AR = "فاطمة الزهراء بناني"
HOLDER_FR = "Fatima Zahra Bennani"
ISSUED_AT = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install poppler-utils / libnss3-tools (scripts/lib.sh does it).")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool(args[0]), *args[1:]], capture_output=True, text=True, check=False)


# Labels live in the test data for now: this step adds no translatable strings.
def act_data() -> tuple[dict[str, Any], dict[str, Any]]:
    display = {
        "langs": [{"code": "ar", "dir": "rtl"}, {"code": "fr", "dir": "ltr"}],
        "colour": "#0b5d3b",
        "document_title": "Certificat de résidence RC-2026-000123",
        "reference": "RC-2026-000123",
        "issued": "27/11/2026",
        "valid_until": "27/02/2027",
        "commune": {"name_ar": "جماعة سلا", "name_fr": "Commune de Salé",
                    "address_ar": "شارع محمد الخامس سلا", "address_fr": "Avenue Mohammed V, Salé"},
        "title": {"ar": "شهادة السكنى", "fr": "Certificat de résidence"},
        "intro": {"ar": "يشهد رئيس جماعة سلا أن الشخص المذكور أسفله يقيم بالعنوان التالي",
                  "fr": "Le président de la commune de Salé certifie que la personne ci-dessous réside à "
                        "l'adresse suivante."},
        "labels": {"reference": {"ar": "المرجع", "fr": "Référence"},
                   "issued": {"ar": "تاريخ الإصدار", "fr": "Délivré le"},
                   "valid_until": {"ar": "صالحة إلى غاية", "fr": "Valable jusqu'au"},
                   "qr": {"ar": "امسح للتحقق", "fr": "Scanner pour vérifier"}},
        "rows": [
            {"label": {"ar": "الاسم الكامل", "fr": "Nom complet"}, "value": {"kind": "user", "text": HOLDER_AR},
             "strong": True},
            {"label": {"ar": "الاسم بالحروف اللاتينية", "fr": "Nom (latin)"},
             "value": {"kind": "user", "text": HOLDER_FR}},
            {"label": {"ar": "رقم البطاقة الوطنية", "fr": "N° CNIE"}, "value": {"kind": "code", "text": "AB123456"}},
            {"label": {"ar": "العنوان", "fr": "Adresse"},
             "value": {"kind": "user", "text": "حي الرحمة زنقة 12 رقم 5 سلا"}},
        ],
        "notes": [{"ar": "هذه الوثيقة مختومة إلكترونيا", "fr": "Ce document porte le cachet électronique de la "
                                                              "commune."}],
    }
    act = {"kind": "residence_certificate", "commune": "sale", "reference": "RC-2026-000123",
           "holder": {"name_ar": HOLDER_AR, "name_fr": HOLDER_FR, "cnie": "AB123456"},
           "address": "حي الرحمة زنقة 12 رقم 5 سلا", "issued": "2026-11-27", "valid_until": "2027-02-27"}
    return display, act


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return ensure_dev_pki(tmp_path_factory.mktemp("pki") / "seals", ["sale", "rabat"],
                          {"sale": "Commune de Salé", "rabat": "Commune de Rabat"})


def render() -> bytes:
    display, act = act_data()
    return render_act_pdf(display, act=act, issued_at=ISSUED_AT, qr=qr_svg("HTTPS://SALE.EXAMPLE.MA/V/PLACEHOLDER"))


def seal(pdf: bytes, pki: DevPki) -> bytes:
    files = pki.seals["sale"]
    return seal_pdf(pdf, key_path=files.key, cert_path=files.cert, chain=pki.chain())


@pytest.fixture(scope="module")
def sealed(pki: DevPki) -> bytes:
    return seal(render(), pki)


@pytest.fixture
def sealed_file(sealed: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "act.pdf"
    path.write_bytes(sealed)
    return path


@pytest.fixture
def nss_db(pki: DevPki, tmp_path: Path) -> str:
    """A temporary NSS database that trusts the development root, as a verifier who imported it.

    The trust flags are SSL,email,object-signing: poppler checks a signer for the e-mail signer usage, so the root
    must be trusted in the second column (",C,"); "C,," trusts it for TLS only and pdfsig says "issuer isn't
    Trusted"."""
    db = tmp_path / "nss"
    db.mkdir()
    spec = f"sql:{db}"
    for args in (("certutil", "-N", "-d", spec, "--empty-password"),
                 ("certutil", "-A", "-n", "root", "-t", ",C,", "-i", str(pki.root_cert), "-d", spec)):
        result = run(*args)
        assert result.returncode == 0, result.stderr
    return spec


def test_dev_pki_is_created_once_with_private_keys(pki: DevPki) -> None:
    before = {p.name: p.read_bytes() for p in pki.directory.iterdir()}
    again = ensure_dev_pki(pki.directory, ["sale", "rabat"])
    assert {p.name: p.read_bytes() for p in pki.directory.iterdir()} == before
    assert again.seals == pki.seals
    for path in (pki.root_key, *(s.key for s in pki.seals.values())):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(pki.seals["sale"].cert.read_bytes())
    root = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == \
        "Commune de Salé — cachet électronique"
    assert cert.issuer == root.subject
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # A commune added later gets its seal from the same root.
    more = ensure_dev_pki(pki.directory, ["sale", "tanger"])
    assert more.root_cert.read_bytes() == before["root.pem"]
    assert more.seals["tanger"].cert.exists()
    with pytest.raises(ValueError):
        ensure_dev_pki(pki.directory, ["../evil"])


def test_pdfsig_reports_valid_seal_over_whole_document(sealed_file: Path) -> None:
    out = run("pdfsig", str(sealed_file))
    print(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Signature #1" in out.stdout
    assert "Signature Validation: Signature is Valid." in out.stdout
    assert "Total document signed" in out.stdout
    assert "Commune de Salé — cachet électronique" in out.stdout
    assert "SHA256" in out.stdout.replace("-", "")
    assert "ETSI.CAdES.detached" in out.stdout
    # Without the trust anchor the signer is not trusted: nothing on this machine trusts the development root.
    assert "Certificate is Trusted" not in out.stdout


def test_pdfsig_trusts_the_seal_once_the_root_is_imported(sealed_file: Path, nss_db: str) -> None:
    out = run("pdfsig", "-nssdir", nss_db, str(sealed_file))
    print(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Signature is Valid." in out.stdout
    assert "Certificate Validation: Certificate is Trusted." in out.stdout


def test_one_changed_byte_breaks_the_seal(sealed: bytes, tmp_path: Path) -> None:
    display, _act = act_data()
    needle = display["reference"].encode()
    # A byte inside the signed content (not inside the signature's own hex string): the reference in the metadata.
    position = sealed.index(needle)
    tampered = bytearray(sealed)
    tampered[position] ^= 0x01
    path = tmp_path / "tampered.pdf"
    path.write_bytes(bytes(tampered))
    out = run("pdfsig", str(path))
    print(out.stdout)
    assert "Signature is Valid." not in out.stdout
    assert "Signature Validation: Digest Mismatch." in out.stdout or out.returncode != 0


def test_sealed_file_stays_pdf_17_and_pdfa_3b(sealed: bytes, sealed_file: Path) -> None:
    assert sealed.startswith(b"%PDF-1.7\n")
    # The seal is an incremental update: no catalog /Version may raise the file to PDF 2.0.
    assert b"/Version /2.0" not in sealed and b"/Version/2.0" not in sealed
    assert not re.search(rb"/Version\s*/2", sealed)
    info = run("pdfinfo", str(sealed_file)).stdout
    assert re.search(r"PDF version:\s+1\.7", info)
    xmp = run("pdfinfo", "-meta", str(sealed_file)).stdout
    assert re.search(r"pdfaid:part(>|=\")3", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp


def test_embedded_act_json_can_be_extracted(sealed_file: Path, tmp_path: Path) -> None:
    listing = run("pdfdetach", "-list", str(sealed_file)).stdout
    assert "act.json" in listing
    out_dir = tmp_path / "attachments"
    out_dir.mkdir()
    result = run("pdfdetach", "-saveall", "-o", str(out_dir), str(sealed_file))
    assert result.returncode == 0, result.stderr
    data = (out_dir / "act.json").read_bytes()
    _display, act = act_data()
    assert data == act_json(act)
    assert json.loads(data)["holder"]["name_ar"] == HOLDER_AR


def test_arabic_holder_name_in_logical_order(sealed_file: Path) -> None:
    out = run("pdftotext", "-layout", "-enc", "UTF-8", str(sealed_file), "-").stdout
    text = " ".join(BIDI_CONTROLS.sub("", out).split())
    assert HOLDER_AR in text
    assert "شهادة السكنى" in text
    assert HOLDER_FR in text and "RC-2026-000123" in text and "AB123456" in text


def test_same_act_renders_to_same_bytes() -> None:
    assert render() == render()


def test_render_and_seal_time(pki: DevPki) -> None:
    """Issuance time (render + seal), median of 10 — reported, not asserted (the machine is shared)."""
    files = pki.seals["sale"]
    start = time.perf_counter()
    signer = load_file_signer(key_path=files.key, cert_path=files.cert, chain=pki.chain())
    print(f"load_file_signer (RSA 3072 key parsed once): {(time.perf_counter() - start) * 1000:.1f} ms")
    render()  # warm the compiler
    timings: dict[str, list[float]] = {"render": [], "seal_pdf (files, cached signer)": [], "seal (signer reused)": [],
                                       "render + seal (signer reused)": []}
    for _ in range(10):
        start = time.perf_counter()
        pdf = render()
        rendered = time.perf_counter()
        seal(pdf, pki)
        sealed_once = time.perf_counter()
        seal_with(pdf, signer)
        done = time.perf_counter()
        timings["render"].append(rendered - start)
        timings["seal_pdf (files, cached signer)"].append(sealed_once - rendered)
        timings["seal (signer reused)"].append(done - sealed_once)
        timings["render + seal (signer reused)"].append((rendered - start) + (done - sealed_once))
    for name, values in timings.items():
        print(f"{name}: median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms")
