"""Reads of the public side of complaints: who may see a complaint's page, the public map (grid clusters or points in
a box), the latest public reports, and the commune's figures (received, answered in time, median answer time).

Everything here reads; writes go through `jamaa.complaints.services` and `jamaa.complaints.followup`. The map and
the figures stay a handful of aggregate queries whatever the number of reports: the database groups and counts, Python
only shapes the few rows that come back.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Avg, Count, DurationField, ExpressionWrapper, F, Max, Q
from django.db.models.functions import Coalesce, Floor
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from jamaa.cases.forms import REFERENCE_RE, normalise_reference
from jamaa.cases.models import Case, CaseEvent, CaseKind, CaseState, EventKind
from jamaa.complaints.models import (
    OPEN_STATES,
    Category,
    Complaint,
    ComplaintKind,
    ComplaintQuerySet,
    ComplaintState,
    Photo,
)
from jamaa.core import calendar
from jamaa.core.models import Arrondissement, Commune

# The session list of "<commune id>:<reference>" proven with the receipt's secret code; shared with the e-service
# requests' tracking page (`jamaa.cases.views`), so one proof opens either page.
TRACKED_SESSION = "jamaa_cases_tracked"

# Below this zoom the map shows counts per grid cell; from it on, the reports themselves.
POINTS_FROM_ZOOM = 16
MAX_ZOOM = 22
# A cell is about a quarter of a 256 px map tile wide (64 px), and the box is never cut into more than
# MAX_CELLS_ACROSS cells across, whatever zoom a client claims.
CELLS_PER_TILE = 4
MAX_CELLS_ACROSS = 48
MAX_POINTS = 2000
LIST_PAGE_SIZE = 20


# --- one complaint ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintView:
    """A complaint as one visitor may see it."""

    complaint: Complaint
    is_filer: bool  # the account that filed it, or a session that proved the reference and the secret code
    by_tracking: bool  # the filer is known only by the code proven in this session (not by the account)
    is_public: bool  # a report anyone may read

    @property
    def visible(self) -> bool:
        return self.is_public or self.is_filer


def tracked_references(request: HttpRequest) -> set[str]:
    entries = request.session.get(TRACKED_SESSION, [])
    return {e for e in entries if isinstance(e, str)} if isinstance(entries, list) else set()


def tracked_entry(commune: Commune, reference: str) -> str:
    return f"{commune.pk}:{reference}"


def is_publicly_visible(complaint: Complaint) -> bool:
    """A report in a public category (grievances never are). A merged report stays readable: it says where it is
    followed."""
    return complaint.kind == ComplaintKind.REPORT and complaint.is_public


def complaint_view(request: HttpRequest, reference: str) -> ComplaintView:
    """The complaint of the request's commune with this reference, and what this visitor is to it. Http404 for a
    malformed or unknown reference; the caller decides what an invisible complaint answers."""
    commune: Commune | None = getattr(request, "commune", None)
    reference = normalise_reference(reference or "")
    if commune is None or not REFERENCE_RE.match(reference):
        raise Http404
    complaint = (
        Complaint.objects.select_related("case", "case__arrondissement", "category", "category__parent",
                                         "merged_into__case")
        .defer("case__data", "case__protected_data", "case__return_missing")
        .filter(case__reference=reference).first()
    )
    if complaint is None:
        raise Http404
    user = request.user
    owner = bool(user.is_authenticated and complaint.case.citizen_id is not None
                 and complaint.case.citizen_id == user.pk)
    tracked = tracked_entry(commune, reference) in tracked_references(request)
    return ComplaintView(complaint=complaint, is_filer=owner or tracked, by_tracking=tracked and not owner,
                         is_public=is_publicly_visible(complaint))


def public_timeline(complaint: Complaint) -> list[dict[str, Any]]:
    """The moves of the complaint with the texts written for the public (no actor, no internal note)."""
    rows = []
    for event in (CaseEvent.objects.filter(case_id=complaint.case_id, kind=EventKind.TRANSITION, is_public=True)
                  .only("created_at", "from_state", "to_state", "public_text").order_by("created_at", "id")):
        rows.append({"time": event.created_at, "title": event_title(event.from_state, event.to_state),
                     "text": event.public_text})
    return rows


def event_title(from_state: str, to_state: str) -> str:
    """A move's title in the words of a complaint (the timeline stores the case's coarser states)."""
    if to_state == CaseState.SUBMITTED:
        return _("Complaint received")
    if to_state == CaseState.IN_REVIEW:
        if from_state in (CaseState.APPROVED, CaseState.REJECTED, CaseState.CLOSED):
            return _("Reopened: the problem is not solved")
        return _("Being handled by the department in charge")
    if to_state == CaseState.APPROVED:
        return str(ComplaintState.RESOLVED.label)
    if to_state == CaseState.REJECTED:
        return str(ComplaintState.REJECTED.label)
    if to_state == CaseState.CLOSED:
        return str(ComplaintState.CLOSED.label)
    return str(CaseState(to_state).label) if to_state in CaseState.values else ""


def photos_for(complaint: Complaint, *, include_hidden: bool) -> list[Photo]:
    photos = Photo.objects.filter(complaint=complaint).select_related("attachment").order_by("id")
    if not include_hidden:
        photos = photos.filter(is_public=True)
    return list(photos)


# --- public reports: filters, map, list -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    category_ids: tuple[int, ...] | None = None  # a category and its sub-categories
    state: str = ""
    since: datetime.date | None = None


def public_categories(commune: Commune) -> list[Category]:
    """The categories whose reports are shown on the map, parents before their children."""
    categories = list(Category.all_communes.filter(commune=commune, kind=ComplaintKind.REPORT, is_public=True)
                      .select_related("parent").order_by("position", "id"))
    tops = [c for c in categories if c.parent_id is None]
    children: dict[int, list[Category]] = defaultdict(list)
    for category in categories:
        if category.parent_id is not None:
            children[category.parent_id].append(category)
    ordered: list[Category] = []
    for top in tops:
        ordered.append(top)
        ordered.extend(children.pop(top.pk, []))
    for rest in children.values():  # a child of a hidden parent
        ordered.extend(rest)
    return ordered


def category_ids(categories: Iterable[Category], code: str) -> tuple[int, ...] | None:
    """The ids of the category with this code and of its sub-categories; None when no such category."""
    categories = list(categories)
    chosen = next((c for c in categories if c.code == code), None)
    if chosen is None:
        return None
    return (chosen.pk, *[c.pk for c in categories if c.parent_id == chosen.pk])


def public_reports(commune: Commune, filters: ReportFilters) -> ComplaintQuerySet:
    reports = Complaint.all_communes.filter(commune=commune).public()
    if filters.category_ids is not None:
        reports = reports.filter(category_id__in=filters.category_ids)
    if filters.state:
        reports = reports.filter(state=filters.state)
    if filters.since is not None:
        start = datetime.datetime.combine(filters.since, datetime.time.min, tzinfo=calendar.CASABLANCA)
        reports = reports.filter(received_at__gte=start)
    return reports


@dataclass(frozen=True)
class Box:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass
class MapData:
    mode: str  # "clusters" or "points"
    items: list[dict[str, Any]]
    total: int  # reports in the box
    truncated: bool
    last_modified: datetime.datetime | None

    def as_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "count": self.total, "truncated": self.truncated, self.mode: self.items}


def _in_box(reports: ComplaintQuerySet, box: Box) -> ComplaintQuerySet:
    return reports.filter(lat__gte=box.min_lat, lat__lte=box.max_lat, lon__gte=box.min_lon, lon__lte=box.max_lon)


def cell_size(box: Box, zoom: int) -> float:
    """The side of a grid cell in degrees: a fraction of a tile at this zoom, but never so small that the box holds
    more than MAX_CELLS_ACROSS cells across."""
    tile = 360.0 / (2 ** zoom)
    span = max(box.max_lon - box.min_lon, box.max_lat - box.min_lat)
    return max(tile / CELLS_PER_TILE, span / MAX_CELLS_ACROSS)


def map_data(commune: Commune, filters: ReportFilters, box: Box, zoom: int) -> MapData:
    """One aggregate query: counts per grid cell below POINTS_FROM_ZOOM, else the reports themselves (at most
    MAX_POINTS, newest first, with `truncated` set when there are more)."""
    reports = _in_box(public_reports(commune, filters), box)
    if zoom < POINTS_FROM_ZOOM:
        cell = cell_size(box, zoom)
        rows = list(
            reports.annotate(gy=Floor(F("lat") / cell), gx=Floor(F("lon") / cell))
            .values("gy", "gx")
            .annotate(n=Count("id"), open=Count("id", filter=Q(state__in=OPEN_STATES)),
                      clat=Avg("lat"), clon=Avg("lon"), last=Max("updated_at"))
            .order_by()
        )
        items = [{"lat": round(r["clat"], 5), "lon": round(r["clon"], 5), "count": r["n"], "open": r["open"]}
                 for r in rows]
        items.sort(key=lambda item: (-item["count"], item["lat"], item["lon"]))
        last = max((r["last"] for r in rows if r["last"] is not None), default=None)
        return MapData(mode="clusters", items=items, total=sum(r["n"] for r in rows), truncated=False,
                       last_modified=last)
    rows = list(reports.order_by("-id").values_list(
        "case__reference", "lat", "lon", "state", "category__code", "updated_at")[:MAX_POINTS + 1])
    truncated = len(rows) > MAX_POINTS
    rows = rows[:MAX_POINTS]
    items = [{"ref": ref, "lat": round(lat, 6), "lon": round(lon, 6), "state": state, "category": code}
             for ref, lat, lon, state, code, _updated in rows]
    last = max((row[5] for row in rows), default=None)
    return MapData(mode="points", items=items, total=len(items), truncated=truncated, last_modified=last)


def latest_reports(commune: Commune, filters: ReportFilters, *, before: int | None = None,
                   size: int | None = None) -> tuple[list[Complaint], int | None]:
    """A page of the latest public reports (newest first) and the cursor of the next older page (keyset on id)."""
    size = size or LIST_PAGE_SIZE
    reports = public_reports(commune, filters)
    if before is not None:
        reports = reports.filter(id__lt=before)
    page = list(
        reports.select_related("case", "category")
        .only("id", "state", "received_at", "address", "supporters", "case__reference", "category__code",
              "category__name_ar", "category__name_fr", "category__name_zgh")
        .order_by("-id")[:size + 1]
    )
    older = page[size - 1].pk if len(page) > size else None
    return page[:size], older


def map_centre(commune: Commune) -> tuple[float, float, int] | None:
    from jamaa.complaints.models import Area

    area = Area.all_communes.filter(commune=commune, arrondissement__isnull=True).only(
        "centre_lat", "centre_lon", "zoom", "min_lat", "max_lat", "min_lon", "max_lon").first()
    if area is None:
        return None
    lat = area.centre_lat if area.centre_lat is not None else (area.min_lat + area.max_lat) / 2
    lon = area.centre_lon if area.centre_lon is not None else (area.min_lon + area.max_lon) / 2
    return lat, lon, area.zoom


# --- figures ------------------------------------------------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's ordered-set median (percentile_cont works on intervals too)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


@dataclass
class FigureRow:
    key: str
    name: str
    received: int = 0
    answered: int = 0
    within_target: int = 0
    target_due: int = 0  # answered, or past the target date: those that should have been answered by the target
    within_legal: int = 0
    legal_due: int = 0  # answered, or past the legal date
    median_days: float | None = None

    @staticmethod
    def _share(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    @property
    def within_target_share(self) -> int | None:
        return self._share(self.within_target, self.target_due)

    @property
    def within_legal_share(self) -> int | None:
        return self._share(self.within_legal, self.legal_due)


@dataclass
class Period:
    key: str  # "12m" or a year
    start: datetime.datetime
    end: datetime.datetime  # exclusive


@dataclass
class Figures:
    period: Period
    total: FigureRow
    by_category: list[FigureRow] = field(default_factory=list)
    by_arrondissement: list[FigureRow] = field(default_factory=list)


def period_for(key: str, *, now: datetime.datetime | None = None) -> Period | None:
    """"12m" (the last 12 months up to now) or a year from 2000 to this year; None for anything else."""
    now = now or timezone.now()
    today = calendar.local_date(now)
    if key in ("", "12m"):
        try:
            start_day = today.replace(year=today.year - 1)
        except ValueError:  # 29 February
            start_day = today.replace(year=today.year - 1, day=28)
        start = datetime.datetime.combine(start_day + datetime.timedelta(days=1), datetime.time.min,
                                          tzinfo=calendar.CASABLANCA)
        return Period(key="12m", start=start, end=now)
    if key.isdigit() and len(key) == 4 and 2000 <= int(key) <= today.year:
        year = int(key)
        return Period(key=key, start=datetime.datetime(year, 1, 1, tzinfo=calendar.CASABLANCA),
                      end=datetime.datetime(year + 1, 1, 1, tzinfo=calendar.CASABLANCA))
    return None


def years_with_complaints(commune: Commune, *, now: datetime.datetime | None = None) -> list[int]:
    today = calendar.local_date(now or timezone.now())
    first = Complaint.all_communes.filter(commune=commune).order_by("received_at").values_list(
        "received_at", flat=True).first()
    start = calendar.local_date(first).year if first is not None else today.year
    return list(range(today.year, start - 1, -1))


def _counts(today: datetime.date) -> dict[str, Any]:
    answered = Q(answered_at__isnull=False)
    return {
        "received": Count("id"),
        "answered": Count("id", filter=answered),
        "within_target": Count("id", filter=answered & Q(answered_at__date__lte=F("target_due"))),
        "target_due_count": Count("id", filter=answered | Q(target_due__lt=today)),
        "within_legal": Count("id", filter=answered & Q(answered_at__date__lte=F("legal_due"))),
        "legal_due_count": Count("id", filter=answered | Q(legal_due__lt=today)),
    }


def _fill(row: FigureRow, values: dict[str, Any]) -> FigureRow:
    row.received = values["received"] or 0
    row.answered = values["answered"] or 0
    row.within_target = values["within_target"] or 0
    row.target_due = values["target_due_count"] or 0
    row.within_legal = values["within_legal"] or 0
    row.legal_due = values["legal_due_count"] or 0
    return row


def _days(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        return round(value.total_seconds() / 86400, 1)
    return round(float(value) / 86400, 1)  # seconds


def figures(commune: Commune, period: Period, *, now: datetime.datetime | None = None) -> Figures:
    """Complaints received in the period (reports and grievances; a duplicate merged into another report counts
    once, as the report it joined): how many were answered, within the category's target and within the legal
    date, and the median time from receipt to answer in days, for the commune, per category (top level) and per
    arrondissement. Three aggregate queries (with the median on PostgreSQL), or four on other databases (the
    median from the answer times)."""
    now = now or timezone.now()
    today = calendar.local_date(now)
    complaints = (Complaint.all_communes.filter(commune=commune, received_at__gte=period.start,
                                                received_at__lt=period.end, merged_into__isnull=True)
                  .annotate(top=Coalesce("category__parent_id", "category_id"),
                            area=F("case__arrondissement_id")))
    duration = ExpressionWrapper(F("answered_at") - F("received_at"), output_field=DurationField())
    in_sql = connection.vendor == "postgresql"
    counts = _counts(today)
    if in_sql:
        counts["median"] = Median(duration, filter=Q(answered_at__isnull=False), output_field=DurationField())

    with timezone.override(calendar.CASABLANCA):  # answered_at__date: the day in Morocco
        total_values = complaints.aggregate(**counts)
        by_top = list(complaints.values("top").annotate(**counts).order_by())
        by_area = list(complaints.values("area").annotate(**counts).order_by())

    total = _fill(FigureRow(key="", name=""), total_values)
    names = {c.pk: c for c in Category.all_communes.filter(pk__in=[r["top"] for r in by_top])}
    areas = {a.pk: a for a in Arrondissement.all_communes.filter(commune=commune)}
    category_rows = {r["top"]: _fill(FigureRow(key=names[r["top"]].code if r["top"] in names else "",
                                               name=names[r["top"]].name if r["top"] in names else ""), r)
                     for r in by_top}
    area_rows = {r["area"]: _fill(FigureRow(key=areas[r["area"]].slug if r["area"] in areas else "",
                                            name=areas[r["area"]].name if r["area"] in areas else ""), r)
                 for r in by_area}

    if in_sql:
        total.median_days = _days(total_values.get("median"))
        for r in by_top:
            category_rows[r["top"]].median_days = _days(r.get("median"))
        for r in by_area:
            area_rows[r["area"]].median_days = _days(r.get("median"))
    else:
        per_top: dict[Any, list[float]] = defaultdict(list)
        per_area: dict[Any, list[float]] = defaultdict(list)
        every: list[float] = []
        for top, area, received, answered in complaints.filter(answered_at__isnull=False).values_list(
                "top", "area", "received_at", "answered_at").order_by():
            seconds = (answered - received).total_seconds()
            every.append(seconds)
            per_top[top].append(seconds)
            per_area[area].append(seconds)
        total.median_days = _days(statistics.median(every)) if every else None
        for key, row in category_rows.items():
            row.median_days = _days(statistics.median(per_top[key])) if per_top.get(key) else None
        for key, row in area_rows.items():
            row.median_days = _days(statistics.median(per_area[key])) if per_area.get(key) else None

    by_category = sorted(category_rows.values(), key=lambda r: (-r.received, r.name))
    by_area_list = sorted((r for k, r in area_rows.items() if k is not None), key=lambda r: (-r.received, r.name))
    if None in area_rows:
        outside = area_rows[None]
        outside.name = _("No arrondissement (grievances, places without one)")
        by_area_list.append(outside)
    return Figures(period=period, total=total, by_category=by_category, by_arrondissement=by_area_list)


# --- states in words, and the citizen's own list --------------------------------------------------------------

# Each state's badge colour and symbol: the words always come with them (colour is never the only signal).
STATE_TONES: dict[str, str] = {
    ComplaintState.RECEIVED: "info",
    ComplaintState.ACKNOWLEDGED: "info",
    ComplaintState.IN_PROGRESS: "warning",
    ComplaintState.RESOLVED: "success",
    ComplaintState.REJECTED: "danger",
    ComplaintState.CLOSED: "neutral",
    ComplaintState.REOPENED: "warning",
}
STATE_ICONS: dict[str, str] = {
    ComplaintState.RECEIVED: "●",
    ComplaintState.ACKNOWLEDGED: "◐",
    ComplaintState.IN_PROGRESS: "▶",
    ComplaintState.RESOLVED: "✓",
    ComplaintState.REJECTED: "✕",
    ComplaintState.CLOSED: "■",
    ComplaintState.REOPENED: "↺",
}


def complaint_next_step(complaint: Complaint) -> str:
    if complaint.merged_into_id is not None:
        return _("Followed with the report it was merged into")
    if complaint.is_open:
        return _("Waiting for the commune's answer")
    if complaint.state in (ComplaintState.RESOLVED, ComplaintState.REJECTED):
        return _("Read the answer; say so if the problem is not solved")
    return _("Nothing more to do")


@dataclass(frozen=True)
class ComplaintSummary:
    """What "My requests" shows of a complaint (the case alone knows no category and only coarse states)."""

    title: str
    state_label: str
    tone: str
    icon: str
    next_step: str


def complaint_summaries(cases: Iterable[Case]) -> dict[int, ComplaintSummary]:
    """The summary of each complaint among these cases, by case id, in one query."""
    ids = [c.pk for c in cases if c.kind == CaseKind.COMPLAINT]
    if not ids:
        return {}
    found = (Complaint.objects.filter(case_id__in=ids).select_related("category")
             .only("case_id", "state", "merged_into_id", "category__name_ar", "category__name_fr",
                   "category__name_zgh"))
    return {c.case_id: ComplaintSummary(title=c.category.name, state_label=str(ComplaintState(c.state).label),
                                        tone=STATE_TONES.get(c.state, "neutral"), icon=STATE_ICONS.get(c.state, ""),
                                        next_step=complaint_next_step(c))
            for c in found}
