"""The commune's departments, managed by its administrator in the back office."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from conftest import login_staff
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent, Department, Membership, Role, User


def tr(message: str, language: str = "ar", **params: object) -> str:
    """`message` as a page in `language` shows it (escaped): unprefixed pages are Arabic, and the catalogues fall
    back to the English msgid until the translators' pass."""
    with translation.override(language):
        text = translation.gettext(message)
    return escape(text % params if params else text)


HAS_MEMBERS = "Staff still work in this department: move or deactivate them first, then deactivate it."


@pytest.fixture
def admin_client(world, sale_client: Client) -> Client:
    return login_staff(sale_client, world.admin_sale)


def form_data(**overrides) -> dict:
    data = {"code": "voirie", "name_ar": "الطرق", "name_fr": "Voirie", "name_zgh": "ⴰⴱⵔⵉⴷ", "email": "voirie@sale.ma",
            "phone": "+212537111111", "is_active": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_list_shows_the_communes_departments_with_their_staff_count(world, admin_client):
    response = admin_client.get("/backoffice/departments/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "etat-civil" in body and "urbanisme" in body
    assert f"/backoffice/departments/{world.sale_etat_civil.pk}/" in body
    assert f"/backoffice/departments/{world.temara_etat_civil.pk}/" not in body
    # État civil has an agent and a head of department.
    row = body.split(f"/backoffice/departments/{world.sale_etat_civil.pk}/", 1)[1].split("</tr>", 1)[0]
    assert "<bdi>2</bdi>" in row


def test_creating_a_department(world, admin_client):
    response = admin_client.post("/backoffice/departments/new/", form_data(), follow=True)
    department = Department.all_communes.get(commune=world.sale, code="voirie")
    assert tr("The department %(name)s was created.", name="الطرق") in response.content.decode()
    assert (department.name_ar, department.name_fr, department.name_zgh) == ("الطرق", "Voirie", "ⴰⴱⵔⵉⴷ")
    assert department.email == "voirie@sale.ma"
    assert department.is_active
    event = AuditEvent.all_communes.get(action="department.created")
    assert event.commune == world.sale and event.actor == world.admin_sale
    assert event.target_id == str(department.pk)


def test_a_duplicate_code_is_a_form_error_that_keeps_what_was_typed(world, admin_client):
    response = admin_client.post("/backoffice/departments/new/", form_data(code="etat-civil", name_fr="Doublon"))
    body = response.content.decode()
    assert response.status_code == 200
    assert tr("Another department of this commune already uses this code.") in body
    assert 'value="Doublon"' in body
    assert Department.all_communes.filter(commune=world.sale, code="etat-civil").count() == 1


def test_the_same_code_may_exist_in_another_commune(world, admin_client):
    with tenancy.unscoped():
        Department.all_communes.create(commune=world.temara, code="voirie", name_ar="الطرق", name_fr="Voirie")
    response = admin_client.post("/backoffice/departments/new/", form_data())
    assert response.status_code == 302
    assert Department.all_communes.filter(code="voirie").count() == 2


@pytest.mark.parametrize(("overrides", "field"), [
    ({"code": ""}, "code"),
    ({"code": "Not a slug!"}, "code"),
    ({"name_fr": ""}, "name_fr"),
    ({"name_ar": ""}, "name_ar"),
    ({"email": "not-an-address"}, "email"),
    ({"code": "x" * 300}, "code"),
])
def test_bad_input_is_refused_next_to_the_field(world, admin_client, overrides, field):
    response = admin_client.post("/backoffice/departments/new/", form_data(**overrides))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in body
    assert not Department.all_communes.filter(name_fr="Voirie").exists()


def test_editing_a_department(world, admin_client):
    pk = world.sale_urbanisme.pk
    page = admin_client.get(f"/backoffice/departments/{pk}/")
    assert 'value="urbanisme"' in page.content.decode()
    response = admin_client.post(f"/backoffice/departments/{pk}/", form_data(
        code="urbanisme", name_ar="التعمير", name_fr="Urbanisme et habitat", email="", phone="",
    ))
    assert response.status_code == 302
    world.sale_urbanisme.refresh_from_db()
    assert world.sale_urbanisme.name_fr == "Urbanisme et habitat"
    event = AuditEvent.all_communes.get(action="department.updated")
    assert set(event.details["changed"]) == {"name_fr", "name_zgh"}


def test_saving_without_change_writes_no_event(world, admin_client):
    d = world.sale_urbanisme
    admin_client.post(f"/backoffice/departments/{d.pk}/", form_data(
        code=d.code, name_ar=d.name_ar, name_fr=d.name_fr, name_zgh="", email="", phone="",
    ))
    assert not AuditEvent.all_communes.filter(action="department.updated").exists()


def test_renaming_a_code_to_a_used_one_is_refused(world, admin_client):
    response = admin_client.post(f"/backoffice/departments/{world.sale_urbanisme.pk}/",
                                 form_data(code="etat-civil", name_fr="Urbanisme"))
    assert tr("Another department of this commune already uses this code.") in response.content.decode()
    world.sale_urbanisme.refresh_from_db()
    assert world.sale_urbanisme.code == "urbanisme"


def test_a_department_with_active_staff_cannot_be_deactivated(world, admin_client):
    pk = world.sale_etat_civil.pk
    response = admin_client.post(f"/backoffice/departments/{pk}/",
                                 form_data(code="etat-civil", name_fr="État civil", is_active=None))
    assert response.status_code == 200
    assert tr(HAS_MEMBERS) in response.content.decode()
    world.sale_etat_civil.refresh_from_db()
    assert world.sale_etat_civil.is_active


def test_a_department_without_active_staff_can_be_deactivated(world, admin_client):
    Membership.all_communes.filter(department=world.sale_etat_civil).update(is_active=False)
    response = admin_client.post(f"/backoffice/departments/{world.sale_etat_civil.pk}/",
                                 form_data(code="etat-civil", name_fr="État civil", is_active=None))
    assert response.status_code == 302
    world.sale_etat_civil.refresh_from_db()
    assert not world.sale_etat_civil.is_active
    listing = admin_client.get("/backoffice/departments/").content.decode()
    assert "badge--neutral" in listing


def test_an_inactive_department_is_not_offered_for_invitations(world, admin_client):
    with tenancy.unscoped():
        Department.all_communes.filter(pk=world.sale_urbanisme.pk).update(is_active=False)
    body = admin_client.get("/backoffice/staff/invite/").content.decode()
    assert f'value="{world.sale_urbanisme.pk}"' not in body
    assert f'value="{world.sale_etat_civil.pk}"' in body


def test_a_member_in_a_deactivated_department_keeps_it_in_the_role_form(world, admin_client):
    with tenancy.unscoped():
        user = User.objects.create_user("old@sale.example.ma", None, full_name="Old Timer")
        member = Membership.all_communes.create(commune=world.sale, user=user, role=Role.AGENT,
                                                department=world.sale_urbanisme, accepted_at=timezone.now(),
                                                is_active=False)
        Department.all_communes.filter(pk=world.sale_urbanisme.pk).update(is_active=False)
    body = admin_client.get(f"/backoffice/staff/{member.pk}/").content.decode()
    assert f'<option value="{world.sale_urbanisme.pk}" selected>' in body
    response = admin_client.post(f"/backoffice/staff/{member.pk}/", {"action": "reactivate"}, follow=True)
    assert tr("Their department is deactivated: reactivate the department first, or change their role or "
              "department.") in response.content.decode()
