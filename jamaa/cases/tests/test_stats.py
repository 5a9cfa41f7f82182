"""The leadership's case figures on a small known dataset, and the overview page that shows them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jamaa.cases import stats
from jamaa.cases.models import CaseState
from jamaa.core import calendar, tenancy
from jamaa.core.models import CommuneClosure, HolidayOverride

# A Monday at 10:00 in Morocco, with no holiday in the following three weeks.
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=calendar.CASABLANCA)


def at(days: int) -> datetime.datetime:
    return MONDAY + datetime.timedelta(days=days)


@pytest.fixture
def dataset(world, procedures, staff_make_case):
    """Seven cases in Salé, one in Témara (not counted)."""
    today = calendar.local_date(timezone.now())
    past = today - datetime.timedelta(days=3)
    staff_make_case(due_date=past)  # overdue, online
    staff_make_case(state=CaseState.IN_REVIEW, due_date=past, channel="api")  # overdue
    staff_make_case(state=CaseState.RETURNED, due_date=past, channel="counter")  # suspended: not overdue
    # Decided: 2, 4 and 9 working days (Monday → Wednesday, Monday → Friday, Monday → Friday of the next week +2).
    staff_make_case(state=CaseState.APPROVED, submitted_at=at(0), decided_at=at(2), rating=5)
    staff_make_case(state=CaseState.REJECTED, submitted_at=at(0), decided_at=at(4), rating=2, channel="counter")
    staff_make_case(procedure=procedures.sale_building, state=CaseState.CLOSED, submitted_at=at(0),
                    decided_at=at(11))
    staff_make_case(state=CaseState.DRAFT, reference="", number=None)  # a draft is not a request
    staff_make_case(commune=world.temara, procedure=procedures.temara_residence, reference="TEM-2026-000009",
                    citizen=world.citizen_temara)


def figures(world) -> stats.CaseFigures:
    return stats.case_figures(world.sale, now=at(30))


def test_cases_are_counted_by_state(world, dataset):
    result = figures(world)
    by_state = dict(result.by_state)
    assert result.total == 6
    assert by_state[str(CaseState.SUBMITTED.label)] == 1
    assert by_state[str(CaseState.IN_REVIEW.label)] == 1
    assert by_state[str(CaseState.RETURNED.label)] == 1
    assert by_state[str(CaseState.APPROVED.label)] == 1
    assert by_state[str(CaseState.CLOSED.label)] == 1
    assert str(CaseState.DRAFT.label) not in by_state


def test_the_busiest_procedure_comes_first_with_its_states(world, procedures, dataset):
    rows = figures(world).by_procedure
    assert [row.total for row in rows] == [5, 1]
    assert rows[0].name == procedures.residence.name_ar  # the page's language (Arabic by default)
    closed_column = stats.STATES.index(CaseState.CLOSED)
    assert rows[1].by_state[closed_column] == 1


def test_overdue_counts_only_running_cases(world, dataset):
    assert stats.case_figures(world.sale).overdue_open == 2


def test_the_median_processing_time_is_in_working_days(world, dataset):
    result = figures(world)
    assert result.decided_last_12_months == 3
    assert result.median_working_days == 4


def test_decisions_older_than_twelve_months_are_left_out(world, dataset):
    result = stats.case_figures(world.sale, now=at(400))
    assert result.decided_last_12_months == 0
    assert result.median_working_days is None


def test_online_share_and_rating(world, dataset):
    result = figures(world)
    assert result.online == 4  # online and API, not the counter
    assert result.online_share == pytest.approx(100 * 4 / 6)
    assert result.rating_average == pytest.approx(3.5)
    assert result.rating_count == 2


def test_an_empty_commune_has_no_figures_to_divide(world, procedures):
    result = stats.case_figures(world.sale)
    assert result.total == 0 and result.online_share is None and result.median_working_days is None


def test_the_counter_agrees_with_the_calendar_service(world):
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    with tenancy.unscoped():
        HolidayOverride.objects.create(date=datetime.date(2026, 4, 15), is_holiday=True, name_fr="Jour férié",
                                       name_ar="عطلة")
        CommuneClosure.all_communes.create(commune=world.sale, start_date=datetime.date(2026, 6, 8),
                                           end_date=datetime.date(2026, 6, 10), reason_ar="إغلاق",
                                           reason_fr="Fermeture")
    counter = stats.WorkingDayCounter(world.sale, start, end)
    for first, last in [(datetime.date(2026, 1, 2), datetime.date(2026, 2, 20)),
                        (datetime.date(2026, 4, 10), datetime.date(2026, 4, 20)),
                        (datetime.date(2026, 6, 5), datetime.date(2026, 6, 15)),
                        (datetime.date(2026, 3, 1), datetime.date(2026, 11, 30)),
                        (datetime.date(2026, 5, 5), datetime.date(2026, 5, 5))]:
        assert counter.between(first, last) == calendar.working_days_between(world.sale, first, last)


def test_the_figures_take_a_bounded_number_of_queries(world, procedures, staff_make_case):
    staff_make_case(state=CaseState.APPROVED, submitted_at=at(0), decided_at=at(3))
    with CaptureQueriesContext(connection) as few:
        stats.case_figures(world.sale, now=at(30))
    for i in range(40):
        staff_make_case(procedure=procedures.sale_building if i % 2 else procedures.sale_residence,
                        state=CaseState.APPROVED, submitted_at=at(i % 5), decided_at=at(10 + i % 7))
    with CaptureQueriesContext(connection) as many:
        stats.case_figures(world.sale, now=at(30))
    assert len(many.captured_queries) == len(few.captured_queries) <= 6


def test_the_overview_shows_the_case_figures(world, dataset, staff_leader_client):
    body = staff_leader_client.get("/fr/backoffice/overview/").content.decode()
    assert "Certificat de résidence" in body
    assert 'id="cases-state"' in body


def test_the_overview_stays_for_leadership_and_administrators(world, staff_agent_client):
    assert staff_agent_client.get("/backoffice/overview/").status_code == 403
