"""Silence means approval (Law 55-19): the daily sweep approves overdue requests where the procedure says so."""

from __future__ import annotations

from datetime import UTC, date, datetime
from unittest import mock

import pytest

from jamaa.cases.models import CaseEvent, CaseState
from jamaa.cases.services import approve_overdue_by_silence, case_complete, case_transition
from jamaa.cases.tests.service_fixtures import private_root, submit_building, submit_sale  # noqa: F401
from jamaa.core.models import AuditEvent
from jamaa.notifications.models import OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = date(2026, 4, 1)  # a building permit submitted on MONDAY: 30 calendar days


@pytest.fixture
def building(world, procedures):
    with mock.patch("django.utils.timezone.now", return_value=MONDAY):
        case = submit_building(world, procedures)
    assert case.due_date == DUE
    return case


def test_nothing_is_approved_on_the_due_date_itself(world, building):
    assert approve_overdue_by_silence(today=DUE) == 0
    building.refresh_from_db()
    assert building.state == CaseState.SUBMITTED


def test_the_day_after_the_due_date_the_request_is_approved_and_the_citizen_told_once(world, building):
    assert approve_overdue_by_silence(today=date(2026, 4, 2)) == 1
    building.refresh_from_db()
    assert building.state == CaseState.APPROVED and building.approved_by_silence
    assert building.decided_at is not None and building.version == 2
    event = CaseEvent.all_communes.filter(case=building).last()
    assert (event.from_state, event.to_state, event.actor, event.is_public) == ("submitted", "approved", None, True)
    assert "55-19" in event.public_text
    assert AuditEvent.all_communes.filter(action="case.approve_by_silence", target_id=str(building.pk)).exists()
    # Idempotent: the next day's run (or a second run) approves nothing and sends nothing.
    assert approve_overdue_by_silence(today=date(2026, 4, 3)) == 0
    [sms] = OutboundMessage.objects.filter(template="case_approved_by_silence")
    assert building.reference in sms.body and "55-19" in sms.body


def test_a_request_in_review_is_approved_too(world, building):
    case_transition(case=building, name="start_review", actor=world.admin_sale, by_staff=True)
    assert approve_overdue_by_silence(today=date(2026, 5, 1)) == 1


def test_procedures_without_silence_rule_are_left_alone(world, procedures):
    case = submit_sale(world, procedures)
    assert approve_overdue_by_silence(today=date(2030, 1, 1)) == 0
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_a_returned_request_waits_and_completion_restarts_the_clock(world, building):
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 3, 12, 9, tzinfo=UTC)):
        case_transition(case=building, name="return", actor=world.admin_sale, by_staff=True,
                        missing=["Plan de situation"])
    assert approve_overdue_by_silence(today=date(2026, 6, 1)) == 0  # suspended while returned
    # Returned 12 March with 20 calendar days left; completed 1 June: due 21 June (a Sunday) -> Monday 22 June.
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 6, 1, 9, tzinfo=UTC)):
        case_complete(case=building, citizen=world.citizen_sale, data={"parcel": "TF 1234/R"})
    assert building.due_date == date(2026, 6, 22)
    assert approve_overdue_by_silence(today=date(2026, 6, 22)) == 0
    assert approve_overdue_by_silence(today=date(2026, 6, 23)) == 1


def test_decided_requests_are_not_touched(world, procedures, building):
    case_transition(case=building, name="reject", actor=world.admin_sale, by_staff=True, public_text="Zone non "
                    "constructible.")
    assert approve_overdue_by_silence(today=date(2026, 5, 1)) == 0
    building.refresh_from_db()
    assert building.state == CaseState.REJECTED and not building.approved_by_silence


def test_the_sweep_can_be_limited_to_one_commune(world, building):
    assert approve_overdue_by_silence(commune=world.temara, today=date(2026, 5, 1)) == 0
    assert approve_overdue_by_silence(commune=world.sale, today=date(2026, 5, 1)) == 1


def test_without_a_date_the_sweep_uses_today_in_morocco(world, building):
    # 1 April 23:30 UTC is already 2 April in Casablanca (UTC+1): the request is overdue there.
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 4, 1, 23, 30, tzinfo=UTC)):
        assert approve_overdue_by_silence() == 1


def test_the_daily_task_sweeps_every_commune(world, building):
    from jamaa.cases.tasks import approve_overdue_by_silence as daily

    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 4, 5, 1, 30, tzinfo=UTC)):
        assert daily.call() == 1


def test_the_daily_task_is_scheduled_at_half_past_two_in_casablanca():
    from crontask import scheduler

    import jamaa.cases.tasks  # noqa: F401 - registers the job

    [job] = [job for job in scheduler.get_jobs() if job.name == "approve_overdue_by_silence"]
    assert str(job.trigger.timezone) == "Africa/Casablanca"
    assert "hour='2'" in str(job.trigger) and "minute='30'" in str(job.trigger)
