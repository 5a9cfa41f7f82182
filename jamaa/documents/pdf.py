"""Issued acts (residence certificate, …) as PDF/A-3b files rendered by Typst (issue 4).

Same approach as the filing receipt (`jamaa/cases/receipt.py`): the shipped fonts only, one compiler reused by the
process, and the content passed as JSON through `sys.inputs` — never pasted into Typst markup. Two inputs:

* `data`: what the page shows, already translated and formatted (labels per language, values);
* `act`: the machine-readable act, embedded in the PDF as `act.json` (an associated file, relationship Data).

PDF/A-3b, not 2b: PDF/A-2 allows only PDF/A files as attachments, PDF/A-3 allows a JSON file. Both are PDF 1.7
based, so the seal must be RSA with SHA-256 (see `jamaa/documents/seal.py`).

The QR code is an SVG image (`qr_svg()`) of the verification URL carrying the signed payload
(`jamaa/documents/payload.py`); the same text is embedded as `qr.txt`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
import typst

FONT_DIR = Path(__file__).resolve().parent.parent / "core" / "fonts"
TEMPLATE = Path(__file__).resolve().parent / "typst" / "act.typ"
PDF_STANDARDS: list[typst.PDFStandard] = ["a-3b"]
ACT_ATTACHMENT = "act.json"
QR_ATTACHMENT = "qr.txt"
QR_MASK = 4

_compiler: typst.Compiler | None = None
_compiler_lock = threading.Lock()

# Embeddings, overrides and isolates inside a value would escape the isolate the template puts around it.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _clean(value: Any) -> Any:
    """The display data with bidi controls removed from every string."""
    if isinstance(value, str):
        return _BIDI_CONTROLS.sub("", value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def qr_svg(text: str) -> bytes:
    """`text` as a QR code (SVG, error correction level M), the image `render_act_pdf` places on the act."""
    # A fixed mask: choosing the best of the eight (segno scores each) takes ~30 ms for a version-13 code, a fifth of
    # the whole issuance, and the payload is compressed data, for which every mask scores alike. The readers in
    # the tests (zxing-cpp from the rendered page) decode it.
    qr = segno.make(text, error="m", micro=False, boost_error=False, mask=QR_MASK)
    return qr.svg_inline(scale=4, border=2, omitsize=False).encode()


def act_json(act: Mapping[str, Any]) -> bytes:
    """The embedded JSON: UTF-8, sorted keys, no spaces (the same act gives the same bytes)."""
    return json.dumps(act, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def render_act_pdf(data: Mapping[str, Any], *, act: Mapping[str, Any], issued_at: datetime,
                   qr: bytes | None = None, qr_url: str = "") -> bytes:
    """An act as PDF/A-3b bytes.

    `data` is what the page shows (see `act.typ` for its shape: `langs`, `commune`, `title`, `rows`, `reference`,
    `issued`, `valid_until`, `notes`); `act` is embedded as `act.json`; `qr` is an SVG image (or None for an empty
    frame); `qr_url` (the QR's text) is embedded as `qr.txt`; `issued_at` becomes the PDF's dates, so the same
    act renders to the same bytes.
    """
    display = dict(_clean(data))
    display["qr"] = qr.decode() if qr else ""
    inputs = {"data": json.dumps(display, ensure_ascii=False), "act": act_json(act).decode(), "qr_url": qr_url}
    global _compiler
    with _compiler_lock:
        if _compiler is None:
            _compiler = typst.Compiler(TEMPLATE, font_paths=[FONT_DIR], ignore_system_fonts=True)
        return _compiler.compile(sys_inputs=inputs, pdf_standards=PDF_STANDARDS,
                                 timestamp=int(issued_at.timestamp()))
