"""Assignment, messages, internal notes and rating: who may, when, and what the applicant is told."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from jamaa.cases.models import Attachment, CaseEvent, CaseMessage, CaseState
from jamaa.cases.services import case_assign, case_rate, case_transition, message_post, note_add
from jamaa.cases.tests.service_fixtures import pdf_upload, png_upload, private_root, submit_sale  # noqa: F401
from jamaa.core.models import AuditEvent, Membership
from jamaa.notifications.models import OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]


@pytest.fixture
def case(world, procedures):
    return submit_sale(world, procedures)


def finish(case, world, *names: str) -> None:
    for name in names:
        case_transition(case=case, name=name, actor=world.admin_sale, by_staff=True)


# --- assignment ---------------------------------------------------------------------------------------------------


def test_a_head_assigns_a_case_to_an_agent_of_the_department(world, case):
    assert case_assign(cases=[case], assignee=world.agent_sale, actor=world.head_sale) == 1
    assert case.assigned_to == world.agent_sale and case.version == 2
    event = CaseEvent.all_communes.filter(case=case, kind="assignment").get()
    assert event.is_public is False and "Karim Agent" in event.internal_note
    assert AuditEvent.all_communes.filter(action="case.assigned", target_id=str(case.pk)).exists()
    # Assigning again to the same person changes nothing; None unassigns.
    assert case_assign(cases=[case], assignee=world.agent_sale, actor=world.head_sale) == 0
    assert case_assign(cases=[case], assignee=None, actor=world.head_sale) == 1
    assert case.assigned_to is None


def test_bulk_assignment_counts_the_cases_that_changed(world, procedures, case):
    others = [submit_sale(world, procedures) for _ in range(2)]
    case_assign(cases=[others[0]], assignee=world.head_sale, actor=world.admin_sale)
    assert case_assign(cases=[case, *others], assignee=world.head_sale, actor=world.admin_sale) == 2


@pytest.mark.parametrize("assignee", ["leader_sale", "agent_temara", "citizen_sale"])
def test_the_assignee_must_be_active_staff_who_can_handle_the_case(world, case, assignee):
    with pytest.raises(ValidationError) as error:
        case_assign(cases=[case], assignee=getattr(world, assignee), actor=world.admin_sale)
    assert "assignee" in error.value.message_dict
    case.refresh_from_db()
    assert case.assigned_to is None


def test_an_agent_of_another_department_or_a_deactivated_one_cannot_be_assigned(world, case):
    Membership.all_communes.filter(user=world.agent_sale).update(department=world.sale_urbanisme)
    with pytest.raises(ValidationError):
        case_assign(cases=[case], assignee=world.agent_sale, actor=world.admin_sale)
    Membership.all_communes.filter(user=world.head_sale).update(is_active=False)
    with pytest.raises(ValidationError):
        case_assign(cases=[case], assignee=world.head_sale, actor=world.admin_sale)
    assert case_assign(cases=[case], assignee=world.admin_sale, actor=world.admin_sale) == 1


@pytest.mark.parametrize("actor", ["leader_sale", "agent_temara", "citizen_sale"])
def test_leadership_other_communes_and_citizens_cannot_assign(world, case, actor):
    with pytest.raises(PermissionDenied):
        case_assign(cases=[case], assignee=world.agent_sale, actor=getattr(world, actor))


def test_a_bulk_assignment_with_one_forbidden_case_changes_nothing(world, procedures, case):
    temara_case = submit_sale(world, procedures, commune=world.temara, procedure=procedures.temara_residence,
                              citizen=world.citizen_temara, data={"address": "1 rue", "cin": "AB1",
                                                                  "since": "2020-01-01", "purpose": "work",
                                                                  "owner": "no"})
    with pytest.raises(PermissionDenied):
        case_assign(cases=[case, temara_case], assignee=world.agent_sale, actor=world.head_sale)
    case.refresh_from_db()
    assert case.assigned_to is None


# --- messages -----------------------------------------------------------------------------------------------------


def test_staff_write_to_the_citizen_who_is_told(world, case):
    message = message_post(case=case, author=world.agent_sale, body="Merci de passer au guichet 3.", by_staff=True,
                           files=[("attachment", pdf_upload("convocation.pdf"))])
    assert message.from_staff and message.body == "Merci de passer au guichet 3."
    [attachment] = Attachment.all_communes.filter(message=message)
    assert attachment.by_staff and attachment.content_type == "application/pdf"
    [sms] = OutboundMessage.objects.filter(template="case_message")
    assert sms.user == world.citizen_sale and case.reference in sms.body


def test_the_citizen_writes_with_a_file_and_nobody_gets_an_sms(world, case):
    message = message_post(case=case, author=world.citizen_sale, body="", by_staff=False,
                           files=[("file", png_upload())])
    assert message.from_staff is False and Attachment.all_communes.filter(message=message).count() == 1
    assert not OutboundMessage.objects.filter(template="case_message").exists()


def test_a_message_needs_a_body_or_a_file_and_files_are_checked(world, case):
    with pytest.raises(ValidationError) as error:
        message_post(case=case, author=world.citizen_sale, body="   ", by_staff=False)
    assert "body" in error.value.message_dict
    lying = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\nrm -rf /\n", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        message_post(case=case, author=world.citizen_sale, body="voici", by_staff=False, files=[("file", lying)])
    assert "file" in error.value.message_dict
    assert not CaseMessage.all_communes.exists()


@pytest.mark.parametrize(("author", "by_staff"), [("citizen_temara", False), ("leader_sale", True),
                                                  ("agent_temara", True), ("citizen_sale", True)])
def test_only_the_applicant_and_the_cases_staff_may_write(world, case, author, by_staff):
    with pytest.raises(PermissionDenied):
        message_post(case=case, author=getattr(world, author), body="Bonjour", by_staff=by_staff)


def test_no_messages_on_a_withdrawn_or_closed_request(world, procedures, case):
    case_transition(case=case, name="withdraw", actor=world.citizen_sale, by_staff=False)
    with pytest.raises(ValidationError) as error:
        message_post(case=case, author=world.citizen_sale, body="Encore moi", by_staff=False)
    assert error.value.message_dict["__all__"]
    other = submit_sale(world, procedures)
    finish(other, world, "approve", "close")
    with pytest.raises(ValidationError):
        message_post(case=other, author=world.agent_sale, body="Bonjour", by_staff=True)


def test_no_messages_on_a_draft(world, procedures):
    from jamaa.cases.services import draft_save

    draft = draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=procedures.sale_residence, data={})
    with pytest.raises(ValidationError):
        message_post(case=draft, author=world.citizen_sale, body="Bonjour", by_staff=False)


# --- notes --------------------------------------------------------------------------------------------------------


def test_an_internal_note_stays_on_the_staff_timeline(world, case):
    event = note_add(case=case, actor=world.agent_sale, text="Appelé le demandeur, pas de réponse.")
    assert (event.kind, event.is_public, event.internal_note, event.public_text) == (
        "note", False, "Appelé le demandeur, pas de réponse.", "")
    assert not OutboundMessage.objects.exclude(template="case_submitted").exists()
    with pytest.raises(ValidationError):
        note_add(case=case, actor=world.agent_sale, text="  ")
    for who in ("leader_sale", "agent_temara", "citizen_sale"):
        with pytest.raises(PermissionDenied):
            note_add(case=case, actor=getattr(world, who), text="note")


# --- rating -------------------------------------------------------------------------------------------------------


def test_the_citizen_rates_once_after_the_act_is_issued(world, case):
    finish(case, world, "approve", "issue_act")
    case_rate(case=case, citizen=world.citizen_sale, rating=5, comment="  Rapide  et clair ")
    assert (case.rating, case.rating_comment) == (5, "Rapide et clair")
    with pytest.raises(ValidationError) as error:
        case_rate(case=case, citizen=world.citizen_sale, rating=1)
    assert error.value.message_dict["__all__"]
    case.refresh_from_db()
    assert case.rating == 5


def test_rating_waits_for_the_end_and_takes_one_to_five_from_the_applicant(world, case):
    with pytest.raises(ValidationError):
        case_rate(case=case, citizen=world.citizen_sale, rating=4)
    finish(case, world, "approve", "close")
    assert case.state == CaseState.CLOSED
    for bad in (0, 6, True, "5"):
        with pytest.raises(ValidationError) as error:
            case_rate(case=case, citizen=world.citizen_sale, rating=bad)
        assert "rating" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        case_rate(case=case, citizen=world.citizen_temara, rating=4)
    case_rate(case=case, citizen=world.citizen_sale, rating=3)


# --- platform operators (Django admin) --------------------------------------------------------------------------


@pytest.fixture
def operator_client(world, platform_client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from conftest import login_staff
    from jamaa.core.models import User

    operator = User.objects.create_superuser("ops@jamaa.example.ma", world.password, full_name="Platform Operator")
    TOTPDevice.objects.create(user=operator, name="default", confirmed=True)
    return login_staff(platform_client, operator)


def test_operators_see_cases_read_only_without_personal_data(world, case, operator_client):
    admin_client = operator_client
    listing = admin_client.get("/admin/cases/case/")
    assert listing.status_code == 200 and case.reference in listing.content.decode()
    page = admin_client.get(f"/admin/cases/case/{case.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "12 rue des Orangers" not in body and "AB123456" not in body and case.tracking_code not in body
    assert 'name="_save"' not in body
    assert admin_client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403
