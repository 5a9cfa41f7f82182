"""The public API: each commune's endpoints answer for the commune of the Host header only (404 otherwise)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jamaa.api.api import api

pytestmark = pytest.mark.django_db

# Every operation of the API, with the path parameters filled in by the tests below. A new endpoint must be added
# here (and given tenancy tests), or test_every_endpoint_has_tenancy_tests fails.
COMMUNE_ENDPOINTS = {
    "/arrondissements": "list_arrondissements",
    "/arrondissements/{arrondissement_id}": "get_arrondissement",
    "/departments": "list_departments",
    "/departments/{department_id}": "get_department",
    # jamaa/api/tests covers these (tenancy, 401/404/422):
    "/categories": "list_categories",
    "/life-events": "list_life_events",
    "/procedures": "list_procedures",
    "/procedures/{slug}": "get_procedure",
    "/auth/token": "create_token",
    "/cases": {"list_cases", "submit_case"},
    "/cases/{reference}": "get_case",
    "/cases/{reference}/withdraw": "withdraw_case",
    "/cases/{reference}/messages": {"list_messages", "post_message"},
}
# Verification of documents answers the same on every host (a Témara act checked on Salé's site):
# jamaa/documents/tests/test_verify_api.py covers them.
NATIONAL_ENDPOINTS = {"/communes": "list_communes", "/verify": "verify_qr", "/verify/pdf": "verify_pdf"}


def test_every_endpoint_has_tenancy_tests():
    routes = {path.rstrip("/") or "/": {op.view_func.__name__ for op in router.operations}
              for _prefix, r in api._routers for path, router in r.path_operations.items()}
    assert routes == {path: {name} if isinstance(name, str) else name
                      for path, name in {**COMMUNE_ENDPOINTS, **NATIONAL_ENDPOINTS}.items()}


def _assert_json_404(response):
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"]


# --- the list of communes (national) ----------------------------------------------------------------------------


def test_the_communes_list_is_the_same_on_every_host(world, platform_client, sale_client):
    expected = [
        {"slug": "sale", "name_ar": "سلا", "name_fr": "Salé", "name_zgh": "ⵙⵍⴰ", "url": "http://sale.localhost/"},
        {"slug": "temara", "name_ar": "تمارة", "name_fr": "Témara", "name_zgh": "ⵜⵎⴰⵔⴰ",
         "url": "http://temara.localhost/"},
    ]
    assert platform_client.get("/api/v1/communes").json() == expected
    assert sale_client.get("/api/v1/communes").json() == expected


def test_a_commune_off_the_platform_is_not_listed(world, platform_client):
    world.temara.is_active = False
    world.temara.save()
    assert [c["slug"] for c in platform_client.get("/api/v1/communes").json()] == ["sale"]


# --- arrondissements ------------------------------------------------------------------------------------------------


def test_arrondissements_are_those_of_the_host_commune(world, sale_client, temara_client):
    names = [a["name_fr"] for a in sale_client.get("/api/v1/arrondissements").json()]
    assert names == ["Bab Lamrissa", "Bettana", "Hssaine", "Layayda", "Tabriquet"]
    assert temara_client.get("/api/v1/arrondissements").json() == []


def test_an_arrondissement_is_found_in_its_commune_only(world, sale_client, temara_client):
    bettana = sale_client.get("/api/v1/arrondissements").json()[1]
    assert sale_client.get(f"/api/v1/arrondissements/{bettana['id']}").json() == bettana
    _assert_json_404(temara_client.get(f"/api/v1/arrondissements/{bettana['id']}"))


def test_an_unknown_arrondissement_is_a_json_404(world, sale_client):
    _assert_json_404(sale_client.get("/api/v1/arrondissements/999999"))


# --- departments -----------------------------------------------------------------------------------------------------


def test_departments_are_those_of_the_host_commune(world, sale_client, temara_client):
    assert {d["code"] for d in sale_client.get("/api/v1/departments").json()} == {"etat-civil", "urbanisme"}
    assert [d["id"] for d in temara_client.get("/api/v1/departments").json()] == [world.temara_etat_civil.pk]


def test_another_communes_department_is_a_json_404(world, sale_client, temara_client):
    _assert_json_404(sale_client.get(f"/api/v1/departments/{world.temara_etat_civil.pk}"))
    _assert_json_404(temara_client.get(f"/api/v1/departments/{world.sale_etat_civil.pk}"))
    ok = temara_client.get(f"/api/v1/departments/{world.temara_etat_civil.pk}")
    assert ok.json() == {"id": world.temara_etat_civil.pk, "code": "etat-civil", "name_ar": "الحالة المدنية",
                         "name_fr": "État civil", "name_zgh": ""}


def test_a_deactivated_department_is_not_published(world, sale_client):
    world.sale_urbanisme.is_active = False
    world.sale_urbanisme.save()
    assert [d["code"] for d in sale_client.get("/api/v1/departments").json()] == ["etat-civil"]
    _assert_json_404(sale_client.get(f"/api/v1/departments/{world.sale_urbanisme.pk}"))


# --- the landing host and bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(p for p in COMMUNE_ENDPOINTS if not p.startswith(("/cases", "/auth"))))
def test_commune_endpoints_answer_404_on_the_platform_host(world, platform_client, path):
    department = str(world.sale_etat_civil.pk)
    url = "/api/v1" + path.replace("{arrondissement_id}", "1").replace("{department_id}", department).replace(
        "{slug}", "x")
    _assert_json_404(platform_client.get(url))


@pytest.mark.parametrize("path", ["/api/v1/departments/abc", "/api/v1/arrondissements/1.5",
                                  "/api/v1/departments/99999999999999999999999"])
def test_a_malformed_identifier_is_a_client_error_with_a_json_body(world, sale_client, path):
    response = Client(HTTP_HOST="sale.localhost", raise_request_exception=False).get(path)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")


def test_the_api_refuses_writes(world, sale_client):
    response = sale_client.post("/api/v1/departments", data={"code": "x"}, content_type="application/json")
    assert response.status_code == 405


def test_an_anonymous_visitor_and_another_communes_staff_see_only_public_data(world, sale_client):
    from conftest import login_staff

    anonymous = sale_client.get("/api/v1/departments").json()
    login_staff(sale_client, world.agent_temara)
    as_temara_staff = sale_client.get("/api/v1/departments").json()
    assert as_temara_staff == anonymous
    _assert_json_404(sale_client.get(f"/api/v1/departments/{world.temara_etat_civil.pk}"))


# --- the schema ---------------------------------------------------------------------------------------------------


def test_the_openapi_schema_is_served_and_lists_every_path(world, platform_client):
    response = platform_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Jamaa API"
    expected = {"/api/v1" + path for path in {**COMMUNE_ENDPOINTS, **NATIONAL_ENDPOINTS}}
    assert set(schema["paths"]) == expected
    assert "404" in schema["paths"]["/api/v1/departments/{department_id}"]["get"]["responses"]


def test_the_api_documentation_page_loads_its_assets_from_the_platform(world, platform_client):
    response = platform_client.get("/api/v1/docs")
    body = response.content.decode()
    assert response.status_code == 200
    # Served from our own static files: the Content Security Policy allows no CDN.
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assert "cdn." not in body
