"""The sealed act against the PDF/A-3b rules a conformance checker such as veraPDF applies (ISO 19005-3, clauses in
the test names), checked on the file as the citizen downloads it: after the seal's incremental update.

veraPDF itself is not installable here (it is a Java tool from its own site, in no package registry this machine
reaches), so the rules that an act could break are checked one by one: poppler's pdffonts and pdfinfo, an XML
parser for the metadata, and the PDF's own objects read back.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pyhanko.pdf_utils.generic import DictionaryObject, NameObject, StreamObject
from pyhanko.pdf_utils.reader import PdfFileReader

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_trust_list")]

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}
# Annotation flags (ISO 32000-1, 12.5.3): Print must be set; Hidden, Invisible, NoView and ToggleNoView must not.
PRINT, FORBIDDEN_FLAGS = 4, 1 | 2 | 32 | 256



@pytest.fixture
def act(act_file) -> tuple[Path, PdfFileReader]:
    _document, path = act_file
    return path, PdfFileReader(path.open("rb"), strict=True)


def tool(*args: str) -> str:
    path = shutil.which(args[0])
    if path is None:
        pytest.fail(f"{args[0]} is missing: install poppler-utils (scripts/lib.sh does it).")
    result = subprocess.run([path, *args[1:]], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def xmp_of(reader: PdfFileReader) -> ElementTree.Element:
    stream = reader.root["/Metadata"].get_object()
    assert isinstance(stream, StreamObject)
    assert stream.get("/Type") == "/Metadata" and stream.get("/Subtype") == "/XML"
    assert "/Filter" not in stream  # 6.6.2.1: the metadata stream is not compressed, so any tool can read it
    text = stream.data.decode("utf-8")
    return ElementTree.fromstring(text[text.index("<x:xmpmeta"):text.index("</x:xmpmeta>") + len("</x:xmpmeta>")])


def xmp_value(root: ElementTree.Element, prefix: str, name: str) -> str | None:
    """A simple XMP property, written as an attribute of rdf:Description or as an element."""
    qualified = f"{{{NS[prefix]}}}{name}"
    for description in root.iter(f"{{{NS['rdf']}}}Description"):
        if qualified in description.attrib:
            return description.attrib[qualified]
        element = description.find(f"{prefix}:{name}", NS)
        if element is not None:
            first = element.find(".//rdf:li", NS)
            return (first.text if first is not None else element.text) or ""
    return None


def pdf_date(value: str) -> datetime:
    """A PDF date (D:YYYYMMDDHHmmSS+HH'mm' or Z) as an aware datetime."""
    match = re.fullmatch(r"D:(\d{14})(Z|[+-]\d{2}'\d{2}'?)?", value)
    assert match, value
    zone = (match.group(2) or "Z").replace("'", "")
    return datetime.strptime(match.group(1) + ("+0000" if zone == "Z" else zone), "%Y%m%d%H%M%S%z")


def test_6_1_2_header_and_binary_comment(act):
    path, _reader = act
    head = path.read_bytes()[:64]
    assert re.match(rb"%PDF-1\.[4-7]\r?\n", head)  # PDF/A-3 is based on PDF 1.7: no 2.0 header
    second_line = head.split(b"\n", 2)[1]
    assert second_line.startswith(b"%") and sum(byte > 127 for byte in second_line[1:5]) == 4


def test_6_1_3_trailer_has_an_id_and_no_encryption(act):
    _path, reader = act
    assert "/Encrypt" not in reader.trailer
    file_id = reader.trailer["/ID"]
    assert len(file_id) == 2 and all(len(bytes(part if isinstance(part, bytes) else str(part).encode())) >= 16
                                     for part in file_id)


def test_6_6_2_metadata_claims_pdfa_3b_and_matches_the_document_information(act):
    path, reader = act
    xmp = xmp_of(reader)
    assert xmp_value(xmp, "pdfaid", "part") == "3"
    assert xmp_value(xmp, "pdfaid", "conformance") == "B"
    # 6.6.3: what the Info dictionary says, the XMP says the same (the seal's update rewrote both).
    info = reader.trailer["/Info"].get_object()
    assert str(info["/Producer"]) == xmp_value(xmp, "pdf", "Producer")
    assert str(info["/Title"]) == xmp_value(xmp, "dc", "title")
    assert str(info["/Author"]) == xmp_value(xmp, "dc", "creator")
    assert str(info["/Creator"]) == xmp_value(xmp, "xmp", "CreatorTool")
    for key, prop in (("/CreationDate", "CreateDate"), ("/ModDate", "ModifyDate")):
        xmp_date = xmp_value(xmp, "xmp", prop)
        assert xmp_date is not None, prop
        assert pdf_date(str(info[key])) == datetime.fromisoformat(xmp_date), (key, info[key], xmp_date)
    # poppler reads the same metadata stream.
    assert re.search(r"pdfaid:part(>|=\")3", tool("pdfinfo", "-meta", str(path)))


def test_6_2_3_one_pdfa_output_intent_with_an_rgb_profile(act):
    _path, reader = act
    intents = [intent.get_object() for intent in reader.root["/OutputIntents"].get_object()]
    pdfa = [intent for intent in intents if intent.get("/S") == "/GTS_PDFA1"]
    assert len(pdfa) == 1
    profile = pdfa[0]["/DestOutputProfile"].get_object()
    assert isinstance(profile, StreamObject) and int(profile["/N"]) == 3
    assert profile.data[36:40] == b"acsp"  # an ICC profile's signature
    assert profile.data[16:20] == b"RGB "  # its colour space, matching /N 3


def test_6_2_11_every_font_is_embedded(act):
    path, _reader = act
    rows = tool("pdffonts", str(path)).splitlines()[2:]
    assert rows, "the act has no fonts?"
    for row in rows:
        columns = row.split()
        # name type… encoding emb sub uni object-id generation: emb is the fifth column from the end.
        assert columns[-5] == "yes", row


def test_6_3_annotations_print_and_need_no_appearance_unless_visible(act):
    _path, reader = act
    annotations = 0
    for page in reader.root["/Pages"]["/Kids"]:
        for ref in page.get_object().get("/Annots", []):
            annotation = ref.get_object()
            annotations += 1
            flags = int(annotation.get("/F", 0))
            assert flags & PRINT and not flags & FORBIDDEN_FLAGS, annotation
            x0, y0, x1, y1 = (float(v) for v in annotation["/Rect"])
            if x1 - x0 or y1 - y0:
                appearance = annotation["/AP"].get_object()
                assert set(appearance.keys()) == {"/N"}, appearance
    assert annotations >= 1  # the seal's signature field is an annotation: the rule was really applied


def test_6_4_the_form_does_not_ask_viewers_to_build_appearances(act):
    _path, reader = act
    form = reader.root["/AcroForm"].get_object()
    assert not form.get("/NeedAppearances", False)
    assert [field.get_object()["/FT"] for field in form["/Fields"]] == ["/Sig"]


def test_6_6_1_no_javascript_and_no_automatic_actions(act):
    _path, reader = act
    root = reader.root
    assert "/AA" not in root and "/OpenAction" not in root
    names = root.get("/Names")
    assert names is None or "/JavaScript" not in names.get_object()
    for page in root["/Pages"]["/Kids"]:
        assert "/AA" not in page.get_object()


def test_6_8_embedded_files_are_associated_with_a_relationship_and_a_type(act):
    _path, reader = act
    root = reader.root
    tree = root["/Names"]["/EmbeddedFiles"]["/Names"]
    specs = {str(tree[i]): tree.raw_get(i + 1) for i in range(0, len(tree), 2)}
    assert set(specs) == {"act.json", "qr.txt"}
    af = root["/AF"]
    associated = {af.raw_get(i).idnum for i in range(len(af))}
    for name, ref in specs.items():
        assert ref.idnum in associated, f"{name} is not in the catalog's /AF"
        spec = ref.get_object()
        assert isinstance(spec, DictionaryObject)
        assert str(spec["/F"]) == name and str(spec["/UF"]) == name
        assert spec["/AFRelationship"] in (NameObject("/Data"), NameObject("/Source"), NameObject("/Alternative"),
                                           NameObject("/Supplement"), NameObject("/Unspecified"))
        stream = spec["/EF"]["/F"].get_object()
        assert "/Subtype" in stream, f"{name} has no MIME type"
        assert str(stream["/Subtype"]).lstrip("/") in ("application/json", "text/plain")
        assert "/ModDate" in stream["/Params"]
