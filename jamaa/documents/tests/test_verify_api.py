"""The JSON verification API: POST /api/v1/verify (the QR text) and /api/v1/verify/pdf (the file), public, on any
host, limited per address, logged as the API channel without the caller, described in the OpenAPI schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from jamaa.api.api import api
from jamaa.documents import issuance
from jamaa.documents.models import DocumentEvent, IssuedDocument
from jamaa.documents.tests.conftest import ADDRESS_AR, CIN, HOLDER_AR
from jamaa.documents.tests.verify_helpers import later_clock, tampered_pdf, tampered_qr, unknown_key_qr

pytestmark = pytest.mark.django_db

VERIFY = "/api/v1/verify"
VERIFY_PDF = "/api/v1/verify/pdf"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def act(issue_act):
    return issue_act()


@pytest.fixture
def client() -> Client:
    return Client(HTTP_HOST="sale.localhost")


def post_qr(client: Client, text: Any, **extra: Any) -> Any:
    return client.post(VERIFY, json.dumps({"qr": text}), content_type="application/json", **extra)


def post_pdf(client: Client, data: bytes, name: str = "act.pdf") -> Any:
    return client.post(VERIFY_PDF, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def test_an_authentic_act_missing_from_the_registry_says_so(act, client):
    IssuedDocument.all_communes.filter(pk=act.pk).delete()
    body = post_qr(client, act.qr_url).json()
    assert body["status"] == "valid" and body["registry"] == {"checked": True, "found": False, "revoked_at": None}


def test_a_valid_act_answers_what_it_states(act, client):
    response = post_qr(client, act.qr_url)
    assert response.status_code == 200
    body = response.json()
    with translation.override("ar"):
        kind_label = translation.gettext("Residence certificate")
        address_label = translation.gettext("Address")
    assert body["status"] == "valid" and body["authentic"] is True and body["reason"] == ""
    assert body["issuer"] == {"code": "SAL", "name_ar": "سلا", "name_fr": "Salé"}
    assert body["kind"] == "residence_certificate" and body["kind_label"] == kind_label
    assert body["reference"] == act.reference and body["holder"] == HOLDER_AR
    facts = {fact["key"]: fact for fact in body["facts"]}
    assert facts[1]["value"] == CIN and facts[2] == {"key": 2, "label": address_label, "value": ADDRESS_AR}
    assert facts[4]["value"] == "2019-03-01"
    assert body["issued_at"].startswith(act.issued_at.strftime("%Y-%m-%dT%H:%M"))
    assert body["expires_at"] is not None
    assert body["registry"] == {"checked": True, "found": True, "revoked_at": None}
    assert body["pdf"] is None


def test_labels_follow_the_accept_language_header(act, client):
    body = post_qr(client, act.qr_url, HTTP_ACCEPT_LANGUAGE="fr").json()
    with translation.override("fr"):
        assert body["kind_label"] == translation.gettext("Residence certificate")
        assert body["facts"][0]["label"] == translation.gettext("National identity card (CIN)")


def test_a_verification_through_the_api_is_logged_without_the_caller(act, client, world):
    post_qr(client, act.qr_url)
    event = DocumentEvent.all_communes.get(document=act, kind="verified")
    assert (event.channel, event.actor_id, event.by_staff) == ("api", None, False)


def test_a_revoked_act_says_when_but_not_why(act, client, world):
    issuance.document_revoke(document=act, actor=world.agent_sale, reason="تصريح كاذب")
    body = post_qr(client, act.qr_url).json()
    assert body["status"] == "revoked" and body["authentic"] is True
    assert body["registry"]["revoked_at"] is not None
    assert "تصريح كاذب" not in json.dumps(body, ensure_ascii=False)


def test_an_expired_act(act, client, monkeypatch):
    later_clock(monkeypatch, days=120)
    body = post_qr(client, act.qr_url).json()
    assert body["status"] == "expired" and body["authentic"] is True and body["holder"] == HOLDER_AR


@pytest.mark.parametrize(("forge", "reason"), [
    (lambda url: tampered_qr(url, holder="Someone Else"), "bad_signature"),
    (unknown_key_qr, "unknown_key"),
    (lambda url: "HTTPS://SALE.EXAMPLE.MA/V/NOTBASE32!!", "malformed"),
    (lambda url: "", "malformed"),
    (lambda url: "x" * 7000, "malformed"),
    (lambda url: url[:40] + "\x00" + url[40:], "malformed"),
])
def test_a_forged_or_garbled_code_is_invalid_and_states_nothing(forge, reason, act, client):
    body = post_qr(client, forge(act.qr_url)).json()
    assert body["status"] == "invalid" and body["authentic"] is False and body["reason"] == reason
    assert body["holder"] is None and body["reference"] is None and body["issuer"] is None
    assert body["facts"] == [] and body["registry"]["found"] is False
    assert body["message"]
    assert not DocumentEvent.all_communes.filter(document=act, kind="verified").exists()


def test_an_act_of_temara_verifies_through_sales_host(issue_act, client):
    document = issue_act(commune="temara")
    body = post_qr(client, document.qr_url).json()
    assert body["status"] == "valid" and body["issuer"]["code"] == "TEM" and body["issuer"]["name_fr"] == "Témara"


@pytest.mark.parametrize("body", [
    {}, {"qr": 12}, {"qr": None}, {"qr": "x" * 9000}, [], "text",
])
def test_bad_input_is_a_422_with_errors_by_field(body, world, client):
    response = client.post(VERIFY, json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}


def test_a_body_that_is_not_json_is_a_422(world, client):
    response = client.post(VERIFY, b"{not json", content_type="application/json")
    assert response.status_code == 422 and "errors" in response.json()


def test_the_pdf_of_an_act_verifies_with_its_seal(act, client):
    response = post_pdf(client, act.pdf.read())
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "valid" and body["holder"] == HOLDER_AR
    pdf = body["pdf"]
    assert pdf["signed"] and pdf["intact"] and pdf["whole_file"] and pdf["trusted"] and pdf["signer"]
    assert pdf["signed_at"] is not None and pdf["reason"] == ""
    assert DocumentEvent.all_communes.get(document=act, kind="verified").channel == "api"


def test_a_tampered_pdf_is_invalid(act, client):
    body = post_pdf(client, tampered_pdf(act.pdf.read())).json()
    assert body["status"] == "invalid" and body["reason"] == "modified" and body["pdf"]["intact"] is False
    assert body["holder"] is None


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"", b"%PDF-", bytes(range(256)) * 8])
def test_a_file_that_is_not_a_pdf_is_invalid_whatever_its_name(data, world, client):
    body = post_pdf(client, data, name="act.pdf").json()
    assert body["status"] == "invalid" and body["reason"] in ("not_pdf", "unsigned")


def test_a_missing_or_too_large_file_is_a_422(world, client):
    assert client.post(VERIFY_PDF, {}).status_code == 422
    assert client.post(VERIFY_PDF, {"other": SimpleUploadedFile("a.pdf", b"%PDF-1.7")}).status_code == 422
    response = post_pdf(client, b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    assert response.status_code == 422 and "file" in response.json()["errors"]
    response = client.post(VERIFY_PDF, b"%PDF-1.7", content_type="application/pdf")
    assert response.status_code == 422


def test_too_many_requests_from_one_address_get_a_429(act, client, settings):
    settings.DOCUMENT_VERIFY_API_LIMIT = 2
    assert post_qr(client, act.qr_url).status_code == 200
    assert post_pdf(client, b"hello").status_code == 200
    response = post_qr(client, act.qr_url)
    assert response.status_code == 429 and set(response.json()) == {"detail"}
    assert response["Retry-After"] == "600"
    assert post_pdf(client, b"hello").status_code == 429
    assert Client(HTTP_HOST="sale.localhost", REMOTE_ADDR="10.9.8.7").post(
        VERIFY, json.dumps({"qr": act.qr_url}), content_type="application/json").status_code == 200


def test_no_token_is_needed_and_the_platform_host_answers_too(act):
    response = post_qr(Client(HTTP_HOST="localhost"), act.qr_url)
    assert response.status_code == 200 and response.json()["status"] == "valid"


def test_the_openapi_schema_describes_both_endpoints(world, client):
    schema = client.get("/api/v1/openapi.json").json()
    qr = schema["paths"]["/api/v1/verify"]["post"]
    pdf = schema["paths"]["/api/v1/verify/pdf"]["post"]
    for operation in (qr, pdf):
        assert set(operation["responses"]) >= {"200", "422", "429"}
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/VerificationOut")
        assert "security" not in operation or operation["security"] == []
    assert "multipart/form-data" in pdf["requestBody"]["content"]
    out = schema["components"]["schemas"]["VerificationOut"]["properties"]
    assert {"status", "reason", "authentic", "issuer", "kind", "kind_label", "reference", "holder", "facts",
            "issued_at", "expires_at", "registry", "pdf"} <= set(out)
    assert api.get_openapi_schema()["paths"]  # the schema builds without a request too
