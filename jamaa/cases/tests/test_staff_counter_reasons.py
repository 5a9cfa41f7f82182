"""Requests filed at the counter for an applicant without an account, and the reason templates (administrators)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.html import escape

from conftest import login_staff
from jamaa.cases.models import Case, CaseChannel, CaseState, ReasonKind, ReasonTemplate
from jamaa.cases.tests.service_fixtures import pdf_upload, sale_answers
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent

COUNTER = "/backoffice/cases/counter/"
REASONS = "/backoffice/cases/reasons/"


def tr(message: str, language: str = "ar") -> str:
    with translation.override(language):
        return escape(translation.gettext(message))


def counter_post(procedures, world, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "procedure": procedures.sale_residence.pk, "applicant-applicant_name": "Hassan Guichet",
        "applicant-applicant_phone": "0612345679", "applicant-language": "ar",
        "applicant-submission_key": "key-1", **sale_answers(world), "doc__proof": pdf_upload(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- counter -----------------------------------------------------------------------------------------------------


def test_the_counter_page_lists_only_counter_procedures(world, procedures, staff_agent_client):
    body = staff_agent_client.get(COUNTER).content.decode()
    assert procedures.residence.name_ar in body  # channel "both"
    assert procedures.building.name_ar not in body  # online only


def test_choosing_a_procedure_shows_the_applicant_and_the_request_form(world, procedures, staff_agent_client):
    body = staff_agent_client.get(COUNTER, {"procedure": procedures.sale_residence.pk}).content.decode()
    assert 'name="applicant-applicant_phone"' in body
    assert 'name="address"' in body and 'name="doc__proof"' in body


def test_an_agent_files_only_their_departments_procedures(world, procedures, staff_make_case,
                                                         staff_urbanisme_agent, sale_client):
    from jamaa.catalog.models import Channel, Procedure

    Procedure.objects.filter(pk=procedures.building.pk).update(channel=Channel.BOTH)
    login_staff(sale_client, staff_urbanisme_agent)
    body = sale_client.get(COUNTER).content.decode()
    assert procedures.building.name_ar in body and procedures.residence.name_ar not in body
    assert sale_client.get(COUNTER, {"procedure": procedures.sale_residence.pk}).status_code == 400


def test_an_unknown_procedure_is_a_clear_error(world, procedures, staff_agent_client):
    for value in ("abc", procedures.sale_building.pk, procedures.temara_residence.pk):
        response = staff_agent_client.get(COUNTER, {"procedure": value})
        assert response.status_code == 400
        assert tr("Choose one of the procedures listed.") in response.content.decode()


@pytest.mark.usefixtures("staff_private_root")
def test_a_counter_request_is_filed_and_the_tracking_code_shown(world, procedures, staff_agent_client):
    response = staff_agent_client.post(COUNTER, counter_post(procedures, world), follow=True)
    assert response.status_code == 200
    with tenancy.unscoped():
        case = Case.all_communes.get(applicant_name="Hassan Guichet")
    assert case.citizen is None and case.channel == CaseChannel.COUNTER and case.state == CaseState.SUBMITTED
    assert case.applicant_phone == "+212612345679"
    assert response.redirect_chain[-1][0] == f"/backoffice/cases/{case.reference}/"
    body = response.content.decode()
    code = f"{case.tracking_code[:5]}-{case.tracking_code[5:]}"
    assert code in body
    assert code not in staff_agent_client.get(f"/backoffice/cases/{case.reference}/").content.decode()  # once
    receipt = staff_agent_client.get(f"/backoffice/cases/{case.reference}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    with tenancy.unscoped():  # the read of the applicant's data is logged even without an account
        assert AuditEvent.all_communes.filter(action="personal_data.viewed", target_id=str(case.pk)).exists()


@pytest.mark.usefixtures("staff_private_root")
def test_a_counter_form_sent_twice_files_one_request(world, procedures, staff_agent_client):
    staff_agent_client.post(COUNTER, counter_post(procedures, world))
    staff_agent_client.post(COUNTER, counter_post(procedures, world))
    with tenancy.unscoped():
        assert Case.all_communes.filter(applicant_name="Hassan Guichet").count() == 1


@pytest.mark.usefixtures("staff_private_root")
def test_a_bad_phone_number_or_answer_is_shown_and_what_was_typed_kept(world, procedures, staff_agent_client):
    response = staff_agent_client.post(COUNTER, counter_post(procedures, world,
                                                             **{"applicant-applicant_phone": "0537000000",
                                                                "address": "Derb Sidi Ahmed"}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Derb Sidi Ahmed" in body and "Hassan Guichet" in body
    assert 'field--error' in body
    with tenancy.unscoped():
        assert not Case.all_communes.filter(applicant_name="Hassan Guichet").exists()


def test_an_online_requests_receipt_is_not_printed_by_staff(world, staff_make_case, staff_agent_client):
    case = staff_make_case()
    assert staff_agent_client.get(f"/backoffice/cases/{case.reference}/receipt.pdf").status_code == 404


def test_the_leadership_and_other_communes_cannot_file(world, procedures, sale_client, staff_leader_client):
    assert staff_leader_client.get(COUNTER).status_code == 403
    login_staff(sale_client, world.agent_temara)
    assert sale_client.get(COUNTER).status_code == 403
    anonymous = type(sale_client)(HTTP_HOST="sale.localhost")
    assert anonymous.get(COUNTER).status_code == 302


# --- reason templates --------------------------------------------------------------------------------------------


def template_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {"kind": ReasonKind.RETURN, "title_ar": "وثيقة ناقصة", "title_fr": "Pièce manquante",
                               "text_ar": "المرجو إضافة الوثيقة.", "text_fr": "Merci d'ajouter la pièce.",
                               "position": 1, "is_active": "on"}
    data.update(changes)
    return data


def test_an_administrator_adds_and_edits_a_template(world, staff_admin_client):
    response = staff_admin_client.post(REASONS + "new/", template_form(), follow=True)
    assert "وثيقة ناقصة" in response.content.decode()
    with tenancy.unscoped():
        template = ReasonTemplate.all_communes.get()
    assert template.commune_id == world.sale.pk
    staff_admin_client.post(f"{REASONS}{template.pk}/", template_form(title_fr="Pièce absente", is_active=""))
    with tenancy.unscoped():
        template.refresh_from_db()
        assert template.title_fr == "Pièce absente" and template.is_active is False
        assert AuditEvent.all_communes.filter(action__startswith="cases.reason_template").count() == 2


def test_a_template_without_text_is_refused_next_to_the_field(world, staff_admin_client):
    response = staff_admin_client.post(REASONS + "new/", template_form(text_ar=""))
    assert response.status_code == 200
    assert "field--error" in response.content.decode()
    with tenancy.unscoped():
        assert not ReasonTemplate.all_communes.exists()


def test_only_administrators_manage_templates(world, staff_agent_client, staff_leader_client):
    assert staff_agent_client.get(REASONS).status_code == 403
    assert staff_leader_client.get(REASONS + "new/").status_code == 403


def test_another_communes_template_is_a_404(world, staff_admin_client):
    with tenancy.unscoped():
        other = ReasonTemplate.all_communes.create(commune=world.temara, kind=ReasonKind.REJECT, title_ar="ر",
                                                   title_fr="R", text_ar="ن", text_fr="T")
    assert staff_admin_client.get(f"{REASONS}{other.pk}/").status_code == 404
    assert "R" not in re.findall(r"<th scope=\"row\">.*?</th>", staff_admin_client.get(REASONS).content.decode())


def test_the_nav_shows_cases_to_all_staff_and_admin_sections_to_administrators(world, staff_agent_client,
                                                                               staff_admin_client):
    agent = staff_agent_client.get("/backoffice/").content.decode()
    assert 'href="/backoffice/cases/"' in agent
    assert 'href="/backoffice/cases/reasons/"' not in agent and 'href="/backoffice/procedures/"' not in agent
    admin = staff_admin_client.get("/backoffice/").content.decode()
    assert 'href="/backoffice/cases/reasons/"' in admin and 'href="/backoffice/procedures/"' in admin
