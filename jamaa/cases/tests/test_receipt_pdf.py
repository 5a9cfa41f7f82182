"""The dated receipt PDF, read back with poppler's own tools (pdftotext, pdfinfo): what a citizen sees and copies."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jamaa.cases.models import Attachment, Case, CaseState
from jamaa.cases.receipt import render_receipt_pdf
from jamaa.core import tenancy

ARABIC_NAME = "فاطمة الزهراء بناني"
MARKUP = 'Ali #set text(red) $x$ *b* [c] \\ "q" <l> @ref // x'
# Bidi controls poppler adds around right-to-left runs, and the isolates the receipt puts around user text.
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install poppler-utils (`make test` does it through scripts/lib.sh).")
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The text layer as `pdftotext -layout` gives it (logical order for Arabic), with whitespace collapsed."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([_tool("pdftotext"), "-layout", "-enc", "UTF-8", str(path), "-"],
                         check=True, capture_output=True, text=True).stdout
    return " ".join(BIDI_CONTROLS.sub("", out).split())


def pdf_lines(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([_tool("pdftotext"), "-layout", "-enc", "UTF-8", str(path), "-"],
                         check=True, capture_output=True, text=True).stdout
    return [" ".join(BIDI_CONTROLS.sub("", line).split()) for line in out.splitlines()]


def pdf_info(pdf: bytes, tmp_path: Path, *extra: str) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run([_tool("pdfinfo"), *extra, str(path)], check=True, capture_output=True, text=True).stdout


def in_language(code: str, text: str) -> str:
    with translation.override(code):
        return " ".join(_(text).split())


LETTERS = "\u0621-\u065f\u066e-\u06ef"  # Arabic letters and marks, without Arabic punctuation
ARABIC = re.compile(f"[{LETTERS}]")
# A run of Arabic words (logical order inside), or a piece of anything else between spaces and Arabic letters.
PIECES = re.compile(f"[{LETTERS}]+(?: +[{LETTERS}]+)*|[^\\s{LETTERS}]+")


def shows(text: str, expected: str) -> bool:
    """Whether the extracted text shows `expected`. pdftotext gives Arabic in logical order within a run of Arabic
    words, but splits a line at digits and punctuation and prints the pieces in visual order: Arabic text with
    numbers or punctuation is checked piece by piece."""
    if not ARABIC.search(expected):
        return expected in text
    pieces = (piece.strip(".,،:؛()") for piece in PIECES.findall(expected))
    return all(piece in text for piece in pieces if piece)


@pytest.fixture
def arabic_citizen(world):
    from jamaa.core.models import User

    return User.objects.create_user("+212698765432", world.password, full_name=ARABIC_NAME, contact_verified=True,
                                    signup_commune=world.sale)


def make_case(world, procedure, citizen, *, applicant_name: str = "", files: list[tuple[str, str]] = (),
              number: int = 123) -> Case:
    """A submitted case as the submission service leaves it (reference, tracking code, deadline, due date)."""
    with tenancy.unscoped():
        # No Arabic comma: pdftotext -layout splits an Arabic line at neutral punctuation and prints the pieces in
        # visual order (a limit of poppler's text extraction, not of the file).
        world.sale.address_ar = "شارع محمد الخامس سلا"
        world.sale.address_fr = "Avenue Mohammed V, Salé"
        world.sale.save()
        case = Case.all_communes.create(
            commune=world.sale, reference=f"SAL-2026-{number:06d}", year=2026, number=number, procedure=procedure,
            department=procedure.department, state=CaseState.SUBMITTED, citizen=citizen,
            applicant_name=applicant_name or citizen.full_name, tracking_code="ABCDEFGHJK",
            deadline_amount=procedure.effective_deadline_amount, deadline_unit=procedure.effective_deadline_unit,
            legal_basis=procedure.procedure.legal_basis_fr,
            silence_means_approval=procedure.procedure.silence_means_approval,
            # 13:30 UTC is 14:30 in Morocco (UTC+1).
            submitted_at=datetime(2026, 1, 5, 13, 30, tzinfo=UTC), due_date=date(2026, 1, 12),
        )
        for i, (code, name) in enumerate(files):
            Attachment.all_communes.create(
                commune=world.sale, case=case, document_code=code, token=f"tok{number}x{i}", file=f"cases/x/{i}",
                original_name=name, content_type="application/pdf", size=1000, sha256="0" * 64,
                created_at=datetime(2026, 1, 5, 13, 29, i, tzinfo=UTC))
    return case


@pytest.fixture
def residence_case(world, procedures, arabic_citizen) -> Case:
    return make_case(world, procedures.sale_residence, arabic_citizen,
                     files=[("proof", "facture-lydec.pdf"), ("lease", "عقد الكراء.pdf")])


@pytest.mark.parametrize("language", ["ar", "fr", "zgh"])
def test_the_receipt_is_a_one_page_pdf_a_in_each_language(residence_case, language, tmp_path):
    pdf = render_receipt_pdf(residence_case, language=language)

    assert pdf.startswith(b"%PDF-1.7")
    info = pdf_info(pdf, tmp_path)
    assert re.search(r"^Pages:\s+1$", info, re.M)
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)$", info, re.M)
    metadata = pdf_info(pdf, tmp_path, "-meta")
    assert "<pdfaid:part>2</pdfaid:part>" in metadata
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in metadata


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_receipt_shows_the_commune_reference_applicant_dates_and_code(residence_case, language, tmp_path):
    text = pdf_text(render_receipt_pdf(residence_case, language=language), tmp_path)

    assert "SAL-2026-000123" in text
    assert "سلا" in text and "Salé" in text
    assert "شارع محمد الخامس سلا" in text and "Avenue Mohammed V, Salé" in text
    assert ARABIC_NAME in text
    assert "شهادة السكنى" in text and "Certificat de résidence" in text
    assert "05/01/2026 14:30" in text  # received, Morocco time
    assert "12/01/2026" in text  # due date
    assert "ABCDE-FGHJK" in text
    track = "http://sale.localhost/fr/track/" if language == "fr" else "http://sale.localhost/track/"
    assert track in text
    assert shows(text, "facture-lydec.pdf") and shows(text, "عقد الكراء.pdf")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_receipt_states_the_deadline_its_basis_and_its_suspension(residence_case, language, tmp_path):
    text = pdf_text(render_receipt_pdf(residence_case, language=language), tmp_path)

    for code in ("ar", "fr"):
        with translation.override(code):
            assert shows(text, ngettext("%(count)d working day", "%(count)d working days", 5) % {"count": 5})
        assert shows(text, in_language(code, "If your file is incomplete, it may be returned to you once for "
                                             "completion, listing everything missing. The deadline is then suspended, "
                                             "and resumes when you complete the file."))
    assert shows(text, "القانون 55.19") and "Loi 55-19 relative à la simplification" in text
    assert not shows(text, in_language("fr", "For this procedure, no answer by the due date means your request is "
                                             "approved."))


def test_silence_means_approval_is_printed_where_the_procedure_says_so(world, procedures, arabic_citizen, tmp_path):
    case = make_case(world, procedures.sale_building, arabic_citizen, number=124)

    text = pdf_text(render_receipt_pdf(case, language="fr"), tmp_path)

    assert in_language("fr", "For this procedure, no answer by the due date means your request is approved.") in text
    with translation.override("fr"):
        assert ngettext("%(count)d calendar day", "%(count)d calendar days", 30) % {"count": 30} in text


def test_the_requested_language_comes_first(residence_case, tmp_path):
    def order(language: str) -> tuple[int, int]:
        lines = pdf_lines(render_receipt_pdf(residence_case, language=language), tmp_path)
        arabic = next(i for i, line in enumerate(lines) if "شهادة السكنى" in line)
        french = next(i for i, line in enumerate(lines) if "Certificat de résidence" in line)
        return arabic, french

    arabic, french = order("ar")
    assert arabic < french
    arabic, french = order("fr")
    assert french < arabic


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_markup_in_names_prints_as_typed(world, procedures, arabic_citizen, language, tmp_path):
    case = make_case(world, procedures.sale_residence, arabic_citizen, applicant_name=MARKUP, number=125,
                     files=[("proof", '#image("/etc/passwd") $1$ *a* [b] \\ "c" <d>.pdf')])

    text = pdf_text(render_receipt_pdf(case, language=language), tmp_path)

    assert MARKUP in text
    assert '#image("/etc/passwd") $1$ *a* [b] \\ "c" <d>.pdf' in text


def test_the_same_case_gives_the_same_file(residence_case):
    first = render_receipt_pdf(residence_case, language="ar")
    assert render_receipt_pdf(residence_case, language="ar") == first
    assert render_receipt_pdf(residence_case, language="fr") != first


def test_an_unknown_language_falls_back_to_arabic_first(residence_case, tmp_path):
    assert render_receipt_pdf(residence_case, language="xx") == render_receipt_pdf(residence_case, language="ar")


def test_a_draft_has_no_receipt(world, procedures, arabic_citizen):
    with tenancy.unscoped():
        draft = Case.all_communes.create(commune=world.sale, procedure=procedures.sale_residence,
                                         citizen=arabic_citizen)

    with pytest.raises(ValueError, match="draft"):
        render_receipt_pdf(draft, language="ar")
