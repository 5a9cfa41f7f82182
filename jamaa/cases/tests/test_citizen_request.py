"""A citizen makes a request online: the form, drafts, submission, the receipt, and the refusals."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jamaa.cases.models import Attachment, Case, CaseState
from jamaa.cases.tests.citizen_fixtures import pdf_upload, png_upload, url
from jamaa.core import tenancy
from jamaa.core.tests.test_accounts_signup import tr

START = "cases:start"
RESIDENCE = "residence-certificate"


def submission_key(body: str) -> str:
    match = re.search(r'name="submission_key" value="([^"]+)"', body)
    assert match, "the form carries a submission key"
    return match.group(1)


def open_form(client, language: str = "ar", slug: str = RESIDENCE) -> tuple[str, str]:
    response = client.get(url(START, language, slug=slug))
    assert response.status_code == 200
    body = response.content.decode()
    return body, submission_key(body)


def sale_cases(**filters) -> list[Case]:
    with tenancy.unscoped():
        return list(Case.all_communes.filter(**filters))


def test_a_citizen_submits_a_request_in_arabic_and_gets_a_dated_receipt(world, procedures, citizen_client,
                                                                          citizen_answers):
    body, key = open_form(citizen_client)
    assert "شهادة السكنى" in body
    assert 'name="doc__proof"' in body
    response = citizen_client.post(url(START, slug=RESIDENCE), {
        **citizen_answers, "submission_key": key, "action": "submit", "doc__proof": pdf_upload(),
    })
    [case] = sale_cases(citizen=world.citizen_sale)
    assert case.state == CaseState.SUBMITTED
    assert response.status_code == 302
    assert response["Location"] == url("cases:receipt", reference=case.reference)

    receipt = citizen_client.get(response["Location"])
    page = receipt.content.decode()
    assert receipt.status_code == 200
    assert case.reference in page and case.reference.startswith("SAL-")
    assert "سلا" in page  # the commune
    assert "القانون 55.19" in page or "Loi 55-19" in page  # the legal basis of the deadline
    assert f'datetime="{case.due_date:%Y-%m-%d}"' in page
    code = case.tracking_code
    assert f"{code[:5]}-{code[5:]}" in page
    assert url("cases:receipt_pdf", reference=case.reference) in page
    assert "+01:00" in page or "+00:00" in page  # received at, in Morocco's time


def test_the_whole_request_works_in_french(world, procedures, citizen_client, citizen_answers):
    world.citizen_sale.language = "fr"
    world.citizen_sale.save(update_fields=["language"])
    body, key = open_form(citizen_client, "fr")
    assert "Certificat de résidence" in body
    assert "Numéro de CIN" in body
    response = citizen_client.post(url(START, "fr", slug=RESIDENCE), {
        **citizen_answers, "submission_key": key, "action": "submit", "doc__proof": pdf_upload(),
    })
    [case] = sale_cases(citizen=world.citizen_sale)
    assert response["Location"] == url("cases:receipt", "fr", reference=case.reference)
    detail = citizen_client.get(url("cases:detail", "fr", reference=case.reference)).content.decode()
    assert "Certificat de résidence" in detail
    assert "AB****56" in detail  # the CIN, masked
    assert "AB123456" not in detail
    assert tr("Waiting for the commune", "fr") in detail


def test_invalid_answers_are_shown_next_to_the_fields_and_what_was_typed_is_kept(world, procedures, citizen_client,
                                                                                  citizen_answers):
    _body, key = open_form(citizen_client)
    response = citizen_client.post(url(START, slug=RESIDENCE), {
        **citizen_answers, "since": "2999-01-01", "household": "99", "submission_key": key, "action": "submit",
        "doc__proof": pdf_upload(),
    })
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"since", "household"}
    page = response.content.decode()
    assert 'value="2999-01-01"' in page  # kept
    assert "12 زنقة البرتقال" in page  # the address too
    assert 'id="id_since_error"' in page
    assert tr("Files you chose were not kept because the form has errors: choose them again before sending.") \
        in page
    assert sale_cases() == []


def test_a_missing_required_document_is_named(world, procedures, citizen_client, citizen_answers):
    _body, key = open_form(citizen_client)
    response = citizen_client.post(url(START, slug=RESIDENCE), {
        **citizen_answers, "submission_key": key, "action": "submit",
    })
    assert response.status_code == 400
    assert "doc__proof" in response.context["form"].errors
    assert sale_cases() == []


def test_a_file_that_lies_about_its_type_is_refused_with_a_clear_message(world, procedures, citizen_client,
                                                                          citizen_answers):
    _body, key = open_form(citizen_client)
    liar = SimpleUploadedFile("proof.pdf", b"MZ\x90\x00 this is a program, not a PDF", content_type="application/pdf")
    response = citizen_client.post(url(START, slug=RESIDENCE), {
        **citizen_answers, "submission_key": key, "action": "submit", "doc__proof": liar,
    })
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["doc__proof"])
    assert "PDF" in errors
    assert sale_cases() == []


def test_a_double_submit_or_a_resubmit_from_the_back_button_creates_one_case(world, procedures, citizen_client,
                                                                              citizen_answers):
    _body, key = open_form(citizen_client)
    posted = {**citizen_answers, "submission_key": key, "action": "submit"}
    first = citizen_client.post(url(START, slug=RESIDENCE), {**posted, "doc__proof": pdf_upload()})
    second = citizen_client.post(url(START, slug=RESIDENCE), {**posted, "doc__proof": pdf_upload()})
    [case] = sale_cases(citizen=world.citizen_sale)
    assert first["Location"] == second["Location"] == url("cases:receipt", reference=case.reference)


def test_a_draft_is_saved_incomplete_resumed_with_its_file_and_submitted(world, procedures, citizen_client,
                                                                         citizen_answers):
    _body, key = open_form(citizen_client)
    response = citizen_client.post(url(START, slug=RESIDENCE), {
        "address": "12 rue des Orangers", "submission_key": key, "action": "draft",
        "doc__proof": png_upload("facture.png"),
    })
    [draft] = sale_cases(citizen=world.citizen_sale)
    assert draft.state == CaseState.DRAFT and draft.reference == ""
    assert response["Location"] == url("cases:draft", pk=draft.pk)

    # A second click on "save draft" from the same page updates the same draft.
    citizen_client.post(url(START, slug=RESIDENCE), {
        "address": "14 rue des Orangers", "submission_key": key, "action": "draft"})
    [draft] = sale_cases(citizen=world.citizen_sale)
    assert draft.data.get("address") == "14 rue des Orangers"

    resumed = citizen_client.get(url("cases:draft", pk=draft.pk))
    page = resumed.content.decode()
    assert resumed.status_code == 200
    assert "14 rue des Orangers" in page
    assert "facture.png" in page  # the stored file is listed
    assert not resumed.context["form"].fields["doc__proof"].required  # and counts as present

    mine = citizen_client.get(url("cases:mine")).content.decode()
    assert url("cases:draft", pk=draft.pk) in mine
    # Opening a new request for the same procedure points to the draft.
    assert url("cases:draft", pk=draft.pk) in citizen_client.get(url(START, slug=RESIDENCE)).content.decode()

    key = submission_key(page)
    response = citizen_client.post(url("cases:draft", pk=draft.pk), {
        **citizen_answers, "submission_key": key, "action": "submit"})
    [case] = sale_cases(citizen=world.citizen_sale)
    assert case.pk == draft.pk and case.state == CaseState.SUBMITTED
    assert response["Location"] == url("cases:receipt", reference=case.reference)
    with tenancy.unscoped():
        assert Attachment.all_communes.filter(case=case, document_code="proof").exists()

    # The back button sends the draft's form again: the receipt, not an error and not a second case.
    again = citizen_client.post(url("cases:draft", pk=draft.pk), {
        **citizen_answers, "submission_key": key, "action": "submit"})
    assert again["Location"] == url("cases:receipt", reference=case.reference)
    assert len(sale_cases(citizen=world.citizen_sale)) == 1


def test_a_draft_can_be_deleted(world, procedures, citizen_client):
    _body, key = open_form(citizen_client)
    citizen_client.post(url(START, slug=RESIDENCE), {
        "address": "12 rue des Orangers", "submission_key": key, "action": "draft"})
    [draft] = sale_cases(citizen=world.citizen_sale)
    response = citizen_client.post(url("cases:draft", pk=draft.pk), {"action": "discard"})
    assert response["Location"] == url("cases:mine")
    assert sale_cases(citizen=world.citizen_sale) == []


def test_another_citizens_draft_is_not_found(world, procedures, citizen_client):
    from jamaa.cases import services

    with tenancy.scope(world.sale):
        other = services.draft_save(commune=world.sale, citizen=world.citizen_temara,
                                    procedure=procedures.sale_residence, data={"address": "secret"})
    assert citizen_client.get(url("cases:draft", pk=other.pk)).status_code == 404
    assert citizen_client.get(url("cases:draft", pk=10**30)).status_code == 404
    assert citizen_client.post(url("cases:draft", pk=other.pk), {"action": "discard"}).status_code == 404


def test_a_hidden_question_is_shown_without_javascript_and_its_answer_ignored(world, procedures, citizen_client,
                                                                              citizen_answers):
    body, key = open_form(citizen_client)
    assert 'name="purpose_other"' in body and 'data-show-if-field="purpose"' in body
    assert "cases/form.js" in body
    citizen_client.post(url(START, slug=RESIDENCE), {
        **citizen_answers, "purpose_other": "ignored", "submission_key": key, "action": "submit",
        "doc__proof": pdf_upload()})
    [case] = sale_cases(citizen=world.citizen_sale)
    assert "purpose_other" not in case.data


def test_a_procedure_this_commune_has_not_adopted_is_a_404_that_says_why(world, procedures, citizen_client):
    response = citizen_client.get(url(START, slug="life-certificate"))
    assert response.status_code == 404
    assert tr("This procedure is not offered here") in response.content.decode()
    assert citizen_client.get(url(START, slug="no-such-thing")).status_code == 404


def test_a_procedure_of_another_commune_is_not_offered_here(world, procedures, citizen_temara_client):
    # Témara adopted the residence certificate but not the building permit.
    response = citizen_temara_client.get(url(START, slug="building-permit"))
    assert response.status_code == 404


def test_an_unpublished_adoption_is_not_offered(world, procedures, citizen_client):
    with tenancy.unscoped():
        procedures.sale_residence.is_published = False
        procedures.sale_residence.save(update_fields=["is_published"])
    assert citizen_client.get(url(START, slug=RESIDENCE)).status_code == 404


def test_a_counter_only_procedure_explains_where_to_go(world, procedures, citizen_client):
    procedures.residence.channel = "counter"
    procedures.residence.save(update_fields=["channel"])
    response = citizen_client.get(url(START, slug=RESIDENCE))
    assert response.status_code == 404
    page = response.content.decode()
    assert tr("This procedure is done at the counter") in page
    assert "الحالة المدنية" in page  # the department


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_sent_to_log_in(world, procedures, sale_client, method):
    response = getattr(sale_client, method)(url(START, slug=RESIDENCE))
    assert response.status_code == 302
    assert url("accounts:login") in response["Location"]
    assert sale_cases() == []


def test_the_national_landing_host_has_no_request_form(world, procedures, platform_client):
    platform_client.force_login(world.citizen_sale)
    assert platform_client.get(url(START, slug=RESIDENCE)).status_code == 404


def test_the_navigation_links_to_procedures_and_my_requests(world, procedures, citizen_client, sale_client):
    page = citizen_client.get(url("cases:mine")).content.decode()
    assert f'href="{url("catalog:index")}"' in page
    assert f'href="{url("cases:mine")}" aria-current="page"' in page
    anonymous = sale_client.get(url("home")).content.decode()
    assert f'href="{url("catalog:index")}"' in anonymous
    assert f'href="{url("cases:mine")}"' not in anonymous
    assert f'href="{url("cases:track")}"' in anonymous


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_whole_journey_from_request_to_rating(world, procedures, citizen_client, citizen_answers, language):
    from jamaa.cases import services

    world.citizen_sale.language = language
    world.citizen_sale.save(update_fields=["language"])
    _body, key = open_form(citizen_client, language)
    response = citizen_client.post(url(START, language, slug=RESIDENCE), {
        **citizen_answers, "submission_key": key, "action": "submit", "doc__proof": pdf_upload()})
    [case] = sale_cases(citizen=world.citizen_sale)
    reference = case.reference
    assert response["Location"] == url("cases:receipt", language, reference=reference)

    def staff(move: str, **extra) -> None:
        with tenancy.scope(world.sale):
            services.case_transition(case=Case.objects.get(pk=case.pk), name=move, actor=world.agent_sale,
                                     by_staff=True, **extra)

    def page() -> str:
        return citizen_client.get(url("cases:detail", language, reference=reference)).content.decode()

    staff("start_review")
    assert tr("Waiting for the commune", language) in page()
    staff("return", missing=["Contrat de bail"])
    returned = page()
    assert tr("Complete your request: the commune is waiting for you", language) in returned
    assert "Contrat de bail" in returned
    form = citizen_client.get(url("cases:complete", language, reference=reference))
    version = sale_cases(pk=case.pk)[0].version
    done = citizen_client.post(url("cases:complete", language, reference=reference), {
        **form.context["form"].initial, "expected_version": version, "doc__lease": pdf_upload("bail.pdf")})
    assert done["Location"] == url("cases:detail", language, reference=reference)
    assert tr("Waiting for the commune", language) in page()
    staff("approve")
    assert tr("Approved: the commune is preparing your act", language) in page()
    staff("issue_act")
    staff("close")
    assert tr("Rate the service", language) in page()
    citizen_client.post(url("cases:rate", language, reference=reference), {"rating": "5"})
    assert sale_cases(pk=case.pk)[0].rating == 5
    assert tr("Nothing more to do", language) in citizen_client.get(url("cases:mine", language)).content.decode()
