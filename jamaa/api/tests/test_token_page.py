"""The citizen's API tokens page: a new token is shown once, then only its first characters; revoking one stops it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from jamaa.api.models import ApiToken
from jamaa.api.services import MAX_ACTIVE_TOKENS
from jamaa.api.tests.conftest import bearer_client, new_token
from jamaa.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _url() -> str:
    with translation.override("ar"):
        return reverse("api_tokens")


def test_the_page_asks_an_anonymous_visitor_to_log_in(world, sale_client):
    response = sale_client.get(_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_does_not_exist_on_the_landing_host(world, platform_client):
    platform_client.force_login(world.citizen_sale)
    assert platform_client.get(_url()).status_code == 404


def test_a_new_token_is_shown_once_and_works(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    response = sale_client.post(_url(), {"action": "create", "name": "Mon application", "lifetime": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    raw = response.context["secret"]
    assert raw.startswith("jamaa_")
    assert raw in response.content.decode()
    token = ApiToken.objects.get(user=world.citizen_sale)
    assert token.name == "Mon application"
    assert (token.expires_at - token.created_at).days == 30
    assert AuditEvent.all_communes.filter(action="api_token.created", actor=world.citizen_sale).exists()
    # Shown once: the page afterwards lists the token by its first characters only.
    again = sale_client.get(_url()).content.decode()
    assert raw not in again
    assert token.prefix in again
    assert bearer_client("sale.localhost", raw).get("/api/v1/cases").status_code == 200


def test_a_token_needs_a_name(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    response = sale_client.post(_url(), {"action": "create", "name": " ", "lifetime": "90"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_a_citizen_revokes_a_token_and_it_stops_working(world, sale_client):
    raw = new_token(world.citizen_sale)
    token = ApiToken.objects.get()
    sale_client.force_login(world.citizen_sale)
    response = sale_client.post(_url(), {"action": "revoke", "token": token.pk})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked
    assert bearer_client("sale.localhost", raw).get("/api/v1/cases").status_code == 401
    assert AuditEvent.all_communes.filter(action="api_token.revoked").count() == 1


@pytest.mark.parametrize("value", ["other", "nope", ""])
def test_a_citizen_cannot_revoke_someone_elses_token(world, sale_client, value):
    new_token(world.citizen_temara)
    other = ApiToken.objects.get()
    sale_client.force_login(world.citizen_sale)
    response = sale_client.post(_url(), {"action": "revoke", "token": other.pk if value == "other" else value})
    assert response.status_code == 404
    other.refresh_from_db()
    assert not other.revoked


def test_the_number_of_active_tokens_is_limited(world, sale_client):
    for _ in range(MAX_ACTIVE_TOKENS):
        new_token(world.citizen_sale)
    sale_client.force_login(world.citizen_sale)
    response = sale_client.post(_url(), {"action": "create", "name": "One more", "lifetime": "30"})
    assert response.context["form"].non_field_errors()
    assert ApiToken.objects.count() == MAX_ACTIVE_TOKENS


def test_the_list_costs_the_same_queries_for_one_token_or_many(world, sale_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    new_token(world.citizen_sale)
    sale_client.force_login(world.citizen_sale)
    with CaptureQueriesContext(connection) as one:
        sale_client.get(_url())
    for _ in range(5):
        new_token(world.citizen_sale)
    with CaptureQueriesContext(connection) as many:
        sale_client.get(_url())
    assert len(many) == len(one)
