"""Reads of the catalogue: the commune's published procedures (by category, life event, search), one procedure's
page, and the administrator's lists of adopted and adoptable procedures.

A commune's catalogue is at most a few hundred adopted procedures, so the public list loads them all in a constant
number of queries (the adoptions with procedure and category, then their life events and documents) and filters and
groups them in Python. That works the same on PostgreSQL and SQLite (no database-specific accent or Arabic
normalisation), and the page costs the same number of queries whatever the number of procedures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jamaa.catalog import search
from jamaa.catalog.models import Category, CommuneProcedure, LifeEvent, Procedure, RequiredDocument
from jamaa.core.models import Commune, Department

LANGUAGES = ("ar", "fr", "zgh")


def _language() -> str:
    return (get_language() or "ar").split("-")[0]


# --- public catalogue ------------------------------------------------------------------------------------------


def published_adoptions(commune: Commune) -> QuerySet[CommuneProcedure]:
    """The commune's published adoptions of procedures still in the national catalogue, with what the list shows
    and searches (3 queries once evaluated)."""
    return (
        CommuneProcedure.objects.for_commune(commune).published()
        .select_related("procedure", "procedure__category")
        .prefetch_related(
            Prefetch("procedure__life_events", queryset=LifeEvent.objects.order_by("position", "slug")),
            Prefetch("procedure__documents", queryset=RequiredDocument.objects.order_by("position", "code")),
        )
    )


def _searchable_parts(adoption: CommuneProcedure) -> list[str]:
    procedure = adoption.procedure
    parts: list[str] = []
    for language in LANGUAGES:
        parts += [getattr(procedure, f"name_{language}"), getattr(procedure, f"description_{language}"),
                  getattr(procedure.category, f"name_{language}")]
        parts += [getattr(event, f"name_{language}") for event in procedure.life_events.all()]
        parts += [getattr(document, f"name_{language}") for document in procedure.documents.all()]
    return parts


def _sort_key(adoption: CommuneProcedure) -> tuple[int, str, str]:
    category = adoption.procedure.category
    return category.position, category.slug, search.normalize(adoption.procedure.name)


@dataclass
class CategoryGroup:
    category: Category
    adoptions: list[CommuneProcedure]


@dataclass
class CatalogPage:
    """What the public catalogue page shows."""

    groups: list[CategoryGroup]
    count: int  # procedures shown
    total: int  # procedures the commune publishes
    categories: list[Category]  # categories with at least one published procedure
    life_events: list[LifeEvent]  # life events with at least one published procedure
    query: str = ""
    category: Category | None = None
    life_event: LifeEvent | None = None
    words: list[str] = field(default_factory=list)

    @property
    def filtered(self) -> bool:
        return bool(self.words or self.category or self.life_event)


def catalogue(*, commune: Commune, query: str = "", category: str = "", event: str = "") -> CatalogPage:
    """The commune's published procedures matching every word of `query`, in `category` and for life `event`
    (slugs; a slug with no published procedure here is ignored: the page says so), grouped by category."""
    adoptions = sorted(published_adoptions(commune), key=_sort_key)
    categories: dict[int, Category] = {}
    events: dict[int, LifeEvent] = {}
    for adoption in adoptions:
        categories.setdefault(adoption.procedure.category_id, adoption.procedure.category)
        for life_event in adoption.procedure.life_events.all():
            events.setdefault(life_event.pk, life_event)
    all_categories = sorted(categories.values(), key=lambda c: (c.position, c.slug))
    all_events = sorted(events.values(), key=lambda e: (e.position, e.slug))
    chosen_category = next((c for c in all_categories if c.slug == category), None)
    chosen_event = next((e for e in all_events if e.slug == event), None)

    words = search.tokens(query)
    shown = []
    for adoption in adoptions:
        procedure = adoption.procedure
        if chosen_category is not None and procedure.category_id != chosen_category.pk:
            continue
        if chosen_event is not None and all(e.pk != chosen_event.pk for e in procedure.life_events.all()):
            continue
        if words and not search.matches(search.searchable_text(_searchable_parts(adoption)), words):
            continue
        shown.append(adoption)

    groups: list[CategoryGroup] = []
    for adoption in shown:
        if not groups or groups[-1].category.pk != adoption.procedure.category_id:
            groups.append(CategoryGroup(adoption.procedure.category, []))
        groups[-1].adoptions.append(adoption)
    return CatalogPage(groups=groups, count=len(shown), total=len(adoptions), categories=all_categories,
                       life_events=all_events, query=query, category=chosen_category, life_event=chosen_event,
                       words=words)


def get_published_adoption(*, commune: Commune, slug: str) -> CommuneProcedure:
    """The commune's published adoption of the procedure `slug`, or 404: a procedure the commune has not adopted
    (or has unpublished) does not exist on its site, whoever else adopted it."""
    adoption = (
        CommuneProcedure.objects.for_commune(commune).published()
        .select_related("procedure", "procedure__category", "department")
        .prefetch_related(
            Prefetch("procedure__life_events", queryset=LifeEvent.objects.order_by("position", "slug")),
            Prefetch("procedure__documents", queryset=RequiredDocument.objects.order_by("position", "code")),
        )
        .filter(procedure__slug=slug)
        .first()
    )
    if adoption is None:
        raise Http404(_("This commune does not offer this procedure."))
    return adoption


@dataclass(frozen=True)
class AskedField:
    label: str
    required: bool
    conditional: bool


def _label(labels: Any, language: str) -> str:
    if isinstance(labels, str):
        return labels
    if not isinstance(labels, dict):
        return ""
    for code in (language, "ar", "fr", "zgh"):
        value = labels.get(code)
        if isinstance(value, str) and value:
            return value
    return ""


def asked_data(procedure: Procedure) -> list[AskedField]:
    """The information the request form asks for, in the active language (from the form definition)."""
    language = _language()
    definition = procedure.form_definition if isinstance(procedure.form_definition, list) else []
    asked = []
    for item in definition:
        if not isinstance(item, dict):
            continue
        label = _label(item.get("label"), language) or str(item.get("name", ""))
        if label:
            asked.append(AskedField(label=label, required=bool(item.get("required")),
                                    conditional=bool(item.get("show_if"))))
    return asked


# --- back office -------------------------------------------------------------------------------------------------


def admin_adoptions(commune: Commune) -> list[CommuneProcedure]:
    """Every adoption of the commune, published or not, by category and name (one query)."""
    adoptions = (
        CommuneProcedure.objects.for_commune(commune)
        .select_related("procedure", "procedure__category", "department")
    )
    return sorted(adoptions, key=_sort_key)


def procedures_not_adopted(commune: Commune) -> list[Procedure]:
    """The national catalogue's procedures the commune has not adopted yet (one query)."""
    adopted = CommuneProcedure.objects.for_commune(commune).values("procedure_id")
    procedures = (
        Procedure.objects.filter(is_active=True).exclude(pk__in=adopted).select_related("category")
    )
    return sorted(procedures, key=lambda p: (p.category.position, p.category.slug, search.normalize(p.name)))


