"""Reads of the public side of complaints: who may see a complaint's page, the public map (grid clusters or points in
a box), the latest public reports, and the commune's figures (received, answered in time, median answer time).

Everything here reads; writes go through `jamaa.complaints.services` and `jamaa.complaints.followup`. The map and
the figures stay a handful of aggregate queries whatever the number of reports: the database groups and counts, Python
only shapes the few rows that come back.
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from jamaa.cases.forms import REFERENCE_RE, normalise_reference
from jamaa.cases.models import Case, CaseEvent, CaseKind, CaseState, EventKind
from jamaa.complaints import redact
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
# A cell is about a quarter of a 256 px map tile wide (64 px). The commune's finest grid (at the zoom just below
# the points) is counted once a minute; the coarser zooms are made from it.
CELLS_PER_TILE = 4
GRID_CACHE_SECONDS = 60
# Points are sent only for a box a screen can show at the zoom asked (4096 px across at most).
MAX_VIEW_PIXELS = 4096
MAX_POINTS = 2000
# Below POINTS_FROM_ZOOM, a box with no more reports than this shows them one by one all the same.
POINTS_WHEN_FEW = 200
BASE_GRID_ZOOM = POINTS_FROM_ZOOM - 1
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


def public_timeline(complaint: Complaint, *, masked: bool = False) -> list[dict[str, Any]]:
    """The moves of the complaint with the texts written for the public (no actor, no internal note); `masked`: the
    identifiers typed in them are masked (`redact.public`) for visitors other than the filer."""
    rows = []
    for event in (CaseEvent.objects.filter(case_id=complaint.case_id, kind=EventKind.TRANSITION, is_public=True)
                  .only("created_at", "from_state", "to_state", "public_text").order_by("created_at", "id")):
        rows.append({"time": event.created_at, "title": event_title(event.from_state, event.to_state),
                     "text": redact.public(event.public_text) if masked else event.public_text})
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

    def holds(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


@dataclass
class MapData:
    mode: str  # "clusters" or "points"
    items: list[dict[str, Any]]
    total: int  # reports in the box (points: those returned)
    truncated: bool
    last_modified: datetime.datetime | None

    def as_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "count": self.total, "truncated": self.truncated, self.mode: self.items}


class GridCell(Func):
    """The index of a coordinate's cell on a grid of `size` degrees. The coordinate is shifted to be positive so
    that SQLite's native CAST (which truncates) floors too, and both databases draw the same grid."""

    output_field = IntegerField()

    def __init__(self, expression: Any, size: float) -> None:
        super().__init__(expression, Value(float(size), output_field=FloatField()))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        return self._grid_sql(compiler, connection, "FLOOR((%s + 360.0) / %s)")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._grid_sql(compiler, connection, "CAST((%s + 360.0) / %s AS INTEGER)")

    def _grid_sql(self, compiler: Any, connection: Any, template: str) -> tuple[str, list[Any]]:
        coordinate, size = self.get_source_expressions()
        coordinate_sql, coordinate_params = compiler.compile(coordinate)
        size_sql, size_params = compiler.compile(size)
        return template % (coordinate_sql, size_sql), [*coordinate_params, *size_params]


def cell_size(zoom: int) -> float:
    """The side of a grid cell in degrees at this zoom: a quarter of a map tile (about 64 pixels)."""
    return 360.0 / (2 ** zoom) / CELLS_PER_TILE


def view_zoom(box: Box, zoom: int) -> int:
    """The zoom the box can really be shown at: a client that claims a high zoom for a box wider than a very large
    screen gets the counts, not tens of thousands of points."""
    span = max(box.max_lon - box.min_lon, box.max_lat - box.min_lat)
    if span <= 0:
        return zoom
    widest = math.floor(math.log2(MAX_VIEW_PIXELS * 360.0 / (256 * span)))
    return max(0, min(zoom, widest))


def _filters_key(filters: ReportFilters) -> str:
    categories = ",".join(str(pk) for pk in filters.category_ids) if filters.category_ids is not None else "*"
    return f"{categories}|{filters.state}|{filters.since.isoformat() if filters.since else ''}"


