"""The dated receipt (récépissé) of a request, as a PDF/A file (Law 55-19: a dated receipt for every filed request).

The receipt is bilingual: the requested language first, then Arabic and French (Tamazight joins them when it is the
requested language). Labels are translated here with gettext and handed to the Typst template with the case's values
as one JSON document (`sys.inputs.data`): user text is never pasted into Typst markup, so nothing a citizen types can
change the document. Only the fonts shipped in `jamaa/core/fonts` are used, and the PDF's dates come from the case,
so the same case renders to the same bytes on any server.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
import typst
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from jamaa.cases.models import Attachment, Case
from jamaa.cases.references import display_tracking_code
from jamaa.catalog.models import RequiredDocument, deadline_label
from jamaa.core.calendar import CASABLANCA

FONT_DIR = Path(__file__).resolve().parent.parent / "core" / "fonts"
TEMPLATE = Path(__file__).resolve().parent / "typst" / "receipt.typ"
# PDF/A-2b: archivable (fonts embedded, no external resources) and readable by any PDF reader.
PDF_STANDARDS = ["a-2b"]
# The receipt's second (and third) language: Arabic and French are always on it.
RECEIPT_LANGUAGES = ("ar", "fr")

# One compiler per process keeps the fonts and the template parsed between receipts; a compiler is not meant to
# be used by two threads at once, so renders take turns (one receipt takes a few tens of milliseconds).
_compiler: typst.Compiler | None = None
_compiler_lock = threading.Lock()


def render_receipt_pdf(case: Case, *, language: str) -> bytes:
    """The receipt of a submitted case as PDF/A bytes, `language` first. Raises ValueError for a draft."""
    if not case.submitted_at or not case.reference:
        raise ValueError("A draft has no receipt: the case must be submitted first.")
    data = receipt_data(case, language=language)
    global _compiler
    with _compiler_lock:
        if _compiler is None:
            _compiler = typst.Compiler(TEMPLATE, font_paths=[FONT_DIR], ignore_system_fonts=True)
        return _compiler.compile(
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
            pdf_standards=PDF_STANDARDS,
            # The PDF's creation date is the moment of receipt: rendering again later gives the same file.
            timestamp=int(case.submitted_at.timestamp()),
        )


def receipt_languages(language: str) -> list[str]:
    """The languages of the receipt, the requested one first."""
    codes = {code for code, _name in settings.LANGUAGES}
    primary = (language or "").split("-")[0].lower()
    if primary not in codes:
        primary = settings.LANGUAGE_CODE.split("-")[0]
    return [primary, *(code for code in RECEIPT_LANGUAGES if code != primary)]


def _direction(code: str) -> str:
    try:
        return "rtl" if get_language_info(code)["bidi"] else "ltr"
    except KeyError:
        return "ltr"


def _per_language(languages: list[str], make: Callable[[str], str]) -> dict[str, str]:
    """`make()` run with each language active: a label or a translated value per language code."""
    result = {}
    for code in languages:
        with translation.override(code):
            result[code] = str(make(code))
    return result


def _code(text: str) -> dict[str, Any]:
    return {"kind": "code", "text": text}


# Embeddings, overrides and isolates typed into a name would escape the isolate the template puts around it and
# reorder what follows (an RLO can make "gnp.exe" look like "exe.png"): they are dropped.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _plain(text: str) -> str:
    return _BIDI_CONTROLS.sub("", text or "")


def _user(text: str) -> dict[str, Any]:
    return {"kind": "user", "text": _plain(text)}


def _lang(texts: dict[str, str]) -> dict[str, Any]:
    return {"kind": "lang", "text": texts}


def _own_text(obj: Any, field: str, languages: list[str]) -> dict[str, str]:
    """`<field>_<code>` per language as stored, without falling back to another language (the receipt already
    shows the others: a Tamazight name left empty is not printed twice in Arabic)."""
    if obj is None:
        return {}
    return {code: getattr(obj, f"{field}_{code}", "") or "" for code in languages}


def _local(moment: datetime) -> datetime:
    return moment.astimezone(CASABLANCA)


def _deadline_text(case: Case) -> str:
    return deadline_label(case.deadline_amount or 0, case.deadline_unit)


def _documents(case: Case, language: str) -> list[dict[str, str]]:
    """The files received with the request (not those of later messages), by their original names."""
    attachments = list(
        Attachment.all_communes.filter(case=case, message__isnull=True, is_current=True).order_by("created_at", "id")
    )
    kinds: dict[str, str] = {}
    if case.procedure_id and any(a.document_code for a in attachments):
        for document in RequiredDocument.objects.filter(procedure_id=case.procedure.procedure_id):
            kinds[document.code] = document.tr("name", language)
    return [{"name": _plain(a.original_name), "kind": kinds.get(a.document_code, "")} for a in attachments]


@functools.lru_cache(maxsize=256)  # one address per commune and language
def _tracking_qr(url: str) -> str:
    """The tracking page's address as a QR code (SVG): it opens the form; the secret code stays printed only."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=4, border=2, omitsize=False)


