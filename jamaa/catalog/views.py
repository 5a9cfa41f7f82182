"""Public pages of the catalogue: the commune's procedures (by category and life event, with search) and one page per
procedure it has adopted and published."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from jamaa.catalog import selectors
from jamaa.catalog.forms import CatalogFilterForm
from jamaa.catalog.models import Channel
from jamaa.core.permissions import commune_required


@require_safe
@commune_required
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = selectors.catalogue(
        commune=request.commune,  # type: ignore[attr-defined]
        query=query, category=request.GET.get("category", ""), event=request.GET.get("event", ""),
    )
    form = CatalogFilterForm(request.GET or None, categories=page.categories)
    if form.is_bound:
        form.is_valid()  # an unknown category is shown as an error next to the field, and ignored
    return render(request, "catalog/index.html", {"page": page, "form": form})


@require_safe
@commune_required
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    adoption = selectors.get_published_adoption(commune=request.commune, slug=slug)  # type: ignore[attr-defined]
    procedure = adoption.procedure
    return render(request, "catalog/detail.html", {
        "adoption": adoption,
        "procedure": procedure,
        "department": adoption.department,
        "documents": list(procedure.documents.all()),
        "life_events": list(procedure.life_events.all()),
        "asked": selectors.asked_data(procedure),
        "deadline_is_shorter": adoption.effective_deadline_amount < procedure.deadline_amount,
        "online": procedure.channel in (Channel.ONLINE, Channel.BOTH),
        "at_counter": procedure.channel in (Channel.COUNTER, Channel.BOTH),
    })
