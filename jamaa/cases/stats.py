"""The leadership's figures on cases, for one commune: a few aggregate queries, whatever the number of cases.

- cases by state, and by procedure (the busiest procedures, with their counts per state);
- open cases past their due date (while the deadline runs: submitted or in review);
- median processing time in working days, from submission to decision, of the cases decided in the last 12 months;
- share of the requests made online (website or application) among all requests;
- average rating given by applicants.
"""

from __future__ import annotations

import bisect
import datetime
import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils import timezone

from jamaa.cases.models import Case, CaseChannel, CaseState
from jamaa.catalog.models import Procedure
from jamaa.core import calendar
from jamaa.core.models import Commune, HolidayOverride

TOP_PROCEDURES = 10
PROCESSING_WINDOW_DAYS = 365
# The states shown in the tables, in the order of a case's life (drafts are not requests yet).
STATES: list[str] = [value for value in CaseState.values if value != CaseState.DRAFT]
RUNNING = (CaseState.SUBMITTED, CaseState.IN_REVIEW)
ONLINE_CHANNELS = (CaseChannel.ONLINE, CaseChannel.API)


@dataclass
class ProcedureRow:
    name: str
    total: int
    by_state: list[int]  # in the order of STATES


@dataclass
class CaseFigures:
    total: int = 0
    by_state: list[tuple[str, int]] = field(default_factory=list)  # (label, count) in the order of STATES
    states: list[str] = field(default_factory=list)  # labels, the columns of `by_procedure`
    by_procedure: list[ProcedureRow] = field(default_factory=list)
    overdue_open: int = 0
    median_working_days: float | None = None
    decided_last_12_months: int = 0
    online: int = 0
    online_share: float | None = None  # percentage, 0 to 100
    rating_average: float | None = None
    rating_count: int = 0


class WorkingDayCounter:
    """Working days between dates of one commune, with the calendar of a whole range loaded once (two queries).

    Same rules as `jamaa.core.calendar.working_days_between` (the tests check both agree): Monday to Friday, minus the
    public holidays (package estimates corrected by the national overrides) and the commune's closures."""

    def __init__(self, commune: Commune, start: datetime.date, end: datetime.date) -> None:
        closed: set[datetime.date] = set()
        for year in range(start.year, end.year + 1):
            closed.update(day for day in calendar.package_holidays(year) if start <= day <= end)
        for override in HolidayOverride.objects.filter(date__gte=start, date__lte=end):
            if override.is_holiday:
                closed.add(override.date)
            else:
                closed.discard(override.date)
        for closure in calendar.closures_between(commune, start, end):
            day = max(closure.start_date, start)
            while day <= min(closure.end_date, end):
                closed.add(day)
                day += datetime.timedelta(days=1)
        self._working: list[datetime.date] = []
        day = start
        while day <= end:
            if day.weekday() < 5 and day not in closed:
                self._working.append(day)
            day += datetime.timedelta(days=1)

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.between(end, start)
        return bisect.bisect_right(self._working, end) - bisect.bisect_right(self._working, start)


def median_processing_days(
    commune: Commune, pairs: list[tuple[datetime.datetime, datetime.datetime]]
) -> float | None:
    """Median of the working days from submission to decision of (submitted_at, decided_at) pairs."""
    dates = [(calendar.local_date(submitted), calendar.local_date(decided)) for submitted, decided in pairs]
    if not dates:
        return None
    start = min(min(s, d) for s, d in dates)
    end = max(max(s, d) for s, d in dates)
    counter = WorkingDayCounter(commune, start, end)
    return float(statistics.median(max(counter.between(s, d), 0) for s, d in dates))


def case_figures(commune: Commune, *, now: datetime.datetime | None = None) -> CaseFigures:
    """The figures of the overview page, from four aggregate queries (plus two for the working-day calendar)."""
    now = now or timezone.now()
    today = calendar.local_date(now)
    cases = Case.all_communes.filter(commune=commune).submitted()

    totals: dict[str, Any] = cases.aggregate(
        total=Count("id"),
        online=Count("id", filter=Q(channel__in=ONLINE_CHANNELS)),
        overdue=Count("id", filter=Q(state__in=RUNNING, due_date__lt=today)),
        rating_average=Avg("rating"),
        rating_count=Count("rating"),
        **{f"state_{state}": Count("id", filter=Q(state=state)) for state in STATES},
    )
    labels = dict(CaseState.choices)
    figures = CaseFigures(
        total=totals["total"],
        by_state=[(str(labels[state]), totals[f"state_{state}"]) for state in STATES],
        states=[str(labels[state]) for state in STATES],
        overdue_open=totals["overdue"],
        online=totals["online"],
        online_share=(100 * totals["online"] / totals["total"]) if totals["total"] else None,
        rating_average=float(totals["rating_average"]) if totals["rating_average"] is not None else None,
        rating_count=totals["rating_count"],
    )

    # One GROUP BY (procedure, state); the pivot and the ranking are done here on at most procedures × states rows.
    per_procedure: dict[int, dict[str, Any]] = {}
    rows = cases.filter(procedure__isnull=False).values(
        "procedure_id", "procedure__procedure__name_ar", "procedure__procedure__name_fr",
        "procedure__procedure__name_zgh", "state",
    ).annotate(count=Count("id")).order_by()
    for row in rows:
        entry = per_procedure.setdefault(row["procedure_id"], {
            "name": Procedure(name_ar=row["procedure__procedure__name_ar"] or "",
                              name_fr=row["procedure__procedure__name_fr"] or "",
                              name_zgh=row["procedure__procedure__name_zgh"] or "").name,
            "states": {},
        })
        entry["states"][row["state"]] = row["count"]
    ranked = sorted(per_procedure.values(), key=lambda e: (-sum(e["states"].values()), e["name"]))
    figures.by_procedure = [
        ProcedureRow(name=e["name"], total=sum(e["states"].values()),
                     by_state=[e["states"].get(state, 0) for state in STATES])
        for e in ranked[:TOP_PROCEDURES]
    ]

    since = now - datetime.timedelta(days=PROCESSING_WINDOW_DAYS)
    pairs = list(
        cases.filter(decided_at__gte=since, decided_at__lte=now, submitted_at__isnull=False)
        .values_list("submitted_at", "decided_at")
    )
    figures.decided_last_12_months = len(pairs)
    figures.median_working_days = median_processing_days(commune, pairs)
    return figures
