"""The citizen's wallet, "My documents": every act issued to the logged-in citizen in this commune, its PDF, what it
states and what happened to it (issued, downloaded, verified — when and how, never by whom outside the
administration), and its QR code full-screen for presenting at a counter.

Only the holder sees a document: another citizen's reference, another commune's, or an anonymous visitor get a 404
or the login page, never the file (`access.get_document_for_citizen`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import segno
from django.contrib import messages
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jamaa.cases.attachments import attachment_response
from jamaa.cases.models import Attachment
from jamaa.core.identifiers import mask_cin
from jamaa.core.permissions import login_required
from jamaa.documents import issuance, kinds
from jamaa.documents.access import get_document_for_citizen
from jamaa.documents.models import DocumentEvent, DocumentEventKind, IssuedDocument, VerificationChannel

PAGE_SIZE = 20
HISTORY_SHOWN = 100


# --- what a document shows ------------------------------------------------------------------------------------


def document_title(document: IssuedDocument) -> str:
    """The act's title: its kind's, or its procedure's for an act of another kind (as printed on the PDF)."""
    spec = kinds.spec_for(document.kind)
    if spec.title_from_procedure and document.case.procedure_id is not None:
        return document.case.procedure.procedure.name  # type: ignore[union-attr]
    return str(spec.title)


def document_status(document: IssuedDocument, now: datetime | None = None) -> tuple[str, str, str]:
    """(status, words, badge tone): revoked wins over expired."""
    if document.is_revoked:
        return "revoked", _("Revoked"), "danger"
    if document.is_expired(now):
        return "expired", _("Expired"), "warning"
    return "valid", _("Valid"), "success"


def document_facts(document: IssuedDocument) -> list[tuple[str, str]]:
    """What the act states, labelled as on the PDF; the CIN is masked on screen."""
    spec = kinds.spec_for_code(document.kind_code)
    cin_keys = {f.key for f in spec.facts if f.source == kinds.CIN} if spec else set()
    rows: list[tuple[str, str]] = [(_("Holder"), document.holder_name)]
    for fact in document.facts or []:
        if not isinstance(fact, dict) or "key" not in fact:
            continue
        key, value = fact["key"], fact.get("value", "")
        text = issuance.fact_display(document.kind_code, key, value)
        rows.append((str(kinds.fact_label(document.kind_code, key)), mask_cin(text) if key in cin_keys else text))
    return rows


def event_text(event: DocumentEvent) -> tuple[str, str]:
    """(title, how) of an event as the holder reads it: when and through which channel, not who."""
    if event.kind == DocumentEventKind.ISSUED:
        return _("Issued by the commune"), ""
    if event.kind == DocumentEventKind.REVOKED:
        return _("Revoked by the commune"), ""
    if event.kind == DocumentEventKind.DOWNLOADED:
        if event.by_staff:
            return _("Downloaded"), _("by the commune's staff")
        return _("Downloaded"), _("by you, from My documents")
    how = {
        VerificationChannel.QR: _("by QR code scan"),
        VerificationChannel.PAGE: _("on the verification page"),
        VerificationChannel.PDF: _("by a check of the PDF file"),
        VerificationChannel.API: _("through the verification API"),
        VerificationChannel.BACKOFFICE: _("by the commune's staff"),
        VerificationChannel.WALLET: _("from My documents"),
    }.get(cast(Any, event.channel), "")
    if event.by_staff and event.channel != VerificationChannel.BACKOFFICE:
        how = f"{how} ({_('by the commune')})" if how else _("by the commune's staff")
    return _("Verified"), how


def presentation_qr(text: str, label: str) -> SafeString:
    """The QR code as an inline SVG that scales to its box: the same symbol as on the PDF (level M), a full quiet
    zone, black on white, crisp edges."""
    qr = segno.make(text, error="m", micro=False, boost_error=False)
    svg = qr.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff", svgclass="wallet-qr__code")
    # segno's markup carries only the modules' path (the text is not in it); the label is escaped.
    return mark_safe(svg.replace(  # noqa: S308 - segno's own SVG markup and an escaped label
        "<svg ", f'<svg role="img" aria-label="{escape(label)}" shape-rendering="crispEdges" ', 1))