def receipt_data(case: Case, *, language: str) -> dict[str, Any]:
    """Everything the template shows, already translated and formatted (JSON-safe)."""
    languages = receipt_languages(language)
    primary = languages[0]
    commune = case.commune
    procedure = case.procedure.procedure if case.procedure_id else None
    received = _local(case.submitted_at) if case.submitted_at else None

    with translation.override(primary):
        track_url = commune.absolute_url(reverse("cases:track"))
        document_title = _("Receipt %(reference)s") % {"reference": case.reference}

    rows: list[dict[str, Any]] = [
        {"label": _per_language(languages, lambda c: _("Reference")), "values": [_code(case.reference)],
         "strong": True},
        {"label": _per_language(languages, lambda c: _("Procedure")),
         "values": [_lang(_own_text(procedure, "name", languages))]},
        {"label": _per_language(languages, lambda c: _("Applicant")),
         "values": [_user(case.applicant_name or (case.citizen.full_name if case.citizen_id else ""))]},
        {"label": _per_language(languages, lambda c: _("Received on (Morocco time)")),
         "values": [_code(received.strftime("%d/%m/%Y %H:%M") if received else "")]},
    ]
    if case.department_id:
        department = case.department
        rows.append({"label": _per_language(languages, lambda c: _("Department in charge")),
                     "values": [_lang(_own_text(department, "name", languages))]})
    if case.deadline_amount:
        rows.append({"label": _per_language(languages, lambda c: _("Legal deadline")),
                     "values": [_lang(_per_language(languages, lambda c: _deadline_text(case)))]})
    legal_basis = _own_text(procedure, "legal_basis", languages)
    if not any(legal_basis.values()) and case.legal_basis:
        legal_basis = {primary: case.legal_basis}
    if any(legal_basis.values()):
        rows.append({"label": _per_language(languages, lambda c: _("Legal basis")), "values": [_lang(legal_basis)]})
    if case.due_date:
        rows.append({"label": _per_language(languages, lambda c: _("Answer due by")),
                     "values": [_code(case.due_date.strftime("%d/%m/%Y"))], "strong": True})

    notes = [_per_language(languages, lambda c: _(
        "If your file is incomplete, it may be returned to you once for completion, listing everything missing. "
        "The deadline is then suspended, and resumes when you complete the file."))]
    if case.silence_means_approval:
        notes.append(_per_language(languages, lambda c: _(
            "For this procedure, no answer by the due date means your request is approved.")))
    notes.append(_per_language(languages, lambda c: _(
        "Keep this receipt: with the reference and the code, you can follow your request.")))

    contact = " · ".join(part for part in (commune.phone, commune.email) if part)
    return {
        "langs": [{"code": c, "dir": _direction(c)} for c in languages],
        "reference": case.reference,
        "colour": commune.primary_colour or "#0b5d3b",
        "document_title": document_title,
        "commune": {
            "name_ar": commune.name_ar, "name_fr": commune.name_fr, "name_zgh": commune.name_zgh,
            "address_ar": _plain(commune.address_ar), "address_fr": _plain(commune.address_fr), "contact": contact,
        },
        "title": _per_language(languages, lambda c: _("Receipt of filing")),
        "law": _per_language(languages, lambda c: _(
            "Dated receipt under Law 55-19 on the simplification of administrative procedures and formalities")),
        "rows": rows,
        "tracking": {
            "code": display_tracking_code(case.tracking_code),
            "url": track_url,
            "qr": _tracking_qr(track_url),
            "hint": _per_language(languages, lambda c: _(
                "Follow your request without an account: open this page and enter the reference and this "
                "secret code.")),
        },
        "documents": {
            "label": _per_language(languages, lambda c: _("Documents received")),
            "items": _documents(case, primary),
            "none": _per_language(languages, lambda c: _("No document was attached.")),
        },
        "notes": notes,
    }
