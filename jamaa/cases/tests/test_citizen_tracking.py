"""Following a request without an account: the reference and the secret code printed on the receipt."""

from __future__ import annotations

import pytest

from conftest import host_client
from jamaa.cases import views
from jamaa.cases.tests.citizen_fixtures import url
from jamaa.core.tests.test_accounts_signup import tr

pytestmark = pytest.mark.usefixtures("citizen_throttle_reset")

WRONG = tr("No request matches this reference and code. Check both on your receipt.")
TOO_MANY = tr("Too many wrong attempts. Wait 15 minutes, then try again with the reference and the code printed on "
              "your receipt.")


def grouped(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def test_the_right_reference_and_code_show_the_state_without_personal_data(world, procedures, sale_client,
                                                                           citizen_make_case):
    case = citizen_make_case(state="returned")
    assert sale_client.get(url("cases:track")).status_code == 200
    response = sale_client.post(url("cases:track"), {
        "reference": case.reference.lower(), "code": grouped(case.tracking_code).lower()})
    assert response["Location"] == url("cases:tracked", reference=case.reference)
    page = sale_client.get(response["Location"]).content.decode()
    assert case.reference in page
    assert "شهادة السكنى" in page
    assert tr("Returned for completion") in page
    assert f'datetime="{case.due_date:%Y-%m-%d}"' in page
    # No answers, no CIN, no files, no name.
    assert "12 زنقة البرتقال" not in page
    assert "AB****56" not in page
    assert "Fatima Zahra Bennani" not in page
    assert "/files/" not in page


def test_the_code_works_in_french_with_spaces(world, procedures, sale_client, citizen_make_case):
    case = citizen_make_case()
    code = case.tracking_code
    response = sale_client.post(url("cases:track", "fr"), {
        "reference": f" {case.reference} ", "code": f"{code[:5]} {code[5:]}"})
    assert response["Location"] == url("cases:tracked", "fr", reference=case.reference)
    assert sale_client.get(response["Location"]).status_code == 200


def test_a_wrong_code_is_refused_with_a_clear_message(world, procedures, sale_client, citizen_make_case):
    case = citizen_make_case()
    wrong = "ZZZZZZZZZZ" if case.tracking_code != "ZZZZZZZZZZ" else "YYYYYYYYYY"
    response = sale_client.post(url("cases:track"), {"reference": case.reference, "code": wrong})
    assert response.status_code == 400
    assert WRONG in response.content.decode()
    assert sale_client.get(url("cases:tracked", reference=case.reference)).status_code == 404


def test_malformed_input_is_explained_not_a_500(world, procedures, sale_client):
    response = sale_client.post(url("cases:track"), {"reference": "<script>", "code": "x" * 500})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"reference", "code"}


def test_the_tracked_page_needs_the_code_proven_in_this_session(world, procedures, sale_client, citizen_make_case):
    case = citizen_make_case()
    assert sale_client.get(url("cases:tracked", reference=case.reference)).status_code == 404
    sale_client.post(url("cases:track"), {"reference": case.reference, "code": case.tracking_code})
    assert sale_client.get(url("cases:tracked", reference=case.reference)).status_code == 200
    # Another browser does not inherit the proof.
    assert host_client("sale.localhost").get(url("cases:tracked", reference=case.reference)).status_code == 404


def test_another_communes_request_cannot_be_followed_here(world, procedures, sale_client, citizen_make_case):
    case = citizen_make_case(commune=world.temara)
    response = sale_client.post(url("cases:track"), {"reference": case.reference, "code": case.tracking_code})
    assert response.status_code == 400
    assert sale_client.get(url("cases:tracked", reference=case.reference)).status_code == 404


def test_wrong_attempts_are_limited_per_session(world, procedures, sale_client, citizen_make_case):
    case = citizen_make_case()
    for _ in range(views.TRACK_SESSION_LIMIT):
        assert sale_client.post(url("cases:track"), {
            "reference": case.reference, "code": "ZZZZZ-ZZZZZ"}).status_code == 400
    # Even the right code is refused now: guessing stops here.
    blocked = sale_client.post(url("cases:track"), {"reference": case.reference, "code": case.tracking_code})
    assert blocked.status_code == 429
    assert TOO_MANY in blocked.content.decode()


def test_wrong_attempts_are_limited_per_address_across_sessions(world, procedures, citizen_make_case, monkeypatch):
    monkeypatch.setattr(views, "TRACK_IP_LIMIT", 3)
    case = citizen_make_case()
    for _ in range(3):
        fresh_browser = host_client("sale.localhost")  # a new session each time
        fresh_browser.post(url("cases:track"), {"reference": case.reference, "code": "ZZZZZ-ZZZZZ"})
    blocked = host_client("sale.localhost").post(url("cases:track"), {
        "reference": case.reference, "code": case.tracking_code})
    assert blocked.status_code == 429


def test_a_logged_in_citizen_can_use_the_form_too(world, procedures, citizen_client, citizen_make_case):
    case = citizen_make_case()
    response = citizen_client.post(url("cases:track"), {"reference": case.reference, "code": case.tracking_code})
    assert response.status_code == 302
