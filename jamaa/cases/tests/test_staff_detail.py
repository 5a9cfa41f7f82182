"""A case in the back office: who may open it, the audited read of personal data, the moves with reason templates,
the single return for completion, a form opened on an older version, notes, messages, assignment, attachments."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.html import escape

from conftest import login_staff
from jamaa.cases import services
from jamaa.cases.models import Case, CaseEvent, CaseMessage, CaseState, EventKind, ReasonKind, ReasonTemplate
from jamaa.cases.tests.service_fixtures import pdf_upload
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent


def tr(message: str, language: str = "ar") -> str:
    with translation.override(language):
        return escape(translation.gettext(message))


def url(case: Case, action: str = "") -> str:
    return f"/backoffice/cases/{case.reference}/" + (f"{action}/" if action else "")


def fresh(case: Case) -> Case:
    with tenancy.unscoped():
        return Case.all_communes.get(pk=case.pk)


def accesses(case: Case) -> int:
    with tenancy.unscoped():
        return AuditEvent.all_communes.filter(action="personal_data.viewed", target_id=str(case.pk)).count()


@pytest.fixture
def case(staff_make_case):
    return staff_make_case(protected_data='{"cin": "AB123456"}')


def move(client, case: Case, name: str, **fields: object):
    data = {"transition": name, f"{name}-expected_version": fresh(case).version}
    data.update({f"{name}-{key}": value for key, value in fields.items()})
    return client.post(url(case, "transition"), data)


# --- access ------------------------------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_login_page(world, case, sale_client):
    response = sale_client.get(url(case))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_agent_of_another_department_gets_a_404(world, case, sale_client, staff_urbanisme_agent):
    login_staff(sale_client, staff_urbanisme_agent)
    assert sale_client.get(url(case)).status_code == 404
    assert move(sale_client, case, "start_review").status_code == 404
    assert fresh(case).state == CaseState.SUBMITTED


def test_another_communes_case_is_a_404(world, procedures, staff_make_case, staff_admin_client):
    other = staff_make_case(commune=world.temara, procedure=procedures.temara_residence,
                            citizen=world.citizen_temara, reference="TEM-2026-000001")
    assert staff_admin_client.get(url(other)).status_code == 404
    assert staff_admin_client.post(url(other, "note"), {"text": "x"}).status_code == 404


def test_staff_of_another_commune_are_refused(world, case, sale_client):
    login_staff(sale_client, world.admin_temara)
    assert sale_client.get(url(case)).status_code == 403


# --- reading -----------------------------------------------------------------------------------------------------


def test_the_agent_reads_the_answers_with_the_cin_and_the_read_is_logged_once(world, case, staff_agent_client):
    body = staff_agent_client.get(url(case)).content.decode()
    assert "12 rue des Orangers" in body
    assert "AB123456" in body
    assert "Fatima Zahra Bennani" in body
    assert accesses(case) == 1
    with tenancy.unscoped():
        event = AuditEvent.all_communes.get(action="personal_data.viewed", target_id=str(case.pk))
    assert event.subject_id == world.citizen_sale.pk
    assert event.actor_id == world.agent_sale.pk
    assert event.reason == "case handling"


def test_the_deadline_box_gives_the_rule_and_the_due_date(world, case, staff_agent_client):
    body = staff_agent_client.get(url(case)).content.decode()
    assert "Loi 55-19" in body
    assert case.due_date.isoformat() in body
    assert tr("Legal deadline") in body


def test_the_leadership_reads_without_any_form_and_cannot_act(world, case, staff_leader_client):
    body = staff_leader_client.get(url(case)).content.decode()
    assert "12 rue des Orangers" in body
    assert "AB123456" not in body  # masked for whoever does not handle the case
    assert "/transition/" not in body and "/note/" not in body and 'method="post" action="/backoffice' not in body
    assert accesses(case) == 1
    assert move(staff_leader_client, case, "start_review").status_code == 403
    assert staff_leader_client.post(url(case, "note"), {"text": "x"}).status_code == 403
    assert fresh(case).state == CaseState.SUBMITTED


def test_the_page_offers_the_moves_of_the_state(world, case, staff_agent_client):
    body = staff_agent_client.get(url(case)).content.decode()
    for name in ("start_review", "return", "approve", "reject"):
        assert f'name="transition" value="{name}"' in body
    assert 'value="close"' not in body


# --- moves -------------------------------------------------------------------------------------------------------


def test_starting_the_review_moves_the_case(world, case, staff_agent_client):
    response = move(staff_agent_client, case, "start_review")
    assert response.status_code == 302
    assert fresh(case).state == CaseState.IN_REVIEW


def test_an_empty_text_takes_the_chosen_reason_template(world, case, staff_agent_client):
    with tenancy.unscoped():
        template = ReasonTemplate.all_communes.create(
            commune=world.sale, kind=ReasonKind.APPROVE, title_ar="موافقة", title_fr="Accord",
            text_ar="تمت الموافقة على طلبكم.", text_fr="Votre demande est acceptée.")
    body = staff_agent_client.get(url(case)).content.decode()
    assert "موافقة" in body  # offered in the picker
    response = move(staff_agent_client, case, "approve", template=template.pk, public_text="")
    assert response.status_code == 302
    assert fresh(case).state == CaseState.APPROVED
    with tenancy.unscoped():
        event = CaseEvent.all_communes.filter(case=case, kind=EventKind.TRANSITION).last()
    assert event.public_text == "تمت الموافقة على طلبكم."


def test_a_typed_text_wins_over_the_template(world, case, staff_agent_client):
    with tenancy.unscoped():
        template = ReasonTemplate.all_communes.create(
            commune=world.sale, kind=ReasonKind.REJECT, title_ar="رفض", title_fr="Refus", text_ar="نص", text_fr="x")
    move(staff_agent_client, case, "reject", template=template.pk, public_text="Le bien n'est pas dans la commune.")
    assert fresh(case).rejection_reason == "Le bien n'est pas dans la commune."


def test_a_rejection_without_reasons_is_refused_and_nothing_changes(world, case, staff_agent_client):
    response = move(staff_agent_client, case, "reject", internal_note="brouillon de note")
    assert response.status_code == 400
    assert fresh(case).state == CaseState.SUBMITTED
    assert "brouillon de note" in response.content.decode()  # what was typed is kept


def test_a_return_lists_the_ticked_fields_and_documents_and_free_text(world, case, staff_agent_client):
    response = move(staff_agent_client, case, "return", missing=["address", "doc__proof"],
                    missing_other="Photo d'identité récente")
    assert response.status_code == 302
    returned = fresh(case)
    assert returned.state == CaseState.RETURNED
    assert returned.return_missing[0] == "العنوان"  # in the applicant's language (Arabic)
    assert "إثبات السكن" in returned.return_missing[1]
    assert returned.return_missing[2] == "Photo d'identité récente"


def test_a_return_without_anything_missing_is_refused(world, case, staff_agent_client):
    response = move(staff_agent_client, case, "return", public_text="Il manque des pièces")
    assert response.status_code == 400
    assert fresh(case).state == CaseState.SUBMITTED
    assert "Il manque des pièces" in response.content.decode()


def test_a_second_return_is_refused_with_a_message(world, case, staff_agent_client):
    move(staff_agent_client, case, "return", missing=["address"])
    with tenancy.unscoped():
        Case.all_communes.filter(pk=case.pk).update(state=CaseState.IN_REVIEW)  # completed by the applicant
    body = staff_agent_client.get(url(case)).content.decode()
    assert 'value="return"' not in body
    assert tr("This request was already returned for completion once: it cannot be returned again.") in body
    response = move(staff_agent_client, case, "return", missing=["since"], public_text="Encore")
    assert response.status_code == 400
    assert "Law 55-19" in response.content.decode() or "55-19" in response.content.decode()
    assert fresh(case).state == CaseState.IN_REVIEW


def test_a_form_opened_on_an_older_version_is_refused_and_nothing_is_lost(world, case, staff_agent_client):
    old_version = fresh(case).version
    services.note_add(case=fresh(case), actor=world.head_sale, text="x")  # a note does not change the version
    services.case_assign(cases=[fresh(case)], assignee=world.head_sale, actor=world.head_sale)
    response = staff_agent_client.post(url(case, "transition"), {
        "transition": "reject", "reject-expected_version": old_version,
        "reject-public_text": "Dossier hors délai de dépôt",
    })
    assert response.status_code == 409
    body = response.content.decode()
    assert tr("This case changed since you opened it: check what changed below, then send your action again "
              "(what you typed is kept).") in body
    assert "Dossier hors délai de dépôt" in body
    assert fresh(case).state == CaseState.SUBMITTED
    assert f'value="{fresh(case).version}"' in body  # sending again applies it


def test_an_unknown_or_citizen_move_is_refused(world, case, staff_agent_client):
    for name in ("withdraw", "nope", ""):
        response = staff_agent_client.post(url(case, "transition"), {"transition": name}, follow=True)
        assert response.status_code == 200
    assert fresh(case).state == CaseState.SUBMITTED


def test_a_move_not_allowed_in_the_state_says_so(world, staff_make_case, staff_agent_client):
    closed = staff_make_case(state=CaseState.CLOSED)
    response = move(staff_agent_client, closed, "approve")
    assert response.status_code == 400
    assert fresh(closed).state == CaseState.CLOSED


# --- notes, messages, assignment, attachments --------------------------------------------------------------------


def test_an_internal_note_is_on_the_staff_timeline_marked(world, case, staff_agent_client):
    response = staff_agent_client.post(url(case, "note"), {"text": "Appeler le voisin"}, follow=True)
    body = response.content.decode()
    assert "Appeler le voisin" in body
    assert tr("staff only") in body
    with tenancy.unscoped():
        assert CaseEvent.all_communes.get(case=case, kind=EventKind.NOTE).is_public is False


def test_an_empty_note_says_what_is_wrong(world, case, staff_agent_client):
    assert staff_agent_client.post(url(case, "note"), {"text": "  "}).status_code == 400


def test_a_message_reaches_the_applicant(world, case, staff_agent_client):
    response = staff_agent_client.post(url(case, "message"), {"body": "Merci de passer au guichet."})
    assert response.status_code == 302
    with tenancy.unscoped():
        message = CaseMessage.all_communes.get(case=case)
    assert message.from_staff and message.author_id == world.agent_sale.pk


def test_assignment_from_the_case_page(world, case, staff_head_client, staff_urbanisme_agent):
    response = staff_head_client.post(url(case, "assign"), {"assignee": world.agent_sale.pk})
    assert response.status_code == 302
    assert fresh(case).assigned_to_id == world.agent_sale.pk
    response = staff_head_client.post(url(case, "assign"), {"assignee": staff_urbanisme_agent.pk})
    assert response.status_code == 400
    assert fresh(case).assigned_to_id == world.agent_sale.pk
    staff_head_client.post(url(case, "assign"), {"assignee": ""})
    assert fresh(case).assigned_to_id is None


@pytest.mark.usefixtures("staff_private_root")
def test_an_attachment_is_served_to_staff_and_the_read_logged(world, case, staff_agent_client):
    services.message_post(case=fresh(case), author=world.citizen_sale, body="Voici le justificatif",
                          by_staff=False, files=[("attachment", pdf_upload("justificatif.pdf"))])
    with tenancy.unscoped():
        from jamaa.cases.models import Attachment

        item = Attachment.all_communes.get(case=case)
    body = staff_agent_client.get(url(case)).content.decode()
    assert "justificatif.pdf" in body
    before = accesses(case)
    response = staff_agent_client.get(url(case, f"files/{item.token}"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert accesses(case) == before + 1
    assert staff_agent_client.get(url(case, "files/unknown-token")).status_code == 404
