"""The staff queue: filters, the deadline status of each row, and keyset pagination on (due_date, id).

Most urgent first: by due date, then by id; a case without a due date comes last. A page is two queries, whatever
the number of cases: the keys of the page (LIMIT page size + 1, no OFFSET, no COUNT), then the rows of those keys
with what they show. The cursor of the next page is the (due_date, id) of the last row shown.
The filters are equalities on the leading columns of the `case_queue`, `case_queue_due`, `case_assigned` and
`case_state_due` indexes (commune, department or assigned_to, state) followed by a range on due_date and id.
"""

from __future__ import annotations

import datetime
import heapq
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jamaa.cases.models import Case, CaseKind, CaseQuerySet, CaseState
from jamaa.cases.selectors import staff_cases
from jamaa.core import calendar
from jamaa.core.models import Commune, Membership, User

PAGE_SIZE = 50
SOON_WORKING_DAYS = 3

OPEN = "open"
ALL = "all"
# The state filter: the open cases (default), every submitted case, or one state.
STATE_CHOICES: list[tuple[str, Any]] = [
    (OPEN, _("Open (submitted, returned, in review)")),
    (ALL, _("All states")),
    *[(value, label) for value, label in CaseState.choices if value != CaseState.DRAFT],
]
ASSIGNED_ME = "me"
ASSIGNED_NONE = "none"