def _base_grid(commune: Commune, filters: ReportFilters) -> list[tuple[int, int, int, int, float, float, Any]]:
    """The commune's public reports counted per cell of the finest grid (the zoom just below the points): (row,
    column, count, open, sum of latitudes, sum of longitudes, last change). One GROUP BY over the commune, kept
    GRID_CACHE_SECONDS: every coarser zoom is made from it (its cells are exact unions of these)."""
    key = f"jamaa:complaints:grid:{commune.pk}:{_filters_key(filters)}"
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    cell = cell_size(BASE_GRID_ZOOM)
    rows = (
        public_reports(commune, filters).filter(lat__isnull=False, lon__isnull=False)
        .annotate(gy=GridCell("lat", cell), gx=GridCell("lon", cell))
        .values("gy", "gx")
        .annotate(n=Count("id"), open=Count("id", filter=Q(state__in=OPEN_STATES)), slat=Sum("lat"),
                  slon=Sum("lon"), last=Max("updated_at"))
        .order_by()
    )
    grid = [(int(r["gy"]), int(r["gx"]), r["n"], r["open"], r["slat"], r["slon"], r["last"]) for r in rows]
    cache.set(key, grid, GRID_CACHE_SECONDS)
    return grid


def commune_grid(commune: Commune, filters: ReportFilters, zoom: int) -> list[tuple[float, float, int, int, Any]]:
    """The commune's public reports counted per grid cell at this zoom (at most BASE_GRID_ZOOM): (lat, lon, count,
    open, last change), at each cell's centre of mass. Made from the cached finest grid: a cell of zoom z is the
    union of 2^(BASE-z) × 2^(BASE-z) finest cells, so no query runs as visitors zoom and pan."""
    shift = max(0, BASE_GRID_ZOOM - zoom)
    merged: dict[tuple[int, int], list[Any]] = {}
    for gy, gx, n, n_open, slat, slon, last in _base_grid(commune, filters):
        cell = merged.get((gy >> shift, gx >> shift))
        if cell is None:
            merged[(gy >> shift, gx >> shift)] = [n, n_open, slat, slon, last]
            continue
        cell[0] += n
        cell[1] += n_open
        cell[2] += slat
        cell[3] += slon
        if last is not None and (cell[4] is None or last > cell[4]):
            cell[4] = last
    return [(slat / n, slon / n, n, n_open, last) for n, n_open, slat, slon, last in merged.values() if n]