@dataclass(frozen=True)
class _FileOf:
    """An issued document in the shape `jamaa.cases.attachments.attachment_response` serves."""

    file: FieldFile
    original_name: str
    content_type: str = "application/pdf"


def pdf_response(document: IssuedDocument) -> HttpResponse:
    """The sealed PDF as a download named after the reference (nosniff, no-store), for a view that checked access."""
    return attachment_response(cast(Attachment, _FileOf(file=document.pdf, original_name=f"{document.reference}.pdf")))


# --- pages ------------------------------------------------------------------------------------------------------


def _cursor(value: str | None) -> int | None:
    return int(value) if value and len(value) < 19 and value.isascii() and value.isdigit() else None


@never_cache
@require_GET
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    documents = (
        IssuedDocument.objects.filter(citizen=request.user)
        .select_related("case__procedure__procedure")
        # The list shows no fact, no payload and nothing of the case but its procedure's name.
        .only("id", "commune", "reference", "kind", "kind_code", "issued_at", "expires_at", "state", "revoked_at",
              "case", "case__procedure", "case__procedure__procedure",
              "case__procedure__procedure__name_ar", "case__procedure__procedure__name_fr",
              "case__procedure__procedure__name_zgh")
        .order_by("-issued_at", "-pk")
    )
    before = _cursor(request.GET.get("before"))
    if before is not None:
        anchor = IssuedDocument.objects.filter(citizen=request.user, pk=before).values("issued_at").first()
        if anchor is not None:
            documents = documents.filter(Q(issued_at__lt=anchor["issued_at"])
                                         | Q(issued_at=anchor["issued_at"], pk__lt=before))
    page = list(documents[:PAGE_SIZE + 1])
    older = page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None
    now = timezone.now()
    rows = []
    for document in page[:PAGE_SIZE]:
        status, words, tone = document_status(document, now)
        rows.append({"document": document, "title": document_title(document), "status": status,
                     "status_label": words, "tone": tone})
    return render(request, "documents/wallet/mine.html", {
        "rows": rows, "older": older, "is_first_page": before is None, "newest": before is not None,
    })


@never_cache
@require_GET
@login_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    document = get_document_for_citizen(request, reference)
    status, words, tone = document_status(document)
    events = list(DocumentEvent.objects.filter(document=document).order_by("-created_at", "-pk")[:HISTORY_SHOWN + 1])
    history = []
    for event in events[:HISTORY_SHOWN]:
        title, how = event_text(event)
        history.append({"time": event.created_at, "title": title, "text": how})
    return render(request, "documents/wallet/detail.html", {
        "document": document, "title": document_title(document), "status": status, "status_label": words,
        "tone": tone, "facts": document_facts(document), "history": history,
        "history_cut": len(events) > HISTORY_SHOWN,
    })


@never_cache
@require_GET
@login_required
def download(request: HttpRequest, reference: str) -> HttpResponse:
    document = get_document_for_citizen(request, reference)
    issuance.record_event(document, DocumentEventKind.DOWNLOADED, channel=VerificationChannel.WALLET,
                          actor=request.user)  # type: ignore[arg-type]
    return pdf_response(document)


@never_cache
@require_GET
@login_required
def qr(request: HttpRequest, reference: str) -> HttpResponse:
    document = get_document_for_citizen(request, reference)
    if document.is_revoked:
        messages.error(request, _("This document was revoked: it can no longer be presented."))
        return redirect("wallet:detail", reference=document.reference)
    title = document_title(document)
    status, words, tone = document_status(document)
    return render(request, "documents/wallet/qr.html", {
        "document": document, "title": title, "status": status, "status_label": words, "tone": tone,
        "qr": presentation_qr(document.qr_url, _("QR code of %(title)s %(reference)s") % {
            "title": title, "reference": document.reference}),
    })
