"""Rate limits of filing: complaints without an account per client address and per phone number, codes per address,
complaints from an account (looser), and a flood of posts: a 429 with a clear message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import ngettext

from conftest import host_client
from jamaa.complaints import limits
from jamaa.complaints.tests.filing_helpers import (
    checks,
    complaints,
    hidden,
    open_form,
    page_language,
    report_data,
    says,
    sms_code,
    text_of,
    url,
)

pytestmark = pytest.mark.django_db

ANONYMOUS_LIMIT = ("Too many complaints were sent from this connection in the last hour. Wait an hour, then try "
                   "again, or call the commune.")


@pytest.fixture(autouse=True)
def _clean(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.VERIFICATION_RESEND_COOLDOWN_SECONDS = 0
    settings.COMPLAINT_ANONYMOUS_PER_IP_HOUR = 3
    settings.COMPLAINT_PER_CONTACT_HOUR = 2
    cache.clear()
    yield
    cache.clear()


def file_anonymously(client: Any, cworld: Any, n: int) -> Any:
    """The n-th report of a visitor, each at its own place (so no nearby report stops it)."""
    _page, key = open_form(client)
    return client.post(url("complaints:new", kind="report"), report_data(
        cworld, key, point=(34.0 + 0.01 * n, -6.85), follow="anonymous"))


def test_complaints_without_an_account_are_limited_per_address(cworld: Any) -> None:
    visitor = host_client("sale.localhost")
    for n in range(3):
        assert file_anonymously(visitor, cworld, n).status_code == 302
    refused = file_anonymously(visitor, cworld, 3)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert says(refused, ANONYMOUS_LIMIT)
    assert "Les ordures ne sont pas ramassées" in refused.content.decode()  # the text is still there to copy
    assert len(complaints()) == 3
    # Another address is not concerned.
    elsewhere = host_client("sale.localhost")
    elsewhere.defaults["REMOTE_ADDR"] = "198.51.100.7"
    assert file_anonymously(elsewhere, cworld, 4).status_code == 302


def test_mistakes_do_not_count_as_complaints(cworld: Any) -> None:
    visitor = host_client("sale.localhost")
    for _ in range(4):
        _page, key = open_form(visitor)
        bad = visitor.post(url("complaints:new", kind="report"), report_data(cworld, key, description="",
                                                                              follow="anonymous"))
        assert bad.status_code == 400
    assert file_anonymously(visitor, cworld, 0).status_code == 302


def test_a_flood_of_posts_is_refused_before_any_work(cworld: Any, settings: Any) -> None:
    visitor = host_client("sale.localhost")
    flood = settings.COMPLAINT_ANONYMOUS_PER_IP_HOUR * limits.FLOOD_FACTOR
    statuses = [visitor.post(url("complaints:new", kind="report"), {"description": "x" * n}).status_code
                for n in range(flood + 3)]
    assert set(statuses[:flood]) == {400}
    assert set(statuses[flood:]) == {429}
    last = visitor.post(url("complaints:new", kind="report"), {"category": "garbage", "lat": "∞"})
    assert last.status_code == 429
    assert says(last, ANONYMOUS_LIMIT)
    assert complaints() == []


def test_complaints_per_phone_number_are_limited(cworld: Any) -> None:
    for n in range(3):
        visitor = host_client("sale.localhost")  # a new connection each time: only the number is the same
        visitor.defaults["REMOTE_ADDR"] = f"198.51.100.{n + 10}"
        _page, key = open_form(visitor)
        data = report_data(cworld, key, point=(34.0 + 0.01 * n, -6.85), follow="contact", contact="0661234567")
        step = visitor.post(url("complaints:new", kind="report"), data)
        if n < 2:
            assert step.status_code == 200
            done = visitor.post(url("complaints:new", kind="report"), {
                **data, "contact_token": hidden(step, "contact_token"), "code": sms_code("+212661234567")})
            assert done.status_code == 302
        else:
            assert step.status_code == 429
            assert says(step, "Too many complaints were filed with this phone number or e-mail address in the last "
                              "hour. Wait an hour, then try again.")
    assert len(complaints()) == 2


def test_codes_to_one_number_are_limited_with_a_429(cworld: Any) -> None:
    for n in range(3):
        visitor = host_client("sale.localhost")
        visitor.defaults["REMOTE_ADDR"] = f"198.51.100.{n + 20}"
        open_form(visitor)
        response = visitor.post(url("complaints:new", kind="report"), {
            "follow": "contact", "contact": "0661234567", "action": "send_code"})
        assert response.status_code == (200 if n < 2 else 429)
    with translation.override(page_language(response)):
        expected = ngettext(
            "Too many codes were sent to this number or address. Try again in %(minutes)d minute, or file "
            "anonymously.",
            "Too many codes were sent to this number or address. Try again in %(minutes)d minutes, or file "
            "anonymously.", 60) % {"minutes": 60}
    assert " ".join(expected.split()) in text_of(response)
    assert len(checks()) == 2


def test_codes_asked_from_one_address_are_limited(cworld: Any, settings: Any) -> None:
    visitor = host_client("sale.localhost")
    allowed = settings.COMPLAINT_ANONYMOUS_PER_IP_HOUR * limits.CODE_FACTOR
    statuses = [visitor.post(url("complaints:contact"), {"contact": f"06612345{n:02d}", "action": "send_code"},
                             HTTP_HX_REQUEST="true").status_code for n in range(allowed + 1)]
    assert statuses == [200] * (allowed + 1)  # htmx swaps only 200: the refusal is inside the fragment
    assert len(checks()) == allowed


def test_an_account_holder_is_limited_more_loosely(cworld: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(limits, "ACCOUNT_PER_HOUR", 5)
    citizen = host_client("sale.localhost")
    citizen.force_login(cworld.w.citizen_sale)
    for n in range(5):
        _page, key = open_form(citizen)
        response = citizen.post(url("complaints:new", kind="report"), report_data(cworld, key,
                                                                                   point=(34.0 + 0.01 * n, -6.85)))
        assert response.status_code == 302
    _page, key = open_form(citizen)
    refused = citizen.post(url("complaints:new", kind="report"), report_data(cworld, key, point=(34.09, -6.85)))
    assert refused.status_code == 429
    assert says(refused, "You filed many complaints in the last hour. Wait a little before filing another one, or "
                         "call the commune.")
    assert len(complaints()) == 5