@dataclass(frozen=True)
class Cursor:
    due_date: datetime.date | None
    id: int

    def encode(self) -> str:
        return f"{self.due_date.isoformat() if self.due_date else 'none'}_{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """The cursor of a `?cursor=` value, or None for anything malformed (the first page is shown then)."""
        if not raw or len(raw) > 40:
            return None
        day_text, sep, id_text = raw.partition("_")
        if not sep or not id_text.isascii() or not id_text.isdigit() or len(id_text) > 18:
            return None
        if day_text == "none":
            day = None
        else:
            try:
                day = datetime.date.fromisoformat(day_text)
            except ValueError:
                return None
        return cls(due_date=day, id=int(id_text))


@dataclass(frozen=True)
class QueueFilters:
    state: str = OPEN
    procedure_id: int | None = None
    arrondissement_id: int | None = None
    department_id: int | None = None  # administrators and leadership only
    overdue: bool = False
    due_soon: bool = False
    assigned: str = ""  # "", ASSIGNED_ME or ASSIGNED_NONE

    @property
    def is_default(self) -> bool:
        return self == QueueFilters()


@dataclass(frozen=True)
class DeadlineStatus:
    """How a case stands against its due date, in words and in a tone (never colour alone)."""

    tone: str  # danger, warning, neutral
    label: Promise | str


OVERDUE = DeadlineStatus("danger", _("Overdue"))
DUE_SOON = DeadlineStatus("warning", _("Due soon"))
ON_TIME = DeadlineStatus("neutral", _("On time"))
SUSPENDED = DeadlineStatus("neutral", _("Suspended while returned"))
DECIDED = DeadlineStatus("neutral", _("Decided"))


@dataclass(frozen=True)
class Deadlines:
    """Today and the last date counted as "due soon" (3 working days from today), for one commune."""

    today: datetime.date
    soon_until: datetime.date

    @classmethod
    def for_commune(cls, commune: Commune, now: datetime.datetime | None = None) -> Deadlines:
        today = calendar.local_date(now or timezone.now())
        return cls(today=today, soon_until=calendar.add_working_days(commune, today, SOON_WORKING_DAYS))

    def status(self, case: Case) -> DeadlineStatus:
        if case.state == CaseState.RETURNED:
            return SUSPENDED
        if case.state not in (CaseState.SUBMITTED, CaseState.IN_REVIEW):
            return DECIDED
        if case.due_date is None:
            return ON_TIME
        if case.due_date < self.today:
            return OVERDUE
        if case.due_date <= self.soon_until:
            return DUE_SOON
        return ON_TIME


@dataclass
class QueueRow:
    case: Case
    deadline: DeadlineStatus


@dataclass
class QueuePage:
    rows: list[QueueRow] = field(default_factory=list)
    next_cursor: str | None = None
    is_first: bool = True


RUNNING_STATES = (CaseState.SUBMITTED, CaseState.IN_REVIEW)
ALL_STATES = tuple(value for value in CaseState.values if value != CaseState.DRAFT)
# Up to this many states, a page reads each state's keys in index order (one small query per state) and merges
# them; more states (the "all states" filter) are read with one query and a sort.
MERGE_MAX_STATES = 3


def filter_states(filters: QueueFilters) -> tuple[str, ...]:
    """The states the filters ask for."""
    if filters.state == OPEN:
        states: tuple[str, ...] = tuple(CaseQuerySet.OPEN_STATES)
    elif filters.state == ALL:
        states = ALL_STATES
    else:
        states = (filters.state,)
    if filters.overdue or filters.due_soon:
        # A deadline counts only while it runs: a returned case's deadline is suspended, a decided case has none.
        states = tuple(state for state in states if state in RUNNING_STATES)
    return states


def filtered_cases(
    membership: Membership, user: User, filters: QueueFilters, deadlines: Deadlines, *, with_states: bool = True,
) -> CaseQuerySet:
    """The member's cases matching the filters (unordered, not paged); `with_states=False` leaves the state
    filter to the caller (see `filter_states`)."""
    # The e-service requests only: complaints have their own list (/backoffice/complaints/).
    qs = staff_cases(membership).filter(kind=CaseKind.SERVICE_REQUEST)
    if with_states:
        qs = qs.filter(state__in=filter_states(filters))
    if filters.department_id is not None:
        qs = qs.filter(department_id=filters.department_id)
    if filters.procedure_id is not None:
        qs = qs.filter(procedure_id=filters.procedure_id)
    if filters.arrondissement_id is not None:
        qs = qs.filter(arrondissement_id=filters.arrondissement_id)
    if filters.assigned == ASSIGNED_ME:
        qs = qs.filter(assigned_to=user)
    elif filters.assigned == ASSIGNED_NONE:
        qs = qs.filter(assigned_to__isnull=True)
    if filters.overdue and filters.due_soon:
        qs = qs.filter(due_date__lte=deadlines.soon_until)
    elif filters.overdue:
        qs = qs.filter(due_date__lt=deadlines.today)
    elif filters.due_soon:
        qs = qs.filter(due_date__gte=deadlines.today, due_date__lte=deadlines.soon_until)
    return qs


def _sort_key(key: tuple[datetime.date | None, int]) -> tuple[bool, datetime.date, int]:
    due, pk = key
    return (due is None, due or datetime.date.min, pk)


def _page_keys(qs: CaseQuerySet, cursor: Cursor | None, limit: int) -> list[tuple[datetime.date | None, int]]:
    if cursor is not None:
        qs = qs.filter(_after(cursor))
    return list(qs.order_by(F("due_date").asc(nulls_last=True), "id").values_list("due_date", "id")[:limit])


def _after(cursor: Cursor) -> Q:
    if cursor.due_date is None:
        return Q(due_date__isnull=True, id__gt=cursor.id)
    return (
        Q(due_date__gt=cursor.due_date)
        | Q(due_date=cursor.due_date, id__gt=cursor.id)
        | Q(due_date__isnull=True)
    )


def queue_page(
    *, membership: Membership, user: User, filters: QueueFilters, deadlines: Deadlines,
    cursor: Cursor | None = None, page_size: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue, most urgent first: a fixed number of queries, whatever the number of rows."""
    # The page's keys first, read from the indexes without joining anything, then the rows of that page only.
    # With one state fixed, (commune, department or assignee, state, due_date, id) is an index order: each state's
    # first keys are read without sorting, and the few states are merged here.
    base = filtered_cases(membership, user, filters, deadlines, with_states=False)
    states = filter_states(filters)
    limit = page_size + 1
    if not states:
        keys: list[tuple[datetime.date | None, int]] = []
    elif len(states) <= MERGE_MAX_STATES:
        runs = [_page_keys(base.filter(state=state), cursor, limit) for state in states]
        keys = list(heapq.merge(*runs, key=_sort_key))[:limit]
    else:
        keys = _page_keys(base.filter(state__in=states), cursor, limit)
    page_keys = keys[:page_size]
    by_id = Case.objects.for_list().select_related(
        "arrondissement", "assigned_to", "department", "citizen",
    ).defer("citizen__cin", "assigned_to__cin").in_bulk([pk for _due, pk in page_keys]) if page_keys else {}
    shown = [by_id[pk] for _due, pk in page_keys if pk in by_id]
    next_cursor = None
    if len(keys) > page_size:
        due, pk = page_keys[-1]
        next_cursor = Cursor(due_date=due, id=pk).encode()
    return QueuePage(
        rows=[QueueRow(case=case, deadline=deadlines.status(case)) for case in shown],
        next_cursor=next_cursor,
        is_first=cursor is None,
    )
