"""Tenancy: the commune comes from the Host header, and commune-owned data never crosses communes by accident."""

from __future__ import annotations

import threading
import types

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.test import Client, override_settings
from django.urls import path

from jamaa.core import audit, tenancy
from jamaa.core.models import Arrondissement, AuditEvent, CommuneClosure, Department, Membership
from jamaa.core.tenancy import ScopeError

pytestmark = pytest.mark.django_db


# --- Host resolution ---------------------------------------------------------------------------------------------


def test_a_communes_host_shows_that_communes_site(world, sale_client, temara_client):
    sale_page = sale_client.get("/").content.decode()
    temara_page = temara_client.get("/").content.decode()
    assert "سلا" in sale_page and "تمارة" not in sale_page
    assert "تمارة" in temara_page and "سلا" not in temara_page


def test_the_host_may_carry_a_port(world):
    response = Client(HTTP_HOST="sale.localhost:8000").get("/")
    assert response.status_code == 200
    assert response.wsgi_request.commune == world.sale


def test_host_names_are_matched_without_regard_to_case(world):
    response = Client(HTTP_HOST="Temara.LocalHost").get("/")
    assert response.wsgi_request.commune == world.temara


def test_an_unknown_but_allowed_host_shows_the_national_landing_page(world):
    response = Client(HTTP_HOST="nowhere.localhost").get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert response.wsgi_request.commune is None
    # Both communes are listed, with links to their own sites.
    assert "سلا" in body and "تمارة" in body
    assert 'href="http://sale.localhost/"' in body
    assert 'href="http://temara.localhost/"' in body


def test_the_platform_host_shows_the_landing_page_in_french_too(world, platform_client):
    response = platform_client.get("/fr/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'lang="fr"' in body
    assert "Salé" in body and "Témara" in body


def test_a_commune_taken_off_the_platform_is_no_longer_served_or_listed(world, temara_client, platform_client):
    world.temara.is_active = False
    world.temara.save()
    response = temara_client.get("/")
    assert response.wsgi_request.commune is None
    assert "تمارة" not in platform_client.get("/").content.decode()


@pytest.mark.parametrize("host", ["evil.example.com", "sale.localhost.evil.example.com", "sale localhost",
                                  "sale.localhost:notaport"])
def test_a_host_outside_allowed_hosts_gets_400_not_500(world, host):
    client = Client(HTTP_HOST=host, raise_request_exception=False)
    response = client.get("/")
    assert response.status_code == 400
    response = client.get("/api/v1/departments")
    assert response.status_code == 400


def test_commune_pages_do_not_exist_on_the_landing_host(world, platform_client):
    # The API's commune endpoints are covered in test_api; pages answer 404 the same way.
    response = platform_client.get("/accounts/profile/")
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert platform_client.get(response["Location"]).status_code == 404


# --- scoped managers ---------------------------------------------------------------------------------------------


def test_querying_a_commune_owned_model_outside_any_scope_raises(world):
    for model in (Arrondissement, Department, Membership, CommuneClosure, AuditEvent):
        with pytest.raises(ScopeError):
            model.objects.count()  # type: ignore[attr-defined]


def test_inside_a_communes_scope_another_communes_rows_are_invisible(world):
    with tenancy.scope(world.sale):
        departments = set(Department.objects.values_list("commune__slug", flat=True))
        assert departments == {"sale"}
        assert Arrondissement.objects.count() == 5
        with pytest.raises(Department.DoesNotExist):
            Department.objects.get(pk=world.temara_etat_civil.pk)
        staff = set(Membership.objects.values_list("user__username", flat=True))
        assert "agent@temara.example.ma" not in staff
        assert "agent@sale.example.ma" in staff
    with tenancy.scope(world.temara):
        assert Arrondissement.objects.count() == 0
        assert list(Department.objects.all()) == [world.temara_etat_civil]


def test_the_landing_scope_sees_no_commune_rows(world):
    with tenancy.scope(None):
        assert Department.objects.count() == 0
        assert Membership.objects.count() == 0


def test_unscoped_and_all_communes_see_every_commune(world):
    with tenancy.unscoped():
        assert set(Department.objects.values_list("commune__slug", flat=True)) == {"sale", "temara"}
    with tenancy.scope(world.sale):
        # The explicit crossing works whatever scope is active.
        assert Department.all_communes.filter(commune=world.temara).count() == 1


def test_scopes_nest_and_are_restored(world):
    with tenancy.scope(world.sale):
        with tenancy.scope(world.temara):
            assert tenancy.get_current_commune() == world.temara
        with tenancy.unscoped():
            assert tenancy.get_current_commune() is None
            assert Department.objects.count() == 3
        assert tenancy.get_current_commune() == world.sale
    with pytest.raises(ScopeError):
        Department.objects.count()


def test_a_new_thread_does_not_inherit_a_scope(world):
    errors: list[BaseException] = []

    def query() -> None:
        try:
            Department.objects.count()
        except BaseException as exc:  # noqa: BLE001 - the assertion is on the exception type
            errors.append(exc)

    with tenancy.scope(world.sale):
        thread = threading.Thread(target=query)
        thread.start()
        thread.join()
    assert len(errors) == 1 and isinstance(errors[0], ScopeError)


def _probe(request):
    """What a view sees: the active commune and the departments its scoped manager returns."""
    return JsonResponse({
        "commune": getattr(tenancy.get_current_commune(), "slug", None),
        "departments": sorted(Department.objects.values_list("code", flat=True)),
    })


probe_urls = types.ModuleType("probe_urls")
probe_urls.urlpatterns = [path("probe", _probe)]  # type: ignore[attr-defined]


@override_settings(ROOT_URLCONF=probe_urls)
def test_a_request_is_scoped_to_its_host_commune_and_only_for_its_duration(world, sale_client, platform_client):
    assert sale_client.get("/probe").json() == {"commune": "sale", "departments": ["etat-civil", "urbanisme"]}
    assert platform_client.get("/probe").json() == {"commune": None, "departments": []}
    with pytest.raises(ScopeError):
        Department.objects.count()


# --- the audit log is append-only -----------------------------------------------------------------------------------


def _event(world) -> AuditEvent:
    return audit.record(action="test.event", commune=world.sale, actor=world.admin_sale, target=world.sale_etat_civil,
                        details={"n": 1})


def test_an_audit_event_cannot_be_changed_or_deleted_through_the_orm(world):
    event = _event(world)
    event.action = "test.forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.all_communes.filter(pk=event.pk).update(action="test.forged")
    with pytest.raises(PermissionError):
        AuditEvent.all_communes.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.all_communes.bulk_update([event], ["action"])
    with tenancy.scope(world.sale), pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="test.forged")
    assert AuditEvent.all_communes.get(pk=event.pk).action == "test.event"


def test_the_database_refuses_an_sql_update_of_the_audit_log(world):
    event = _event(world)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = %s WHERE id = %s", ["test.forged", event.pk])
    assert AuditEvent.all_communes.get(pk=event.pk).action == "test.event"


def test_new_audit_events_are_still_appended(world):
    before = AuditEvent.all_communes.count()
    _event(world)
    _event(world)
    assert AuditEvent.all_communes.count() == before + 2
