"""The dated receipt PDF, read back with poppler's own tools (pdftotext, pdfinfo): what a citizen sees and copies."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jamaa.cases import receipt, services
from jamaa.cases.models import Case, CaseChannel
from jamaa.cases.receipt import render_receipt_pdf
from jamaa.cases.tests.service_fixtures import pdf_upload
from jamaa.core import tenancy

ARABIC_NAME = "فاطمة الزهراء بناني"
MARKUP = 'Ali #set text(red) $x$ *b* [c] \\ "q" <l> @ref // x'
FILE_MARKUP = '#image("passwd") $1$ *a* [b] _c_ "d" <e> = f.pdf'  # no slash: the upload keeps only the base name
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
HARAKAT = re.compile("[\u064b-\u0652\u0670]")
# A run of Arabic words (logical order inside), or a piece of anything else between spaces and Arabic letters.
PIECES = re.compile(f"[{LETTERS}]+(?: +[{LETTERS}]+)*|[^\\s{LETTERS}]+")


def shows(text: str, expected: str) -> bool:
    """Whether the extracted text shows `expected`. pdftotext gives Arabic in logical order within a run of Arabic
    words, but splits a line at digits and punctuation and prints the pieces in visual order: Arabic text with
    numbers or punctuation is checked piece by piece."""
    if not ARABIC.search(expected):
        return expected in text
    # Short vowels and shadda are combining marks that the text layer may place differently: compare the letters.
    expected, text = HARAKAT.sub("", expected), HARAKAT.sub("", text)
    pieces = (piece.strip(".,،:؛()") for piece in PIECES.findall(expected))
    return all(piece in text for piece in pieces if piece)


def make_citizen(world, full_name: str, phone: str = "+212698765432"):
    from jamaa.core.models import User

    return User.objects.create_user(phone, world.password, full_name=full_name, contact_verified=True,
                                    signup_commune=world.sale)


@pytest.fixture
def arabic_citizen(world):
    return make_citizen(world, ARABIC_NAME)


@pytest.fixture
def sale_address(world):
    with tenancy.unscoped():
        # No Arabic comma: pdftotext -layout splits an Arabic line at neutral punctuation and prints the pieces in
        # visual order (a limit of poppler's text extraction, not of the file).
        world.sale.address_ar = "شارع محمد الخامس سلا"
        world.sale.address_fr = "Avenue Mohammed V, Salé"
        world.sale.save()
    return world.sale


def submit(world, procedure, citizen, data, files=()) -> Case:
    """A request submitted through the real service, as the citizen's form does."""
    with tenancy.scope(world.sale):
        case = services.case_submit(commune=world.sale, procedure=procedure, data=data, files=list(files),
                                    citizen=citizen, language="ar")
        return Case.objects.select_related("commune", "procedure__procedure", "department", "citizen").get(pk=case.pk)


def local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo("Africa/Casablanca"))


@pytest.fixture
def residence_case(world, procedures, arabic_citizen, sale_address, citizen_answers, citizen_private_media) -> Case:
    return submit(world, procedures.sale_residence, arabic_citizen, citizen_answers,
                  files=[("doc__proof", pdf_upload("facture-lydec.pdf")), ("doc__lease", pdf_upload("عقد الكراء.pdf"))])


@pytest.mark.parametrize("language", ["ar", "fr", "zgh"])
def test_the_receipt_is_a_pdf_a_on_an_a4_page_in_each_language(residence_case, language, tmp_path):
    pdf = render_receipt_pdf(residence_case, language=language)

    assert pdf.startswith(b"%PDF-1.7")
    info = pdf_info(pdf, tmp_path)
    # Arabic and French fit on one page; Tamazight adds a third language and may need a second.
    assert re.search(r"^Pages:\s+1$" if language != "zgh" else r"^Pages:\s+[12]$", info, re.M)
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)$", info, re.M)
    metadata = pdf_info(pdf, tmp_path, "-meta")
    assert "<pdfaid:part>2</pdfaid:part>" in metadata
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in metadata


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_receipt_shows_the_commune_reference_applicant_dates_and_code(residence_case, language, tmp_path):
    text = pdf_text(render_receipt_pdf(residence_case, language=language), tmp_path)

    assert re.fullmatch(r"SAL-\d{4}-000001", residence_case.reference)
    assert residence_case.reference in text
    assert "سلا" in text and "Salé" in text and "ⵙⵍⴰ" in text
    assert "شارع محمد الخامس سلا" in text and "Avenue Mohammed V, Salé" in text
    assert ARABIC_NAME in text
    assert "شهادة السكنى" in text and "Certificat de résidence" in text
    assert local(residence_case.submitted_at).strftime("%d/%m/%Y %H:%M") in text  # received, Morocco time
    assert residence_case.due_date.strftime("%d/%m/%Y") in text
    code = residence_case.tracking_code
    assert f"{code[:5]}-{code[5:]}" in text
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


def test_a_request_filed_at_the_counter_names_the_applicant_typed_there(world, procedures, citizen_answers,
                                                                        citizen_private_media, tmp_path):
    with tenancy.scope(world.sale):
        case = services.case_submit(
            commune=world.sale, procedure=procedures.sale_residence, data=citizen_answers,
            files=[("doc__proof", pdf_upload())], citizen=None, channel=CaseChannel.COUNTER,
            applicant_name="محمد العلوي", applicant_phone="0661234567", actor=world.agent_sale, language="ar")

    text = pdf_text(render_receipt_pdf(case, language="ar"), tmp_path)

    assert "محمد العلوي" in text
    assert case.reference in text


