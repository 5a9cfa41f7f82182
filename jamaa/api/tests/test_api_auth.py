"""Tokens: POST /auth/token (password, throttled like the login page) and `Authorization: Bearer` on the
citizen's endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jamaa.api.models import ApiToken
from jamaa.api.services import hash_token
from jamaa.api.tests.conftest import bearer_client, new_token

pytestmark = pytest.mark.django_db


def _ask(client: Client, username: str, password: str, **extra) -> object:
    return client.post("/api/v1/auth/token", {"username": username, "password": password, **extra},
                       content_type="application/json")


def test_a_citizen_gets_a_token_with_their_password_and_it_works(world, sale_client):
    response = _ask(sale_client, "0612345678", world.password, name="Mon app")
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["name"] == "Mon app"
    assert body["token"].startswith("jamaa_")
    stored = ApiToken.objects.get(user=world.citizen_sale)
    # Only a fingerprint is kept, never the token.
    assert stored.key_hash == hash_token(body["token"])
    assert body["token"] not in {stored.key_hash, stored.prefix}
    assert stored.expires_at > timezone.now() + dt.timedelta(days=80)
    api = bearer_client("sale.localhost", body["token"])
    assert api.get("/api/v1/cases").status_code == 200


def test_the_identifier_can_be_typed_in_any_usual_form(world, sale_client):
    assert _ask(sale_client, "+212 6 12 34 56 78", world.password).status_code == 201
    assert _ask(sale_client, "YOUSSEF@example.ma", world.password).status_code == 201


@pytest.mark.parametrize(("username", "password"), [
    ("0612345678", "wrong-password"), ("0699999999", "Correct-Horse-2026"), ("", ""),
])
def test_wrong_credentials_are_a_401(world, sale_client, username, password):
    response = _ask(sale_client, username, password)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_failed_attempts_lock_the_account_like_the_login_page(world, sale_client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    statuses = [_ask(sale_client, "0612345678", "wrong-password").status_code for _ in range(3)]
    assert statuses[:2] == [401, 401]
    assert statuses[2] == 429
    # Locked: even the right password is refused, with a JSON answer.
    response = _ask(sale_client, "0612345678", world.password)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert not ApiToken.objects.exists()
    # The login page counts the same failures.
    page = sale_client.post("/accounts/login/", {"username": "0612345678", "password": world.password})
    assert page.status_code == 429


def test_a_deactivated_account_gets_no_token(world, sale_client):
    world.citizen_sale.is_active = False
    world.citizen_sale.save()
    assert _ask(sale_client, "0612345678", world.password).status_code == 403


def test_an_unconfirmed_account_gets_no_token(world, sale_client):
    world.citizen_sale.contact_verified = False
    world.citizen_sale.save()
    assert _ask(sale_client, "0612345678", world.password).status_code == 403


def test_the_token_endpoint_is_not_served_on_the_landing_host(world, platform_client):
    assert _ask(platform_client, "0612345678", world.password).status_code == 404


def test_a_missing_field_is_a_422_with_errors_by_field(world, sale_client):
    response = sale_client.post("/api/v1/auth/token", {"username": "0612345678"}, content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"password"}


# --- Bearer tokens ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer jamaa_not-a-token", "Basic abc", "Token x"])
def test_no_token_or_a_bad_token_is_a_401(world, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = Client(HTTP_HOST="sale.localhost", **extra).get("/api/v1/cases")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_a_revoked_token_no_longer_works(world):
    raw = new_token(world.citizen_sale)
    ApiToken.objects.update(revoked_at=timezone.now())
    assert bearer_client("sale.localhost", raw).get("/api/v1/cases").status_code == 401


def test_an_expired_token_no_longer_works(world):
    raw = new_token(world.citizen_sale)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer_client("sale.localhost", raw).get("/api/v1/cases").status_code == 401


def test_a_deactivated_accounts_token_no_longer_works(world):
    raw = new_token(world.citizen_sale)
    world.citizen_sale.is_active = False
    world.citizen_sale.save()
    assert bearer_client("sale.localhost", raw).get("/api/v1/cases").status_code == 401


def test_a_session_cookie_is_not_a_token(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    assert sale_client.get("/api/v1/cases").status_code == 401


def test_the_last_use_is_recorded_without_a_write_per_request(world):
    raw = new_token(world.citizen_sale)
    api = bearer_client("sale.localhost", raw)
    api.get("/api/v1/cases")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api.get("/api/v1/cases")
    assert ApiToken.objects.get().last_used_at == first


def test_a_citizens_token_works_on_every_communes_host(world):
    raw = new_token(world.citizen_sale)
    assert bearer_client("temara.localhost", raw).get("/api/v1/cases").json() == {"items": [], "next": None}
