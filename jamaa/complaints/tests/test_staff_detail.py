"""A complaint in the back office: the filer's contact (the read is logged), deadlines, photos and hiding one from
the public, the moves with answer templates (with and without JavaScript), internal notes, sending to another
department and merging duplicates."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from jamaa.cases.models import CaseEvent, EventKind
from jamaa.complaints.models import AnswerTemplate, Complaint, ComplaintState, Photo
from jamaa.complaints.open311_keys import open311_key_issue
from jamaa.complaints.tests.staff_support import (
    BASE,
    file_grievance,
    file_report,
    fresh,
    language_of,
    png,
    says,
    staff,
    text_of,
    url,
)
from jamaa.complaints.workflow import BY_NAME
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def accesses(complaint: Complaint) -> list[AuditEvent]:
    with tenancy.unscoped():
        return list(AuditEvent.all_communes.filter(action="personal_data.viewed",
                                                   target_id=str(complaint.case_id)))


def events(complaint: Complaint) -> list[CaseEvent]:
    with tenancy.unscoped():
        return list(CaseEvent.all_communes.filter(case_id=complaint.case_id).order_by("id"))


def template(cworld: Any, use: str, category: Any = None, **texts: str) -> AnswerTemplate:
    with tenancy.unscoped():
        return AnswerTemplate.all_communes.create(
            commune=cworld.w.sale, use=use, category=category, title_ar=texts.get("title_ar", "جواب"),
            title_fr=texts.get("title_fr", "Réponse"), text_ar=texts.get("text_ar", "تم جمع النفايات."),
            text_fr=texts.get("text_fr", "Les déchets ont été ramassés."))


def move(client: Any, complaint: Complaint, name: str, **fields: Any) -> Any:
    data = {"move": name, **{f"{name}-{key}": value for key, value in fields.items() if key != "use_template"}}
    if "use_template" in fields:
        data["use_template"] = "1"
    return client.post(url(complaint, "move"), data)


@pytest.fixture
def complaint(cworld: Any) -> Complaint:
    return file_report(cworld, address="Rue Oued Sebou, devant l'école")


# --- reading -----------------------------------------------------------------------------------------------------


def test_the_agent_reads_everything_and_the_read_of_the_contact_is_logged(cworld: Any, complaint: Any) -> None:
    response = staff(cworld.hygiene_agent).get(url(complaint))
    assert response.status_code == 200
    text = text_of(response)
    for shown in ("Les ordures ne sont pas ramassées.", "Rue Oued Sebou, devant l'école", "Fatima Zahra Bennani",
                  "+212612345678", complaint.legal_due.isoformat(), complaint.target_due.isoformat(),
                  complaint.ack_due.isoformat(), "2-17-265"):
        assert shown in text, shown
    assert says(response, "Legal answer date")
    [event] = accesses(complaint)
    assert event.subject_id == cworld.w.citizen_sale.pk and event.actor_id == cworld.hygiene_agent.pk
    assert event.reason == "complaint handling"


def test_an_anonymous_complaint_shows_no_contact_and_logs_no_read(cworld: Any) -> None:
    anonymous = file_report(cworld, citizen=None, anonymous=True)
    response = staff(cworld.hygiene_agent).get(url(anonymous))
    assert says(response, "Filed anonymously: no name and no contact. The citizen follows the complaint on its "
                          "public page.")
    assert accesses(anonymous) == []


def test_the_contact_given_through_an_application_is_shown_and_the_read_logged(cworld: Any) -> None:
    with tenancy.unscoped():
        key, _raw = open311_key_issue(commune=cworld.w.sale, name="Salé app", actor=cworld.w.admin_sale)
    filed = file_report(cworld, citizen=None, api_key=key, open311_phone="+212600000001",
                        open311_email="someone@example.ma", applicant_name="Ahmed Open")
    text = text_of(staff(cworld.hygiene_agent).get(url(filed)))
    assert "+212600000001" in text and "someone@example.ma" in text and "Ahmed Open" in text
    [event] = accesses(filed)
    assert event.subject_id is None and event.actor_id == cworld.hygiene_agent.pk


def test_the_page_offers_the_moves_of_the_state(cworld: Any, complaint: Any) -> None:
    body = staff(cworld.hygiene_agent).get(url(complaint)).content.decode()
    for name in ("acknowledge", "start", "resolve", "reject"):
        assert f'name="move" value="{name}"' in body
    assert 'value="close"' not in body and 'value="reopen"' not in body


def test_an_unknown_reference_is_a_404(cworld: Any) -> None:
    client = staff(cworld.w.admin_sale)
    assert client.get(f"{BASE}SAL-1999-000001/").status_code == 404
    assert client.get(f"{BASE}{'X' * 300}/").status_code == 404


# --- moves -------------------------------------------------------------------------------------------------------


def test_acknowledging_moves_the_complaint_and_the_citizen_reads_the_standard_text(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.hygiene_agent)
    response = move(client, complaint, "acknowledge")
    assert response.status_code == 302
    assert fresh(complaint).state == ComplaintState.ACKNOWLEDGED
    assert events(complaint)[-1].public_text  # the standard sentence in the complaint's language
    again = move(client, complaint, "acknowledge")  # the form sent twice
    assert again.status_code == 302
    assert fresh(complaint).state == ComplaintState.ACKNOWLEDGED
    page = client.get(url(complaint))
    with translation.override(language_of(page)):
        action = str(BY_NAME["acknowledge"].label)
    assert says(page, "This was already done: %(action)s.", action=action)


def test_resolving_without_an_answer_is_refused_and_what_was_typed_is_kept(cworld: Any, complaint: Any) -> None:
    response = move(staff(cworld.hygiene_agent), complaint, "resolve", internal_note="brouillon interne")
    assert response.status_code == 400
    assert fresh(complaint).state == ComplaintState.RECEIVED
    assert "brouillon interne" in response.content.decode()
    assert says(response, "Write the answer the citizen will read (or choose an answer template).")


def test_rejecting_with_reasons_rejects_and_keeps_the_answer(cworld: Any, complaint: Any) -> None:
    response = move(staff(cworld.hygiene_agent), complaint, "reject", text="Ce lieu est privé.",
                    internal_note="vu avec le service")
    assert response.status_code == 302
    rejected = fresh(complaint)
    assert rejected.state == ComplaintState.REJECTED and rejected.answer == "Ce lieu est privé."
    last = events(complaint)[-1]
    assert last.public_text == "Ce lieu est privé." and last.internal_note == "vu avec le service"


def test_an_empty_answer_takes_the_chosen_template_in_the_complaints_language(cworld: Any, complaint: Any) -> None:
    chosen = template(cworld, "resolve", cworld.category("dechets"), title_ar="تم الجمع")  # the parent's: offered
    template(cworld, "resolve", cworld.category("voirie"), title_ar="تم إصلاح الطريق")
    body = staff(cworld.hygiene_agent).get(url(complaint)).content.decode()
    assert f'<option value="{chosen.pk}">تم الجمع</option>' in body and "تم إصلاح الطريق" not in body
    response = move(staff(cworld.hygiene_agent), complaint, "resolve", template=chosen.pk, text="")
    assert response.status_code == 302
    resolved = fresh(complaint)
    assert resolved.state == ComplaintState.RESOLVED and resolved.answer == "تم جمع النفايات."


def test_use_this_template_refills_the_answer_without_javascript(cworld: Any) -> None:
    with translation.override("fr"):
        french = file_report(cworld, language="fr")
    chosen = template(cworld, "reject")
    response = move(staff(cworld.hygiene_agent), french, "reject", template=chosen.pk, text="old text",
                    internal_note="garde-moi", use_template=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'<textarea name="reject-text"[^>]*>\s*Les déchets ont été ramassés.</textarea>', body)
    assert "garde-moi" in body and "old text" not in body
    assert "<html" in body
    assert fresh(french).state == ComplaintState.RECEIVED  # nothing applied yet


def test_use_this_template_with_htmx_answers_the_form_alone(cworld: Any, complaint: Any) -> None:
    chosen = template(cworld, "resolve")
    client = staff(cworld.hygiene_agent)
    response = client.post(url(complaint, "move"), {"move": "resolve", "resolve-template": chosen.pk,
                                                    "use_template": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.strip().startswith('<form') and 'id="move-resolve"' in body
    assert "تم جمع النفايات." in body
    empty = client.post(url(complaint, "move"), {"move": "resolve", "use_template": "1"}, HTTP_HX_REQUEST="true")
    with translation.override("ar"):
        assert translation.gettext("Choose a template first.") in empty.content.decode()


def test_a_move_not_possible_in_the_state_or_unknown_is_refused_with_a_message(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.hygiene_agent)
    response = move(client, complaint, "close")
    assert response.status_code == 400
    assert says(response, "This action is not possible while the complaint is “%(state)s”.",
                state=ComplaintState.RECEIVED.label)
    response = move(client, complaint, "reopen", text="x")  # the citizen's move
    assert response.status_code == 400 and says(response, "This action does not exist.")
    assert move(client, complaint, "explode").status_code == 400
    assert fresh(complaint).state == ComplaintState.RECEIVED


def test_a_template_of_another_commune_is_not_a_valid_choice(cworld: Any, complaint: Any) -> None:
    with tenancy.unscoped():
        foreign = AnswerTemplate.all_communes.create(commune=cworld.w.temara, use="resolve", title_ar="x",
                                                     title_fr="x", text_ar="نص تمارة", text_fr="Texte Témara")
    response = move(staff(cworld.hygiene_agent), complaint, "resolve", template=foreign.pk)
    assert response.status_code == 400
    assert fresh(complaint).state == ComplaintState.RECEIVED


# --- notes, rerouting, merging -------------------------------------------------------------------------------------


def test_an_internal_note_is_for_staff_only(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.hygiene_agent)
    assert client.post(url(complaint, "note"), {"text": "Camion en panne cette semaine."}).status_code == 302
    note = events(complaint)[-1]
    assert note.kind == EventKind.NOTE and not note.is_public and note.internal_note == "Camion en panne cette semaine."
    assert "Camion en panne cette semaine." in client.get(url(complaint)).content.decode()
    assert client.post(url(complaint, "note"), {"text": ""}).status_code == 400


def test_sending_to_another_department_moves_the_complaint_out_of_the_agents_list(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.hygiene_agent)
    response = client.post(url(complaint, "reroute"), {"department": cworld.sale_voirie.pk,
                                                       "note": "C'est un trou, pas des déchets."})
    assert response.status_code == 302 and response["Location"] == BASE
    moved = fresh(complaint)
    assert moved.case.department_id == cworld.sale_voirie.pk
    last = events(complaint)[-1]
    assert not last.is_public and "C'est un trou, pas des déchets." in last.internal_note
    with tenancy.unscoped():
        assert AuditEvent.all_communes.filter(action="complaint.rerouted", target_id=str(complaint.case_id)).exists()
    assert client.get(url(complaint)).status_code == 404  # no longer the hygiene department's
    assert staff(cworld.w.admin_sale).get(url(complaint)).status_code == 200


def test_sending_to_the_same_or_a_foreign_department_is_refused(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.hygiene_agent)
    assert client.post(url(complaint, "reroute"), {"department": cworld.sale_hygiene.pk}).status_code == 400
    foreign = cworld.w.temara_etat_civil
    response = client.post(url(complaint, "reroute"), {"department": foreign.pk})
    assert response.status_code == 400 and says(response, "Choose a department of the commune.")
    assert client.post(url(complaint, "reroute"), {"department": "abc"}).status_code == 400
    assert fresh(complaint).case.department_id == cworld.sale_hygiene.pk


def test_a_nearby_duplicate_is_offered_and_merged(cworld: Any, complaint: Any) -> None:
    duplicate = file_report(cworld, point=(cworld.sale_point[0] + 0.0001, cworld.sale_point[1]),
                            citizen=cworld.w.citizen_temara)
    far = file_report(cworld, point=cworld.sale_east_point)
    client = staff(cworld.hygiene_agent)
    body = client.get(url(duplicate)).content.decode()
    assert f'name="reference" value="{complaint.reference}"' in body
    assert f'name="reference" value="{far.reference}"' not in body
    response = client.post(url(duplicate, "merge"), {"reference": complaint.reference})
    assert response.status_code == 302
    merged = fresh(duplicate)
    assert merged.state == ComplaintState.CLOSED and merged.merged_into_id == complaint.pk
    assert fresh(complaint).supporters == 1
    page = client.get(url(complaint)).content.decode()
    assert duplicate.reference in page  # listed among the complaints merged into it


def test_merging_by_a_wrong_reference_is_refused_with_a_message(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.hygiene_agent)
    grievance = file_grievance(cworld)
    response = client.post(url(complaint, "merge"), {"reference": "SAL-1999-000009"})
    assert response.status_code == 400 and says(response, "No complaint of the commune has this reference.")
    response = client.post(url(complaint, "merge"), {"reference": complaint.reference.lower()})
    assert response.status_code == 400 and says(response, "A complaint cannot be merged into itself.")
    response = client.post(url(complaint, "merge"), {"reference": grievance.reference})
    assert response.status_code == 400
    assert says(response, "Merge a report into a report, a grievance into a grievance.")
    assert client.post(url(complaint, "merge"), {"reference": ""}).status_code == 400
    assert fresh(complaint).state == ComplaintState.RECEIVED


# --- photos ------------------------------------------------------------------------------------------------------


@pytest.fixture
def with_photo(cworld: Any) -> Complaint:
    return file_report(cworld, photos=[png()])


def test_staff_see_the_photos_and_can_hide_one_from_the_public(cworld: Any, with_photo: Any) -> None:
    client = staff(cworld.hygiene_agent)
    with tenancy.unscoped():
        photo = Photo.all_communes.get(complaint=with_photo)
    body = client.get(url(with_photo)).content.decode()
    assert f'src="{url(with_photo)}photos/{photo.pk}/"' in body
    image = client.get(f"{url(with_photo)}photos/{photo.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    response = client.post(f"{url(with_photo)}photos/{photo.pk}/visibility/", {"public": "0"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.is_public is False
    page = client.get(url(with_photo))
    assert says(page, "hidden from the public") and says(page, "Show on the public page")
    assert client.get(f"{url(with_photo)}photos/{photo.pk}/").status_code == 200  # staff still see it
    client.post(f"{url(with_photo)}photos/{photo.pk}/visibility/", {"public": "1"})
    photo.refresh_from_db()
    assert photo.is_public is True
    with tenancy.unscoped():
        assert AuditEvent.all_communes.filter(action="complaint.photo_hidden").count() == 1


def test_photo_visibility_refusals(cworld: Any, with_photo: Any, complaint: Any) -> None:
    with tenancy.unscoped():
        photo = Photo.all_communes.get(complaint=with_photo)
    client = staff(cworld.hygiene_agent)
    assert client.post(f"{url(with_photo)}photos/{photo.pk}/visibility/", {"public": "maybe"}).status_code == 400
    assert client.post(f"{url(complaint)}photos/{photo.pk}/visibility/", {"public": "0"}).status_code == 404
    assert client.get(f"{url(complaint)}photos/{photo.pk}/").status_code == 404
    assert staff(cworld.w.leader_sale).post(f"{url(with_photo)}photos/{photo.pk}/visibility/",
                                            {"public": "0"}).status_code == 403
    assert staff(cworld.w.agent_sale).get(f"{url(with_photo)}photos/{photo.pk}/").status_code == 404
    photo.refresh_from_db()
    assert photo.is_public is True