def get_catalogue_procedure(slug: str) -> Procedure:
    """A procedure of the national catalogue that can be adopted, or 404."""
    procedure = Procedure.objects.filter(slug=slug, is_active=True).select_related("category").first()
    if procedure is None:
        raise Http404(_("This procedure is not in the national catalogue."))
    return procedure


def get_adoption(commune: Commune, pk: int) -> CommuneProcedure:
    """One of the commune's adoptions, or 404 (another commune's adoption does not exist here)."""
    adoption = (
        CommuneProcedure.objects.for_commune(commune)
        .select_related("procedure", "procedure__category", "department")
        .filter(pk=pk)
        .first()
    )
    if adoption is None:
        raise Http404(_("This commune has not adopted this procedure."))
    return adoption


def find_adoption(commune: Commune, procedure: Procedure) -> CommuneProcedure | None:
    return CommuneProcedure.objects.for_commune(commune).filter(procedure=procedure).first()


def department_choices(commune: Commune, *, keep: Department | None = None) -> QuerySet[Department]:
    """The commune's active departments (and `keep`, the current one, even if it was deactivated since)."""
    wanted = Q(is_active=True)
    if keep is not None:
        wanted |= Q(pk=keep.pk)
    return Department.objects.for_commune(commune).filter(wanted).order_by("name_fr")


def default_department(commune: Commune, procedure: Procedure) -> Department | None:
    """The commune's active department whose code is the one the catalogue names for the procedure."""
    return Department.objects.for_commune(commune).filter(is_active=True, code=procedure.department_code).first()
