"""State moves: allowed moves only, by the right people, on the current version; return once; completion resumes
the deadline; every move is a timeline event, a message to the applicant and an audit entry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from jamaa.cases import services
from jamaa.cases.models import Attachment, CaseEvent, CaseState
from jamaa.cases.services import StaleCase, case_complete, case_transition
from jamaa.cases.tests.service_fixtures import (  # noqa: F401
    pdf_upload,
    png_upload,
    private_root,
    sale_answers,
    submit_building,
    submit_sale,
)
from jamaa.cases.workflow import TransitionNotAllowed
from jamaa.core.models import AuditEvent
from jamaa.notifications.models import OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


# Monday 2 March 2026 at 10:00 in Casablanca.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def case(world, procedures):
    with at(MONDAY):
        return submit_sale(world, procedures)


def move(case, name, actor, *, by_staff=True, **kwargs):
    return case_transition(case=case, name=name, actor=actor, by_staff=by_staff, **kwargs)


def test_staff_review_and_approve_and_every_move_is_recorded(world, case):
    move(case, "start_review", world.agent_sale)
    move(case, "approve", world.agent_sale, public_text="Votre certificat sera prêt demain.",
         internal_note="Vérifié au registre.")
    assert case.state == CaseState.APPROVED and case.version == 3 and case.decided_at is not None
    events = list(CaseEvent.all_communes.filter(case=case).order_by("id"))
    assert [(e.from_state, e.to_state) for e in events] == [
        ("draft", "submitted"), ("submitted", "in_review"), ("in_review", "approved")]
    last = events[-1]
    assert (last.public_text, last.internal_note, last.by_staff, last.actor) == (
        "Votre certificat sera prêt demain.", "Vérifié au registre.", True, world.agent_sale)
    assert events[1].public_text  # a default text the citizen can read
    assert list(OutboundMessage.objects.filter(user=world.citizen_sale).values_list("template", flat=True)
                .order_by("id")) == ["case_submitted", "case_in_review", "case_approved"]
    approved = OutboundMessage.objects.get(template="case_approved")
    assert "Vérifié au registre" not in approved.body  # the internal note stays inside
    assert AuditEvent.all_communes.filter(action="case.approve", target_id=str(case.pk)).exists()


def test_issuing_the_act_and_closing_set_their_dates(world, case):
    for name in ("approve", "issue_act", "close"):
        move(case, name, world.head_sale)
    assert case.state == CaseState.CLOSED
    assert case.act_issued_at is not None and case.closed_at is not None


def test_a_move_that_is_not_allowed_from_this_state_is_refused(world, case):
    with pytest.raises(TransitionNotAllowed) as error:
        move(case, "issue_act", world.agent_sale)
    assert error.value.message
    with pytest.raises(TransitionNotAllowed):
        move(case, "approve_by_silence", world.agent_sale)
    with pytest.raises(TransitionNotAllowed):
        move(case, "approve", world.citizen_sale, by_staff=False)
    with pytest.raises(TransitionNotAllowed):
        move(case, "complete", world.citizen_sale, by_staff=False)


@pytest.mark.parametrize("who", ["leader_sale", "agent_temara", "admin_temara", "citizen_sale", "citizen_temara"])
def test_only_staff_of_the_cases_commune_and_department_may_act(world, case, who):
    with pytest.raises(PermissionDenied):
        move(case, "start_review", getattr(world, who))
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED and case.version == 1


def test_an_agent_of_another_department_may_not_act(world, case):
    from jamaa.core.models import Membership

    Membership.all_communes.filter(user=world.agent_sale).update(department=world.sale_urbanisme)
    with pytest.raises(PermissionDenied):
        move(case, "start_review", world.agent_sale)
    move(case, "start_review", world.admin_sale)  # the commune's administrator may


def test_a_stale_form_is_refused(world, case):
    move(case, "start_review", world.agent_sale, expected_version=1)
    with pytest.raises(StaleCase):
        move(case, "approve", world.head_sale, expected_version=1)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW


def email_only(user) -> None:
    user.phone, user.email = None, "fatima@example.ma"
    user.save()


def test_rejection_needs_reasons(world, case):
    email_only(world.citizen_sale)
    with pytest.raises(ValidationError) as error:
        move(case, "reject", world.agent_sale, public_text="  ")
    assert "public_text" in error.value.message_dict
    move(case, "reject", world.agent_sale, public_text="L'adresse n'est pas dans la commune.")
    assert case.state == CaseState.REJECTED and case.rejection_reason == "L'adresse n'est pas dans la commune."
    assert case.decided_at is not None
    assert "L'adresse n'est pas dans la commune." in OutboundMessage.objects.get(template="case_rejected").body


def test_the_citizen_withdraws_their_own_request_only(world, case):
    with pytest.raises(PermissionDenied):
        move(case, "withdraw", world.citizen_temara, by_staff=False)
    move(case, "withdraw", world.citizen_sale, by_staff=False, internal_note="ignored")
    assert case.state == CaseState.WITHDRAWN
    event = CaseEvent.all_communes.filter(case=case).last()
    assert event.by_staff is False and event.internal_note == ""


def test_a_return_lists_what_is_missing_and_happens_only_once(world, case):
    email_only(world.citizen_sale)
    with pytest.raises(ValidationError) as error:
        move(case, "return", world.agent_sale, missing=["", "  "])
    assert "missing" in error.value.message_dict
    with at(datetime(2026, 3, 3, 9, 0, tzinfo=UTC)):
        move(case, "return", world.agent_sale, missing=["Justificatif de domicile lisible", "Contrat de bail"],
             public_text="Le justificatif est illisible.")
    assert case.state == CaseState.RETURNED and case.returned_at is not None
    assert case.return_missing == ["Justificatif de domicile lisible", "Contrat de bail"]
    event = CaseEvent.all_communes.filter(case=case).last()
    assert "Le justificatif est illisible." in event.public_text and "Contrat de bail" in event.public_text
    assert "Contrat de bail" in OutboundMessage.objects.get(template="case_returned").body

    with at(datetime(2026, 3, 4, 9, 0, tzinfo=UTC)):
        case_complete(case=case, citizen=world.citizen_sale, data=sale_answers(world),
                      files=[("doc__lease", pdf_upload("bail.pdf"))])
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as error:
        move(case, "return", world.agent_sale, missing=["Autre chose"])
    assert "once" in error.value.message


def test_completion_resumes_the_deadline_with_the_working_days_that_were_left(world, case):
    # Submitted Monday 2 March, due Monday 9 March (5 working days). Returned Wednesday 4 March: 3 working days
    # were left (5, 6, 9 March). Completed Tuesday 7 April: due 3 working days later, Friday 10 April.
    assert case.due_date == date(2026, 3, 9)
    with at(datetime(2026, 3, 4, 9, 0, tzinfo=UTC)):
        move(case, "return", world.agent_sale, missing=["Justificatif lisible"])
    first_proof = Attachment.all_communes.get(case=case, document_code="proof")
    with at(datetime(2026, 4, 7, 9, 0, tzinfo=UTC)):
        case_complete(case=case, citizen=world.citizen_sale, data=sale_answers(world),
                      files=[("doc__proof", png_upload("nouveau.png"))], expected_version=2)
    assert case.state == CaseState.IN_REVIEW and case.completed_at is not None
    assert case.due_date == date(2026, 4, 10)
    first_proof.refresh_from_db()
    assert first_proof.is_current is False
    current = Attachment.all_communes.get(case=case, document_code="proof", is_current=True)
    assert current.content_type == "image/png"
    assert OutboundMessage.objects.filter(template="case_completed").exists()


def test_completion_in_calendar_days_is_never_before_today(world, procedures):
    with at(MONDAY):
        case = submit_building(world, procedures)  # due Wednesday 1 April (30 calendar days)
    with at(datetime(2026, 4, 10, 9, 0, tzinfo=UTC)):  # returned after the due date: nothing was left
        move(case, "return", world.admin_sale, missing=["Plan de situation"])
    with at(datetime(2026, 4, 20, 9, 0, tzinfo=UTC)):  # Monday 20 April
        case_complete(case=case, citizen=world.citizen_sale, data={"parcel": "TF 1234/R"})
    assert case.due_date == date(2026, 4, 20)


def test_completion_checks_answers_documents_the_applicant_and_the_version(world, case):
    move(case, "return", world.agent_sale, missing=["Adresse complète"])
    with pytest.raises(PermissionDenied):
        case_complete(case=case, citizen=world.citizen_temara, data=sale_answers(world))
    with pytest.raises(ValidationError) as error:
        case_complete(case=case, citizen=world.citizen_sale, data=sale_answers(world, address=""))
    assert "address" in error.value.message_dict
    with pytest.raises(StaleCase):
        case_complete(case=case, citizen=world.citizen_sale, data=sale_answers(world), expected_version=1)
    case_complete(case=case, citizen=world.citizen_sale, data=sale_answers(world, address="3 avenue Hassan II"))
    assert case.data["address"] == "3 avenue Hassan II"
    with pytest.raises(TransitionNotAllowed):
        case_complete(case=case, citizen=world.citizen_sale, data=sale_answers(world))


def test_a_counter_applicant_is_told_by_sms_in_the_requests_language(world, procedures):
    case = submit_sale(world, procedures, citizen=None, channel="counter", actor=world.agent_sale,
                       applicant_name="Ahmed Alaoui", applicant_phone="0661234567", language="fr")
    move(case, "approve", world.agent_sale)
    sms = OutboundMessage.objects.get(template="case_approved")
    assert (sms.recipient, sms.language, sms.user) == ("+212661234567", "fr", None)


def test_the_service_keeps_the_callers_object_up_to_date(world, case):
    returned = move(case, "start_review", world.agent_sale)
    assert returned is case and case.state == CaseState.IN_REVIEW


def test_services_do_not_need_a_commune_scope(world, case):
    # The daily task and the API call services outside a request; nothing may depend on the active scope.
    from jamaa.core import tenancy

    with tenancy.scope(world.temara):
        move(case, "start_review", world.agent_sale)
    assert services.note_add(case=case, actor=world.agent_sale, text="ok").pk
