"""The commune's catalogue: the procedures it has adopted and published (Law 55-19 information for each)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import P, Router, Schema
from ninja.params import PathEx, Query

from jamaa.api.common import department_out, names, request_commune
from jamaa.api.schemas import COMMUNE_ERRORS, DepartmentOut, NamesOut
from jamaa.catalog.models import Category, CommuneProcedure, LifeEvent, RequiredDocument
from jamaa.core.models import Commune

router = Router(tags=["catalogue"])
SLUG_QUERY = r"^[-a-zA-Z0-9_]{0,80}$"
SlugPath = PathEx[str, P(pattern=r"^[-a-zA-Z0-9_]{1,80}$", description="The procedure's slug.")]


class CategoryOut(NamesOut):
    slug: str


class LifeEventOut(NamesOut):
    slug: str


class DeadlineOut(Schema):
    amount: int
    unit: str  # "working" or "calendar" days


class ProcedureOut(NamesOut):
    slug: str
    category: CategoryOut
    life_events: list[LifeEventOut]
    channel: str  # "online", "counter" or "both"
    fees_mad: str  # decimal, 2 places: "20.00"
    deadline: DeadlineOut  # in this commune (never longer than the legal deadline)
    legal_deadline: DeadlineOut
    silence_means_approval: bool
    act_kind: str
    department: DepartmentOut


class DocumentOut(NamesOut):
    code: str
    help_ar: str
    help_fr: str
    help_zgh: str
    required: bool
    file_field: str  # the multipart field that carries it when submitting: doc__<code>


class ProcedureDetailOut(ProcedureOut):
    description_ar: str
    description_fr: str
    description_zgh: str
    legal_basis_ar: str
    legal_basis_fr: str
    legal_basis_zgh: str
    instructions_ar: str
    instructions_fr: str
    instructions_zgh: str
    documents: list[DocumentOut]
    form: list[dict[str, Any]]  # the form definition (format: jamaa.catalog.formdef)


def published(commune: Commune) -> QuerySet[CommuneProcedure]:
    """The commune's published adoptions, with what the answers show (constant number of queries)."""
    return (
        CommuneProcedure.objects.for_commune(commune).published()
        .select_related("procedure__category", "department")
        .prefetch_related(Prefetch("procedure__life_events", queryset=LifeEvent.objects.order_by("position", "slug")))
        .order_by("procedure__category__position", "procedure__category__slug", "procedure__name_fr", "id")
    )


def published_adoption(commune: Commune, slug: str) -> CommuneProcedure:
    adoption = (
        published(commune)
        .prefetch_related(Prefetch("procedure__documents",
                                   queryset=RequiredDocument.objects.order_by("position", "code")))
        .filter(procedure__slug=slug)
        .first()
    )
    if adoption is None:
        raise Http404(_("This commune does not offer this procedure."))
    return adoption


def procedure_out(adoption: CommuneProcedure) -> dict[str, Any]:
    procedure = adoption.procedure
    return {
        "slug": procedure.slug,
        **names(procedure),
        "category": {"slug": procedure.category.slug, **names(procedure.category)},
        "life_events": [{"slug": event.slug, **names(event)} for event in procedure.life_events.all()],
        "channel": procedure.channel,
        "fees_mad": f"{adoption.effective_fees:.2f}",
        "deadline": {"amount": adoption.effective_deadline_amount, "unit": adoption.effective_deadline_unit},
        "legal_deadline": {"amount": procedure.deadline_amount, "unit": procedure.deadline_unit},
        "silence_means_approval": procedure.silence_means_approval,
        "act_kind": procedure.act_kind,
        "department": department_out(adoption.department),
    }


def procedure_detail_out(adoption: CommuneProcedure) -> dict[str, Any]:
    procedure = adoption.procedure
    form = procedure.form_definition if isinstance(procedure.form_definition, list) else []
    return {
        **procedure_out(adoption),
        **names(procedure, "description"),
        **names(procedure, "legal_basis"),
        **names(adoption, "instructions"),
        "documents": [
            {"code": document.code, **names(document), **names(document, "help"), "required": document.is_required,
             "file_field": f"doc__{document.code}"}
            for document in procedure.documents.all()
        ],
        "form": [spec for spec in form if isinstance(spec, dict)],
    }


def _published_procedure_ids(commune: Commune) -> QuerySet[CommuneProcedure]:
    return CommuneProcedure.objects.for_commune(commune).published().values("procedure_id")


@router.get("/categories", response={200: list[CategoryOut], **COMMUNE_ERRORS},
            summary="Categories with at least one procedure in this commune")
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    ids = _published_procedure_ids(request_commune(request))
    categories = Category.objects.filter(procedures__in=ids).distinct().order_by("position", "slug")
    return [{"slug": category.slug, **names(category)} for category in categories]


@router.get("/life-events", response={200: list[LifeEventOut], **COMMUNE_ERRORS},
            summary="Life events with at least one procedure in this commune")
def list_life_events(request: HttpRequest) -> list[dict[str, Any]]:
    ids = _published_procedure_ids(request_commune(request))
    events = LifeEvent.objects.filter(procedures__in=ids).distinct().order_by("position", "slug")
    return [{"slug": event.slug, **names(event)} for event in events]


@router.get("/procedures", response={200: list[ProcedureOut], **COMMUNE_ERRORS},
            summary="Procedures this commune offers")
def list_procedures(request: HttpRequest, category: str = Query("", pattern=SLUG_QUERY),
                    event: str = Query("", pattern=SLUG_QUERY)) -> list[dict[str, Any]]:
    """The commune's published procedures, by category then name; `category` and `event` (life event) filter by
    slug."""
    qs = published(request_commune(request))
    if category:
        qs = qs.filter(procedure__category__slug=category)
    if event:
        qs = qs.filter(procedure__life_events__slug=event)
    return [procedure_out(adoption) for adoption in qs]


@router.get("/procedures/{slug}", response={200: ProcedureDetailOut, **COMMUNE_ERRORS},
            summary="One procedure: everything Law 55-19 requires, and its form")
def get_procedure(request: HttpRequest, slug: SlugPath) -> dict[str, Any]:
    return procedure_detail_out(published_adoption(request_commune(request), slug))
