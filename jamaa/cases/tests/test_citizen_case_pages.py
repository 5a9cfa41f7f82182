"""A citizen's requests: "my requests", one request, completion, withdrawal, messages, rating, receipt, files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import host_client
from jamaa.cases import services, views
from jamaa.cases.models import Attachment, Case, CaseMessage, CaseState
from jamaa.cases.tests.citizen_fixtures import pdf_upload, url
from jamaa.core import tenancy
from jamaa.core.tests.test_accounts_signup import tr

REFERENCE_PAGES = ["cases:detail", "cases:complete", "cases:withdraw", "cases:receipt", "cases:receipt_pdf"]
POST_PAGES = ["cases:message", "cases:rate", "cases:withdraw", "cases:complete"]


def fresh(case: Case) -> Case:
    with tenancy.unscoped():
        return Case.all_communes.get(pk=case.pk)


# --- my requests ----------------------------------------------------------------------------------------------


def test_my_requests_lists_drafts_first_then_sent_requests_with_state_due_date_and_next_step(
        world, procedures, citizen_client, citizen_make_case):
    returned = citizen_make_case(state="returned")
    waiting = citizen_make_case()
    with tenancy.scope(world.sale):
        draft = services.draft_save(commune=world.sale, citizen=world.citizen_sale,
                                    procedure=procedures.sale_building, data={})
    response = citizen_client.get(url("cases:mine"))
    page = response.content.decode()
    assert [d.pk for d in response.context["drafts"]] == [draft.pk]
    assert [row["case"].pk for row in response.context["rows"]] == [waiting.pk, returned.pk]
    assert page.index("رخصة البناء") < page.index(waiting.reference)  # the draft comes first
    assert tr("Waiting for the commune") in page
    assert tr("Complete your request: the commune is waiting for you") in page
    assert f'datetime="{waiting.due_date:%Y-%m-%d}"' in page
    assert tr("Returned for completion") in page and tr("Submitted") in page


def test_my_requests_shows_only_mine_in_this_commune(world, procedures, citizen_client, citizen_make_case):
    citizen_make_case(citizen=world.citizen_temara)
    citizen_make_case(commune=world.temara)
    response = citizen_client.get(url("cases:mine"))
    assert response.context["rows"] == []
    assert tr("No request sent yet") in response.content.decode()


def test_my_requests_costs_the_same_queries_for_one_or_many_requests(world, procedures, citizen_client,
                                                                     citizen_make_case):
    citizen_make_case()
    with tenancy.scope(world.sale):
        services.draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=procedures.sale_building,
                            data={})
    citizen_client.get(url("cases:mine"))  # warm the session and the caches
    with CaptureQueriesContext(connection) as one:
        assert citizen_client.get(url("cases:mine")).status_code == 200
    for _ in range(4):
        citizen_make_case(state="in_review")
    with tenancy.scope(world.sale):
        services.draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=procedures.sale_residence,
                            data={})
    with CaptureQueriesContext(connection) as many:
        response = citizen_client.get(url("cases:mine"))
    assert len(response.context["rows"]) == 5
    assert len(many) == len(one)


def test_my_requests_pages_by_keyset_without_counting(world, procedures, citizen_client, citizen_make_case,
                                                      monkeypatch):
    monkeypatch.setattr(views, "MINE_PAGE_SIZE", 2)
    cases = [citizen_make_case() for _ in range(3)]
    first = citizen_client.get(url("cases:mine"))
    assert [row["case"].pk for row in first.context["rows"]] == [cases[2].pk, cases[1].pk]
    older = first.context["older"]
    assert f"?before={older}" in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = citizen_client.get(url("cases:mine"), {"before": older})
    assert [row["case"].pk for row in second.context["rows"]] == [cases[0].pk]
    assert second.context["older"] is None
    assert second.context["drafts"] == []
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert citizen_client.get(url("cases:mine"), {"before": "not-a-number"}).status_code == 200


# --- one request ------------------------------------------------------------------------------------------------


def test_the_request_page_shows_state_deadline_public_timeline_answers_and_files(world, procedures, citizen_client,
                                                                                 citizen_make_case):
    case = citizen_make_case(state="in_review")
    with tenancy.scope(world.sale):
        services.note_add(case=fresh(case), actor=world.agent_sale, text="Voisin suspect, vérifier l'adresse")
    response = citizen_client.get(url("cases:detail", reference=case.reference))
    page = response.content.decode()
    assert response.status_code == 200
    assert tr("In review") in page
    assert f'datetime="{case.due_date:%Y-%m-%d}"' in page
    assert case.legal_basis in page
    assert "Voisin suspect" not in page  # internal notes never reach the citizen
    assert "AB****56" in page and "AB123456" not in page
    [proof] = response.context["files"]
    assert url("cases:attachment", reference=case.reference, token=proof.token) in page
    assert len(response.context["events"]) >= 2


def test_a_returned_request_lists_everything_missing_and_links_to_completion(world, procedures, citizen_client,
                                                                            citizen_make_case):
    case = citizen_make_case(state="returned")
    page = citizen_client.get(url("cases:detail", reference=case.reference)).content.decode()
    assert "عقد الكراء" in page  # the document asked for, by its name
    assert "Une photo de la façade" in page
    assert url("cases:complete", reference=case.reference) in page


def test_the_citizen_completes_a_returned_request(world, procedures, citizen_client, citizen_make_case):
    case = citizen_make_case(state="returned")
    form_page = citizen_client.get(url("cases:complete", reference=case.reference))
    assert form_page.status_code == 200
    page = form_page.content.decode()
    assert "12 زنقة البرتقال" in page  # prefilled
    assert f'name="expected_version" value="{case.version}"' in page
    answers = {k: v for k, v in form_page.context["form"].initial.items()}
    response = citizen_client.post(url("cases:complete", reference=case.reference), {
        **answers, "expected_version": case.version, "note": "Voici le bail.", "doc__lease": pdf_upload("bail.pdf"),
    })
    assert response["Location"] == url("cases:detail", reference=case.reference)
    assert fresh(case).state == CaseState.IN_REVIEW


def test_a_stale_completion_form_is_refused_with_a_clear_message(world, procedures, citizen_client,
                                                                 citizen_make_case):
    case = citizen_make_case(state="returned")
    form_page = citizen_client.get(url("cases:complete", reference=case.reference))
    answers = dict(form_page.context["form"].initial)
    response = citizen_client.post(url("cases:complete", reference=case.reference), {
        **answers, "expected_version": case.version - 1, "doc__lease": pdf_upload()}, follow=True)
    assert fresh(case).state == CaseState.RETURNED
    assert tr("This request changed since you opened the page (the commune may have acted on it, or the form was "
              "sent twice). Check its state below, then try again if needed.") in response.content.decode()


def test_completion_is_only_for_a_returned_request(world, procedures, citizen_client, citizen_make_case):
    case = citizen_make_case()
    response = citizen_client.get(url("cases:complete", reference=case.reference))
    assert response["Location"] == url("cases:detail", reference=case.reference)
    response = citizen_client.post(url("cases:complete", reference=case.reference), {"expected_version": 1})
    assert response["Location"] == url("cases:detail", reference=case.reference)
    assert fresh(case).state == CaseState.SUBMITTED


def test_the_citizen_withdraws_after_confirming(world, procedures, citizen_client, citizen_make_case):
    case = citizen_make_case()
    confirm = citizen_client.get(url("cases:withdraw", reference=case.reference))
    assert confirm.status_code == 200
    assert fresh(case).state == CaseState.SUBMITTED  # a GET changes nothing
    response = citizen_client.post(url("cases:withdraw", reference=case.reference), {
        "expected_version": case.version, "reason": "Plus besoin"})
    assert response["Location"] == url("cases:detail", reference=case.reference)
    assert fresh(case).state == CaseState.WITHDRAWN
    page = citizen_client.get(url("cases:detail", reference=case.reference)).content.decode()
    assert url("cases:withdraw", reference=case.reference) not in page


def test_a_stale_withdrawal_is_refused(world, procedures, citizen_client, citizen_make_case):
    case = citizen_make_case()
    stale_version = case.version
    with tenancy.scope(world.sale):
        services.case_transition(case=fresh(case), name="start_review", actor=world.agent_sale, by_staff=True)
    response = citizen_client.post(url("cases:withdraw", reference=case.reference),
                                   {"expected_version": stale_version}, follow=True)
    assert fresh(case).state == CaseState.IN_REVIEW
    assert response.status_code == 200
    assert tr("This request changed since you opened the page (the commune may have acted on it, or the form was "
              "sent twice). Check its state below, then try again if needed.") in response.content.decode()


def test_a_closed_request_cannot_be_withdrawn(world, procedures, citizen_client, citizen_make_case):
    case = citizen_make_case(state="approved")
    response = citizen_client.post(url("cases:withdraw", reference=case.reference),
                                   {"expected_version": case.version}, follow=True)
    assert fresh(case).state == CaseState.APPROVED
    assert tr("This request can no longer be withdrawn.") in response.content.decode()


def test_the_citizen_sends_a_message_with_a_file(world, procedures, citizen_client, citizen_make_case):
    case = citizen_make_case()
    response = citizen_client.post(url("cases:message", reference=case.reference), {
        "body": "Bonjour, voici une pièce en plus.", "file": pdf_upload("piece.pdf")})
    assert response.status_code == 302
    with tenancy.scope(world.sale):
        [message] = CaseMessage.objects.filter(case_id=case.pk)
        assert not message.from_staff
        assert Attachment.objects.filter(message=message).count() == 1
    page = citizen_client.get(url("cases:detail", reference=case.reference)).content.decode()
    assert "Bonjour, voici une pièce en plus." in page
    assert "piece.pdf" in page


def test_an_empty_message_or_a_lying_file_is_refused_and_the_text_kept(world, procedures, citizen_client,
                                                                       citizen_make_case):
    case = citizen_make_case()
    empty = citizen_client.post(url("cases:message", reference=case.reference), {"body": "  "})
    assert empty.status_code == 400
    assert "body" in empty.context["message_form"].errors
    liar = SimpleUploadedFile("photo.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    response = citizen_client.post(url("cases:message", reference=case.reference),
                                   {"body": "Voici la photo", "file": liar})
    assert response.status_code == 400
    assert response.context["message_form"].errors
    assert "Voici la photo" in response.content.decode()
    with tenancy.scope(world.sale):
        assert not CaseMessage.objects.filter(case_id=case.pk).exists()


def test_the_citizen_rates_a_closed_request_once(world, procedures, citizen_client, citizen_make_case):
    case = citizen_make_case(state="closed")
    page = citizen_client.get(url("cases:detail", reference=case.reference)).content.decode()
    assert url("cases:rate", reference=case.reference) in page
    assert tr("Rate the service") in page
    response = citizen_client.post(url("cases:rate", reference=case.reference), {"rating": "4", "comment": "Rapide"})
    assert response.status_code == 302
    assert fresh(case).rating == 4
    page = citizen_client.get(url("cases:detail", reference=case.reference)).content.decode()
    assert url("cases:rate", reference=case.reference) not in page
    again = citizen_client.post(url("cases:rate", reference=case.reference), {"rating": "1"}, follow=True)
    assert again.status_code in (200, 400)
    assert fresh(case).rating == 4


def test_a_request_in_review_cannot_be_rated_and_a_bad_rating_is_explained(world, procedures, citizen_client,
                                                                          citizen_make_case):
    case = citizen_make_case(state="in_review")
    response = citizen_client.post(url("cases:rate", reference=case.reference), {"rating": "5"}, follow=True)
    assert response.status_code in (200, 400)
    assert fresh(case).rating is None
    closed = citizen_make_case(state="closed")
    bad = citizen_client.post(url("cases:rate", reference=closed.reference), {"rating": "9"})
    assert bad.status_code == 400
    assert "rating" in bad.context["rating_form"].errors


def test_the_receipt_pdf_is_a_pdf(world, procedures, citizen_client, citizen_make_case):
    pytest.importorskip("jamaa.cases.receipt")
    case = citizen_make_case()
    response = citizen_client.get(url("cases:receipt_pdf", reference=case.reference))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_citizen_downloads_their_attachment_and_nobody_else_can(world, procedures, citizen_client,
                                                                    citizen_temara_client, citizen_make_case):
    case = citizen_make_case()
    with tenancy.scope(world.sale):
        proof = Attachment.objects.get(case_id=case.pk, document_code="proof")
    path = url("cases:attachment", reference=case.reference, token=proof.token)
    response = citizen_client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["X-Content-Type-Options"] == "nosniff"
    other = host_client("sale.localhost")
    other.force_login(world.citizen_temara)
    assert other.get(path).status_code == 404
    assert citizen_client.get(url("cases:attachment", reference=case.reference, token="nope")).status_code == 404


# --- refusals -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFERENCE_PAGES)
def test_another_citizens_request_is_not_found(world, procedures, citizen_make_case, name):
    case = citizen_make_case()
    other = host_client("sale.localhost")
    other.force_login(world.citizen_temara)
    assert other.get(url(name, reference=case.reference)).status_code == 404


@pytest.mark.parametrize("name", REFERENCE_PAGES)
def test_a_request_of_another_commune_is_not_found_here(world, procedures, citizen_make_case, name):
    # The same citizen has a request in Témara; on Salé's site its reference does not exist.
    case = citizen_make_case(commune=world.temara)
    client = host_client("sale.localhost")
    client.force_login(world.citizen_sale)
    assert client.get(url(name, reference=case.reference)).status_code == 404


@pytest.mark.parametrize("name", POST_PAGES)
def test_posts_on_another_citizens_request_change_nothing(world, procedures, citizen_make_case, name):
    case = citizen_make_case()
    other = host_client("sale.localhost")
    other.force_login(world.citizen_temara)
    response = other.post(url(name, reference=case.reference), {
        "body": "hello", "rating": "5", "expected_version": case.version})
    assert response.status_code == 404
    assert fresh(case).state == CaseState.SUBMITTED


@pytest.mark.parametrize("name", [*REFERENCE_PAGES, "cases:mine"])
def test_an_anonymous_visitor_is_sent_to_log_in(world, procedures, citizen_make_case, sale_client, name):
    kwargs = {} if name == "cases:mine" else {"reference": citizen_make_case().reference}
    response = sale_client.get(url(name, **kwargs))
    assert response.status_code == 302
    assert url("accounts:login") in response["Location"]


def test_a_staff_member_without_the_citizens_account_cannot_read_it_here(world, procedures, citizen_make_case):
    case = citizen_make_case()
    client = host_client("sale.localhost")
    client.force_login(world.agent_sale)
    assert client.get(url("cases:detail", reference=case.reference)).status_code == 404
