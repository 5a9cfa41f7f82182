"""Auto-close: an answer the citizen did not contest within COMPLAINT_AUTO_CLOSE_DAYS days closes the complaint by
itself, the citizen is told, and a reopened or still open complaint is left alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from jamaa.cases.models import CaseEvent, CaseState, EventKind
from jamaa.complaints import sweeps
from jamaa.complaints.models import ComplaintState
from jamaa.complaints.tests.sweeps_fixtures import at, file, fresh, move, sent
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def answered(cworld: Any, name: str = "resolve") -> Any:
    complaint = file(cworld, at(2026, 7, 20))
    return move(complaint, name, cworld.hygiene_agent, at(2026, 8, 3, 10), "Collecte faite le 3 août.")


def test_an_answer_not_contested_for_fifteen_days_closes_the_complaint(cworld: Any) -> None:
    complaint = answered(cworld)

    assert sweeps.auto_close(at(2026, 8, 18, 10)) == 0  # fifteen days exactly: not more
    assert sweeps.auto_close(at(2026, 8, 19, 3)) == 1

    closed = fresh(complaint)
    assert closed.state == ComplaintState.CLOSED and closed.closed_at == at(2026, 8, 19, 3)
    assert closed.case.state == CaseState.CLOSED and closed.case.closed_at == at(2026, 8, 19, 3)
    with tenancy.unscoped():
        event = CaseEvent.all_communes.filter(case=complaint.case, kind=EventKind.TRANSITION).last()
        entry = AuditEvent.objects.get(action="complaint.auto_close")
    assert event.is_public and event.actor is None and event.created_at == at(2026, 8, 19, 3)
    with translation.override(closed.case.language):
        assert event.public_text == translation.gettext("The complaint is closed: the answer was not contested.")
    assert entry.actor is None and entry.target_label == complaint.reference
    # The citizen is told (an SMS to the account's phone).
    [message] = sent("complaint_closed")
    assert message.user == cworld.w.citizen_sale and complaint.reference in message.body


def test_a_rejected_complaint_closes_the_same_way(cworld: Any) -> None:
    complaint = answered(cworld, "reject")

    assert sweeps.auto_close(at(2026, 8, 19, 3)) == 1

    assert fresh(complaint).state == ComplaintState.CLOSED


def test_running_it_again_closes_nothing_more(cworld: Any) -> None:
    answered(cworld)
    assert sweeps.auto_close(at(2026, 8, 19, 3)) == 1

    assert sweeps.auto_close(at(2026, 8, 19, 4)) == 0
    assert sweeps.auto_close(at(2026, 9, 30, 3)) == 0
    assert len(sent("complaint_closed")) == 1


def test_open_reopened_and_staff_closed_complaints_are_left_alone(cworld: Any) -> None:
    still_open = file(cworld, at(2026, 7, 20))
    reopened = answered(cworld)
    with tenancy.unscoped():
        from jamaa.complaints import services

        services.complaint_transition(complaint=reopened, name="reopen", actor=cworld.w.citizen_sale,
                                      text="Rien n'a changé.", now=at(2026, 8, 5))
    closed_by_staff = answered(cworld)
    move(closed_by_staff, "close", cworld.hygiene_agent, at(2026, 8, 4))

    assert sweeps.auto_close(at(2026, 9, 30, 3)) == 0

    assert fresh(still_open).state == ComplaintState.RECEIVED
    assert fresh(reopened).state == ComplaintState.REOPENED
    assert fresh(closed_by_staff).closed_at == at(2026, 8, 4)


def test_the_number_of_days_is_a_setting(cworld: Any, settings: Any) -> None:
    settings.COMPLAINT_AUTO_CLOSE_DAYS = 3
    complaint = answered(cworld)

    assert sweeps.auto_close(at(2026, 8, 6, 10, 1)) == 1

    assert fresh(complaint).state == ComplaintState.CLOSED


def test_one_commune_can_be_closed_alone(cworld: Any) -> None:
    sale = answered(cworld)

    assert sweeps.auto_close(at(2026, 8, 19, 3), commune=cworld.w.temara) == 0
    assert fresh(sale).state == ComplaintState.RESOLVED
    assert sweeps.auto_close(at(2026, 8, 19, 3), commune=cworld.w.sale) == 1
