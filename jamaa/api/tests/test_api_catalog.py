"""The catalogue API: a commune's published procedures only, with the commune's deadline and fees."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_communes_adopted_procedures_with_its_deadline_and_fees(procedures, sale_client):
    response = sale_client.get("/api/v1/procedures")
    assert response.status_code == 200
    body = response.json()
    assert [p["slug"] for p in body] == ["residence-certificate", "building-permit"]
    residence = body[0]
    assert residence["name_fr"] == "Certificat de résidence"
    assert residence["name_ar"] == "شهادة السكنى"
    assert residence["category"] == {"slug": "etat-civil", "name_ar": "الحالة المدنية", "name_fr": "État civil",
                                     "name_zgh": ""}
    assert [e["slug"] for e in residence["life_events"]] == ["demenagement"]
    assert residence["channel"] == "both"
    assert residence["fees_mad"] == "20.00"
    assert residence["deadline"] == {"amount": 5, "unit": "working"}
    assert residence["legal_deadline"] == {"amount": 10, "unit": "working"}
    assert residence["silence_means_approval"] is False
    assert residence["act_kind"] == "residence_certificate"
    assert residence["department"]["code"] == "etat-civil"
    building = body[1]
    assert building["fees_mad"] == "100.00"  # the catalogue's fees when the commune sets none
    assert building["deadline"] == {"amount": 30, "unit": "calendar"}
    assert building["silence_means_approval"] is True


def test_another_commune_lists_only_its_own_adoptions(procedures, temara_client):
    body = temara_client.get("/api/v1/procedures").json()
    assert [p["slug"] for p in body] == ["residence-certificate"]
    assert body[0]["deadline"] == {"amount": 10, "unit": "working"}
    assert body[0]["fees_mad"] == "0.00"


def test_an_unpublished_adoption_or_a_procedure_off_the_catalogue_is_not_listed(procedures, sale_client):
    from jamaa.catalog.models import CommuneProcedure, Procedure

    CommuneProcedure.all_communes.filter(pk=procedures.sale_building.pk).update(is_published=False)
    assert [p["slug"] for p in sale_client.get("/api/v1/procedures").json()] == ["residence-certificate"]
    assert sale_client.get("/api/v1/procedures/building-permit").status_code == 404
    Procedure.objects.filter(pk=procedures.residence.pk).update(is_active=False)
    assert sale_client.get("/api/v1/procedures").json() == []


def test_the_list_filters_by_category_and_life_event(procedures, sale_client):
    assert [p["slug"] for p in sale_client.get("/api/v1/procedures?category=urbanisme").json()] == ["building-permit"]
    assert [p["slug"] for p in sale_client.get("/api/v1/procedures?event=demenagement").json()] == [
        "residence-certificate"]
    assert sale_client.get("/api/v1/procedures?category=nothing").json() == []


def test_the_list_costs_the_same_queries_for_one_procedure_or_many(world, procedures, sale_client):
    from jamaa.catalog.models import CommuneProcedure, Procedure

    CommuneProcedure.all_communes.filter(pk=procedures.sale_building.pk).delete()
    with CaptureQueriesContext(connection) as one:
        assert len(sale_client.get("/api/v1/procedures").json()) == 1
    for i in range(5):
        extra = Procedure.objects.create(
            slug=f"extra-{i}", name_ar="إجراء", name_fr=f"Extra {i}", description_ar="-", description_fr="-",
            category=procedures.residence.category, legal_basis_ar="-", legal_basis_fr="-", deadline_amount=5,
            department_code="etat-civil")
        extra.life_events.set(procedures.residence.life_events.all())
        CommuneProcedure.all_communes.create(commune=world.sale, procedure=extra, department=world.sale_etat_civil)
    with CaptureQueriesContext(connection) as many:
        assert len(sale_client.get("/api/v1/procedures").json()) == 6
    assert len(many) == len(one)


def test_a_procedure_page_has_everything_law_55_19_requires(procedures, sale_client):
    response = sale_client.get("/api/v1/procedures/residence-certificate")
    assert response.status_code == 200
    body = response.json()
    assert body["description_fr"] == "Atteste le lieu de résidence du demandeur."
    assert body["legal_basis_fr"] == "Loi 55-19 relative à la simplification"
    assert body["instructions_fr"] == "Présentez votre CIN au retrait."
    assert body["deadline"] == {"amount": 5, "unit": "working"}
    assert body["documents"] == [
        {"code": "proof", "name_ar": "إثبات السكن", "name_fr": "Justificatif de domicile", "name_zgh": "",
         "help_ar": "", "help_fr": "", "help_zgh": "", "required": True, "file_field": "doc__proof"},
        {"code": "lease", "name_ar": "عقد الكراء", "name_fr": "Contrat de bail", "name_zgh": "",
         "help_ar": "", "help_fr": "", "help_zgh": "", "required": False, "file_field": "doc__lease"},
    ]
    assert [field["name"] for field in body["form"]][:3] == ["arrondissement", "address", "cin"]


@pytest.mark.parametrize("slug", ["life-certificate", "no-such-procedure"])
def test_a_procedure_the_commune_has_not_adopted_does_not_exist(procedures, sale_client, slug):
    response = sale_client.get(f"/api/v1/procedures/{slug}")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_procedure_only_another_commune_adopted_does_not_exist_here(world, procedures, temara_client):
    assert temara_client.get("/api/v1/procedures/building-permit").status_code == 404
    assert temara_client.get("/api/v1/procedures/residence-certificate").json()["instructions_fr"] == ""


@pytest.mark.parametrize("path", ["/api/v1/procedures", "/api/v1/procedures/residence-certificate"])
def test_the_catalogue_is_not_served_on_the_landing_host(procedures, platform_client, path):
    response = platform_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_malformed_slug_is_a_422_with_errors_by_field(procedures, sale_client):
    response = sale_client.get("/api/v1/procedures/bad%00slug")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"slug"}


def test_categories_and_life_events_are_those_of_the_communes_procedures(procedures, sale_client, temara_client):
    assert [c["slug"] for c in sale_client.get("/api/v1/categories").json()] == ["etat-civil", "urbanisme"]
    assert [c["slug"] for c in temara_client.get("/api/v1/categories").json()] == ["etat-civil"]
    assert sale_client.get("/api/v1/life-events").json() == [
        {"slug": "demenagement", "name_ar": "الانتقال إلى سكن جديد", "name_fr": "Déménagement", "name_zgh": ""}]


@pytest.mark.parametrize("path", ["/api/v1/categories", "/api/v1/life-events"])
def test_category_lists_are_not_served_on_the_landing_host(procedures, platform_client, path):
    assert platform_client.get(path).status_code == 404