def test_the_tracking_code_copies_without_spaces(residence_case, tmp_path):
    # Kerning pairs (AV, WA, YT, AJ) and digits: the code must still come out of the PDF in one piece.
    Case.all_communes.filter(pk=residence_case.pk).update(tracking_code="AVAWAYT7JV")
    residence_case.refresh_from_db()

    for language in ("ar", "fr"):
        assert "AVAWA-YT7JV" in pdf_text(render_receipt_pdf(residence_case, language=language), tmp_path)


def test_the_time_of_receipt_is_morocco_time(residence_case, tmp_path):
    # 13:30 UTC on a Monday of January is 14:30 in Morocco (UTC+1).
    Case.all_communes.filter(pk=residence_case.pk).update(submitted_at=datetime(2026, 1, 5, 13, 30, tzinfo=UTC))
    residence_case.refresh_from_db()

    text = pdf_text(render_receipt_pdf(residence_case, language="fr"), tmp_path)

    assert "05/01/2026 14:30" in text


def test_silence_means_approval_is_printed_where_the_procedure_says_so(world, procedures, arabic_citizen,
                                                                       citizen_private_media, tmp_path):
    case = submit(world, procedures.sale_building, arabic_citizen, {"parcel": "T-12345/20"})

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


def test_in_tamazight_a_name_without_a_tamazight_version_is_not_repeated(residence_case, procedures, tmp_path):
    text = pdf_text(render_receipt_pdf(residence_case, language="zgh"), tmp_path)
    assert text.count("شهادة السكنى") == 1

    procedures.residence.name_zgh = "ⵜⴰⵙⵉⵏⴰⴳⵜ ⵏ ⵜⵉⵏⵣⴷⵉⵖⵜ"
    procedures.residence.save()
    residence_case.refresh_from_db()
    lines = pdf_lines(render_receipt_pdf(residence_case, language="zgh"), tmp_path)
    # Where poppler judges a page right-to-left (the Arabic text outweighs the rest), it prints left-to-right
    # Tifinagh runs reversed: the page itself shows them in order (checked on the rendered image).
    name = "ⵜⴰⵙⵉⵏⴰⴳⵜ ⵏ ⵜⵉⵏⵣⴷⵉⵖⵜ"
    tamazight = next(i for i, line in enumerate(lines) if name in line or name[::-1] in line)
    arabic = next(i for i, line in enumerate(lines) if "شهادة السكنى" in line)
    assert tamazight < arabic


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_markup_in_names_prints_as_typed(world, procedures, citizen_answers, citizen_private_media, language,
                                         tmp_path):
    citizen = make_citizen(world, MARKUP, phone="+212661234567")
    case = submit(world, procedures.sale_residence, citizen, citizen_answers,
                  files=[("doc__proof", pdf_upload(FILE_MARKUP))])

    text = pdf_text(render_receipt_pdf(case, language=language), tmp_path)

    assert MARKUP in text
    assert FILE_MARKUP in text


def test_only_the_fonts_shipped_in_the_repository_are_embedded(residence_case, tmp_path):
    path = tmp_path / "fonts.pdf"
    path.write_bytes(render_receipt_pdf(residence_case, language="zgh"))
    out = subprocess.run([_tool("pdffonts"), str(path)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]

    shipped = {p.stem for p in (Path(receipt.__file__).parent.parent / "core" / "fonts").glob("*.ttf")}
    assert {row[0].split("+", 1)[1] for row in rows} == shipped
    assert all(row[-5] == "yes" for row in rows)  # embedded


def test_direction_controls_in_a_name_do_not_reorder_the_receipt(world, procedures, citizen_answers,
                                                                 citizen_private_media, tmp_path):
    # U+202E (right-to-left override) and U+2069 (end of isolate) typed into a name.
    citizen = make_citizen(world, "Ali \u2069\u202eBennani 2026", phone="+212661234568")
    case = submit(world, procedures.sale_residence, citizen, citizen_answers, files=[("doc__proof", pdf_upload())])

    text = pdf_text(render_receipt_pdf(case, language="ar"), tmp_path)

    assert "Ali Bennani 2026" in text


def test_the_same_case_gives_the_same_file(residence_case):
    first = render_receipt_pdf(residence_case, language="ar")
    assert render_receipt_pdf(residence_case, language="ar") == first
    assert render_receipt_pdf(residence_case, language="fr") != first


def test_an_unknown_language_falls_back_to_arabic_first(residence_case, tmp_path):
    assert render_receipt_pdf(residence_case, language="xx") == render_receipt_pdf(residence_case, language="ar")


def test_a_draft_has_no_receipt(world, procedures, arabic_citizen, citizen_answers, citizen_private_media):
    with tenancy.scope(world.sale):
        draft = services.draft_save(commune=world.sale, citizen=arabic_citizen, procedure=procedures.sale_residence,
                                    data=citizen_answers)

    with pytest.raises(ValueError, match="draft"):
        render_receipt_pdf(draft, language="ar")