def map_data(commune: Commune, filters: ReportFilters, box: Box, zoom: int) -> MapData:
    """Counts per grid cell below POINTS_FROM_ZOOM (from the commune's cached grid), unless the box holds only a few
    reports; else the reports in the box themselves, newest first, at most MAX_POINTS (`truncated` when there are
    more)."""
    zoom = view_zoom(box, zoom)
    if zoom < POINTS_FROM_ZOOM:
        cells = [cell for cell in commune_grid(commune, filters, zoom) if box.holds(cell[0], cell[1])]
        total = sum(cell[2] for cell in cells)
        if total > POINTS_WHEN_FEW:
            items = [{"lat": round(lat, 5), "lon": round(lon, 5), "count": n, "open": n_open}
                     for lat, lon, n, n_open, _last in cells]
            items.sort(key=lambda item: (-item["count"], item["lat"], item["lon"]))
            last = max((cell[4] for cell in cells if cell[4] is not None), default=None)
            return MapData(mode="clusters", items=items, total=total, truncated=False, last_modified=last)
    rows = list(
        public_reports(commune, filters)
        .filter(lat__gte=box.min_lat, lat__lte=box.max_lat, lon__gte=box.min_lon, lon__lte=box.max_lon)
        .order_by("-id")
        .values_list("case__reference", "lat", "lon", "state", "category__code", "updated_at")[:MAX_POINTS + 1]
    )
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
    """PostgreSQL's ordered-set median."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False


class AnswerSeconds(Func):
    """Seconds from receipt to answer, computed by the database itself (no Python function per row on SQLite)."""

    output_field = FloatField()

    def __init__(self) -> None:
        super().__init__(F("answered_at"), F("received_at"))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        return self._between(compiler, "EXTRACT(EPOCH FROM (%s - %s))")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._between(compiler, "((julianday(%s) - julianday(%s)) * 86400.0)")

    def _between(self, compiler: Any, template: str) -> tuple[str, list[Any]]:
        (end_sql, end_params), (start_sql, start_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return template % (end_sql, start_sql), [*end_params, *start_params]


class DayEnd(Func):
    """The instant a date ends in Morocco (the next day's midnight in Africa/Casablanca), computed by the database:
    PostgreSQL converts the local midnight itself; SQLite knows no time zones, so the UTC offsets in force over the
    dates concerned are passed in (`offsets`: the usual offset, and the runs of days with another one, such as
    Ramadan's), which keeps the comparison native instead of a Python function per row."""

    output_field = DateTimeField()

    def __init__(self, field_name: str, offsets: tuple[int, list[tuple[datetime.date, datetime.date, int]]]) -> None:
        super().__init__(F(field_name))
        self.offsets = offsets

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"((({sql}) + 1)::timestamp AT TIME ZONE 'Africa/Casablanca')", list(params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        usual, runs = self.offsets
        whens: list[str] = []
        when_params: list[Any] = []
        for first, last, offset in runs:
            whens.append(f"WHEN {sql} BETWEEN %s AND %s THEN %s")
            when_params += [*params, first.isoformat(), last.isoformat(), f"{-offset} seconds"]
        modifier = f"CASE {' '.join(whens)} ELSE %s END" if whens else "%s"
        return (f"datetime({sql}, '+1 day', {modifier})",
                [*params, *when_params, f"{-usual} seconds"])


def day_end_offsets(first: datetime.date, last: datetime.date) -> tuple[int, list[tuple[datetime.date, datetime.date,
                                                                                       int]]]:
    """Africa/Casablanca's UTC offset (seconds) at the end of each day from `first` to `last`: the usual one, and
    the runs of days that differ."""
    by_day: list[tuple[datetime.date, int]] = []
    day = first
    while day <= last:
        end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min,
                                        tzinfo=calendar.CASABLANCA)
        offset = end.utcoffset()
        by_day.append((day, int(offset.total_seconds()) if offset is not None else 0))
        day += datetime.timedelta(days=1)
    if not by_day:
        return 3600, []
    usual = Counter(offset for _day, offset in by_day).most_common(1)[0][0]
    runs: list[tuple[datetime.date, datetime.date, int]] = []
    for day, offset in by_day:
        if offset == usual:
            continue
        if runs and runs[-1][2] == offset and runs[-1][1] + datetime.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day, offset)
        else:
            runs.append((day, day, offset))
    return usual, runs


@dataclass
class FigureRow:
    """The figures of one group. Its name is read in the language of the page that shows it (`source`), so one
    computation serves every language."""

    key: str = ""
    source: Category | Arrondissement | None = None
    label: str = ""
    is_area: bool = False
    received: int = 0
    answered: int = 0
    within_target: int = 0
    target_due: int = 0  # answered, or past the target date: those that should have been answered by the target
    within_legal: int = 0
    legal_due: int = 0  # answered, or past the legal date
    median_days: float | None = None

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.source is not None:
            return self.source.name
        return _("No arrondissement (grievances, places without one)") if self.is_area else ""

    @staticmethod
    def _share(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    @property
    def within_target_share(self) -> int | None:
        return self._share(self.within_target, self.target_due)

    @property
    def within_legal_share(self) -> int | None:
        return self._share(self.within_legal, self.legal_due)

    def add(self, other: FigureRow) -> None:
        for name in ("received", "answered", "within_target", "target_due", "within_legal", "legal_due"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


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


def _fill(row: FigureRow, values: Mapping[str, Any]) -> FigureRow:
    row.received = values["received"] or 0
    row.answered = values["answered"] or 0
    row.within_target = values["within_target"] or 0
    row.target_due = values["target_due_count"] or 0
    row.within_legal = values["within_legal"] or 0
    row.legal_due = values["legal_due_count"] or 0
    return row


def _days(seconds: float | None) -> float | None:
    return round(float(seconds) / 86400, 1) if seconds is not None else None


def _median_days(values: list[float]) -> float | None:
    return _days(statistics.median(values)) if values else None


def figures(commune: Commune, period: Period, *, now: datetime.datetime | None = None) -> Figures:
    """Complaints received in the period (reports and grievances; a duplicate merged into another report counts
    once, as the report it joined): how many were answered, within the category's target and within the legal
    date (both in Morocco's days), and the median time from receipt to answer, for the commune, per category (top
    level) and per arrondissement. The counts come from one GROUP BY; the medians from PostgreSQL's percentile (one
    query per grouping), or on other databases from the answer times (one number per answered complaint) sorted
    here. Every expression is the database's own: no Python function runs per row."""
    now = now or timezone.now()
    today = calendar.local_date(now)
    offsets = day_end_offsets(calendar.local_date(period.start) - datetime.timedelta(days=1),
                              max(calendar.local_date(period.end), today) + datetime.timedelta(days=120))
    complaints = Complaint.all_communes.filter(commune=commune, received_at__gte=period.start,
                                               received_at__lt=period.end, merged_into__isnull=True)
    top = Coalesce("category__parent_id", "category_id")
    area = F("case__arrondissement_id")
    answered = Q(answered_at__isnull=False)
    # One GROUP BY (category, arrondissement): the counts add up to the per-category, per-arrondissement and total
    # rows here (at most categories × arrondissements rows come back).
    cells = list(complaints.annotate(top=top, area=area).values("top", "area").annotate(
        received=Count("id"),
        answered=Count("id", filter=answered),
        within_target=Count("id", filter=Q(answered_at__lt=DayEnd("target_due", offsets))),
        target_due_count=Count("id", filter=answered | Q(target_due__lt=today)),
        within_legal=Count("id", filter=Q(answered_at__lt=DayEnd("legal_due", offsets))),
        legal_due_count=Count("id", filter=answered | Q(legal_due__lt=today)),
    ).order_by())

    names = {c.pk: c for c in Category.all_communes.filter(pk__in={r["top"] for r in cells})}
    areas = {a.pk: a for a in Arrondissement.all_communes.filter(commune=commune)}
    category_rows: dict[Any, FigureRow] = {}
    area_rows: dict[Any, FigureRow] = {}
    total = FigureRow()
    for cell in cells:
        one = _fill(FigureRow(), cell)
        if cell["top"] not in category_rows:
            category = names.get(cell["top"])
            category_rows[cell["top"]] = FigureRow(key=category.code if category else "", source=category)
        if cell["area"] not in area_rows:
            arrondissement = areas.get(cell["area"])
            area_rows[cell["area"]] = FigureRow(key=arrondissement.slug if arrondissement else "",
                                                source=arrondissement, is_area=True)
        category_rows[cell["top"]].add(one)
        area_rows[cell["area"]].add(one)
        total.add(one)

    if total.answered and connection.vendor == "postgresql":
        with_answer = complaints.filter(answered)
        for row in with_answer.annotate(top=top).values("top").annotate(median=Median(AnswerSeconds())).order_by():
            category_rows[row["top"]].median_days = _days(row["median"])
        for row in with_answer.annotate(area=area).values("area").annotate(
                median=Median(AnswerSeconds())).order_by():
            area_rows[row["area"]].median_days = _days(row["median"])
        total.median_days = _days(with_answer.aggregate(median=Median(AnswerSeconds()))["median"])
    elif total.answered:
        per_top: dict[Any, list[float]] = defaultdict(list)
        per_area: dict[Any, list[float]] = defaultdict(list)
        every: list[float] = []
        for row_top, row_area, seconds in (complaints.filter(answered).annotate(top=top, area=area,
                                                                                 seconds=AnswerSeconds())
                                           .values_list("top", "area", "seconds").order_by()):
            every.append(seconds)
            per_top[row_top].append(seconds)
            per_area[row_area].append(seconds)
        total.median_days = _median_days(every)
        for key, row in category_rows.items():
            row.median_days = _median_days(per_top.get(key, []))
        for key, row in area_rows.items():
            row.median_days = _median_days(per_area.get(key, []))

    # The busiest first; the complaints without an arrondissement last.
    by_category = sorted(category_rows.values(), key=lambda r: (-r.received, r.key))
    by_area_list = sorted((r for k, r in area_rows.items() if k is not None), key=lambda r: (-r.received, r.key))
    if None in area_rows:
        by_area_list.append(area_rows[None])
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
