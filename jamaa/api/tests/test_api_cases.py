"""A citizen's own cases through the API: list (keyset pages, constant queries), detail, submission (idempotent),
withdrawal, messages; another commune's or another person's case is a 404."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jamaa.api.tests.conftest import pdf
from jamaa.cases.models import Case, CaseChannel

pytestmark = pytest.mark.django_db


def _submit(api, answers, *, key=None, procedure="residence-certificate", files=True):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    if files:
        return api.post("/api/v1/cases", {"procedure": procedure, "answers": json.dumps(answers),
                                          "doc__proof": pdf()}, **extra)
    return api.post("/api/v1/cases", {"procedure": procedure, "answers": answers},
                    content_type="application/json", **extra)


def test_a_citizen_submits_a_request_with_its_documents(world, sale_api, answers, api_private_media):
    response = _submit(sale_api, answers)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("SAL-")
    assert body["state"] == "submitted"
    assert body["channel"] == "api"
    assert body["due_date"]
    assert body["legal_deadline"] == {"amount": 5, "unit": "working"}
    assert body["procedure"]["slug"] == "residence-certificate"
    assert [a["field"] for a in body["attachments"]] == ["doc__proof"]
    assert "AB123456" not in json.dumps(body)  # the CIN is masked
    assert body["timeline"][0]["to_state"] == "submitted"
    case = Case.all_communes.get()
    assert case.channel == CaseChannel.API and case.citizen == world.citizen_sale


def test_a_procedure_without_files_is_submitted_as_json(world, sale_api, procedures, api_private_media):
    response = sale_api.post("/api/v1/cases", {"procedure": "building-permit", "answers": {"parcel": "TF 1234/R"}},
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY="3b0e-permit")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["procedure"]["slug"] == "building-permit"
    assert body["data"] == {"parcel": "TF 1234/R"}
    assert body["legal_deadline"] == {"amount": 30, "unit": "calendar"}
    assert body["silence_means_approval"] is True
    assert Case.all_communes.get().submission_key == "api:3b0e-permit"


def test_missing_answers_and_documents_are_a_422_listed_by_field(world, sale_api, answers, api_private_media):
    response = _submit(sale_api, {**answers, "address": "", "since": "not a date"}, files=False)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"address", "since", "doc__proof"} <= set(errors)
    assert not Case.all_communes.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"procedure": "life-certificate", "answers": {}}, "procedure"),
    ({"procedure": "no-such", "answers": {}}, "procedure"),
    ({"answers": {}}, "procedure"),
    ({"procedure": "residence-certificate", "answers": "not json"}, "answers"),
    ({"procedure": "residence-certificate", "answers": [1, 2]}, "answers"),
])
def test_bad_submissions_are_a_422_naming_the_field(world, procedures, sale_api, body, field):
    response = sale_api.post("/api/v1/cases", body, content_type="application/json")
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_a_body_that_is_not_json_is_a_422(world, procedures, sale_api):
    response = sale_api.post("/api/v1/cases", "{oops", content_type="application/json")
    assert response.status_code == 422
    assert "__all__" in response.json()["errors"]


def test_an_unexpected_file_is_refused(world, sale_api, answers, api_private_media):
    response = sale_api.post("/api/v1/cases", {"procedure": "residence-certificate", "answers": json.dumps(answers),
                                               "doc__proof": pdf(), "other": pdf("x.pdf")})
    assert response.status_code == 422
    assert "other" in response.json()["errors"]


def test_the_same_idempotency_key_gives_the_same_case(world, sale_api, answers, api_private_media):
    first = _submit(sale_api, answers, key="order-42")
    second = _submit(sale_api, answers, key="order-42")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["reference"] == first.json()["reference"]
    assert Case.all_communes.count() == 1
    assert _submit(sale_api, answers, key="order-43").status_code == 201
    assert Case.all_communes.count() == 2


def test_an_idempotency_key_is_per_citizen(world, sale_api, answers, api_private_media, tokens):
    from jamaa.api.tests.conftest import bearer_client, new_token

    assert _submit(sale_api, answers, key="same").status_code == 201
    other = bearer_client("sale.localhost", new_token(world.citizen_temara))
    assert _submit(other, answers, key="same").status_code == 201
    assert Case.all_communes.count() == 2


def test_a_key_used_in_another_commune_is_a_conflict(world, procedures, tokens, answers, temara_answers,
                                                     api_private_media):
    from jamaa.api.tests.conftest import bearer_client

    assert _submit(bearer_client("temara.localhost", tokens.citizen_sale), temara_answers, key="k1").status_code \
        == 201
    assert _submit(bearer_client("sale.localhost", tokens.citizen_sale), answers, key="k1").status_code == 409


def test_the_list_shows_my_cases_in_this_commune_only(world, procedures, make_case, sale_api, tokens,
                                                     temara_answers):
    from jamaa.api.tests.conftest import bearer_client

    mine = make_case()
    make_case(citizen=world.citizen_temara)  # someone else's, in Salé
    make_case(citizen=world.citizen_sale, commune=world.temara, procedure=procedures.temara_residence,
              data=temara_answers)
    body = sale_api.get("/api/v1/cases").json()
    assert [c["reference"] for c in body["items"]] == [mine.reference]
    assert body["next"] is None
    on_temara = bearer_client("temara.localhost", tokens.citizen_sale).get("/api/v1/cases").json()
    assert [c["reference"][:3] for c in on_temara["items"]] == ["TEM"]


def test_the_list_pages_with_a_cursor_at_constant_queries(world, make_case, sale_api):
    cases = [make_case() for _ in range(5)]
    with CaptureQueriesContext(connection) as one:
        page = sale_api.get("/api/v1/cases?limit=1").json()
    assert [c["reference"] for c in page["items"]] == [cases[-1].reference]
    seen = [c["reference"] for c in page["items"]]
    while page["next"]:
        page = sale_api.get(f"/api/v1/cases?limit=2&cursor={page['next']}").json()
        seen += [c["reference"] for c in page["items"]]
    assert seen == [c.reference for c in reversed(cases)]
    with CaptureQueriesContext(connection) as many:
        assert len(sale_api.get("/api/v1/cases?limit=5").json()["items"]) == 5
    assert len(many) == len(one)


@pytest.mark.parametrize("cursor", ["zzzz", "Yzow", "abc-def"])
def test_a_bad_cursor_is_a_422(world, sale_api, cursor):
    response = sale_api.get(f"/api/v1/cases?cursor={cursor}")
    assert response.status_code == 422
    assert "cursor" in response.json()["errors"]


def test_the_detail_shows_state_deadline_timeline_and_masked_answers(world, make_case, sale_api):
    case = make_case()
    body = sale_api.get(f"/api/v1/cases/{case.reference}").json()
    assert body["reference"] == case.reference
    assert body["state"] == "submitted"
    assert body["due_date"] == case.due_date.isoformat()
    assert body["legal_deadline"] == {"amount": 5, "unit": "working"}
    labels = dict((a["label"], a["value"]) for a in body["answers"])
    assert any("AB123456" not in value and "6" in value for value in labels.values())
    assert "AB123456" not in json.dumps(body)
    assert "cin" not in body["data"]
    assert body["return_missing"] == []
    # The reference is found whatever its case.
    assert sale_api.get(f"/api/v1/cases/{case.reference.lower()}").status_code == 200


def test_another_persons_or_another_communes_case_is_a_404(world, procedures, make_case, sale_api, temara_api,
                                                          tokens):
    from jamaa.api.tests.conftest import bearer_client

    case = make_case()
    assert temara_api.get(f"/api/v1/cases/{case.reference}").status_code == 404  # someone else's, other host
    other = bearer_client("sale.localhost", tokens.citizen_temara)
    assert other.get(f"/api/v1/cases/{case.reference}").status_code == 404  # someone else's, same host
    mine_elsewhere = bearer_client("temara.localhost", tokens.citizen_sale)
    assert mine_elsewhere.get(f"/api/v1/cases/{case.reference}").status_code == 404  # mine, other commune's host
    for path in ("", "/messages"):
        assert other.get(f"/api/v1/cases/{case.reference}{path}").status_code == 404
    assert other.post(f"/api/v1/cases/{case.reference}/withdraw").status_code == 404
    assert other.post(f"/api/v1/cases/{case.reference}/messages", {"body": "hello"},
                      content_type="application/json").status_code == 404
    assert sale_api.get("/api/v1/cases/SAL-2026-999999").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/cases/SAL-2026-000001",
                                  "/api/v1/cases/SAL-2026-000001/messages"])
def test_case_endpoints_answer_404_on_the_landing_host(world, tokens, path):
    from jamaa.api.tests.conftest import bearer_client

    assert bearer_client("localhost", tokens.citizen_sale).get(path).status_code == 404


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/cases"), ("post", "/api/v1/cases"), ("get", "/api/v1/cases/SAL-2026-000001"),
    ("post", "/api/v1/cases/SAL-2026-000001/withdraw"), ("get", "/api/v1/cases/SAL-2026-000001/messages"),
    ("post", "/api/v1/cases/SAL-2026-000001/messages"),
])
def test_case_endpoints_need_a_token(world, sale_client, method, path):
    assert getattr(sale_client, method)(path).status_code == 401


def test_a_citizen_writes_and_reads_messages(world, make_case, sale_api):
    case = make_case()
    response = sale_api.post(f"/api/v1/cases/{case.reference}/messages", {"body": "Merci"},
                             content_type="application/json")
    assert response.status_code == 201
    assert response.json()["body"] == "Merci"
    listed = sale_api.get(f"/api/v1/cases/{case.reference}/messages").json()
    assert [(m["body"], m["from_staff"]) for m in listed] == [("Merci", False)]
    empty = sale_api.post(f"/api/v1/cases/{case.reference}/messages", {"body": "  "},
                          content_type="application/json")
    assert empty.status_code == 422
    assert "body" in empty.json()["errors"]


def test_a_message_can_carry_files(world, make_case, sale_api):
    case = make_case()
    response = sale_api.post(f"/api/v1/cases/{case.reference}/messages",
                             {"body": "Voici le bail", "file": pdf("bail.pdf")})
    assert response.status_code == 201, response.json()
    assert [(a["name"], a["content_type"]) for a in response.json()["attachments"]] == [
        ("bail.pdf", "application/pdf")]
    fake = sale_api.post(f"/api/v1/cases/{case.reference}/messages",
                         {"body": "x", "file": SimpleUploadedFile("x.pdf", b"MZ not a pdf")})
    assert fake.status_code == 422


def test_a_citizen_withdraws_a_request_once(world, make_case, sale_api):
    case = make_case()
    response = sale_api.post(f"/api/v1/cases/{case.reference}/withdraw", {"reason": "Plus besoin"},
                             content_type="application/json")
    assert response.status_code == 200
    assert response.json()["state"] == "withdrawn"
    again = sale_api.post(f"/api/v1/cases/{case.reference}/withdraw")
    assert again.status_code == 409
    closed = sale_api.post(f"/api/v1/cases/{case.reference}/messages", {"body": "x"},
                           content_type="application/json")
    assert closed.status_code == 422


def test_a_returned_case_lists_what_is_missing_and_its_timeline_hides_internal_notes(world, make_case, sale_api):
    from jamaa.cases import services
    from jamaa.core import tenancy

    case = make_case()
    with tenancy.scope(world.sale):
        services.case_transition(case=case, name="return", actor=world.agent_sale, by_staff=True,
                                 missing=["Copie du bail"], internal_note="secret staff note")
    body = sale_api.get(f"/api/v1/cases/{case.reference}").json()
    assert body["state"] == "returned"
    assert body["return_missing"] == ["Copie du bail"]
    assert body["timeline"][-1]["to_state"] == "returned"
    assert "secret staff note" not in json.dumps(body)
