"""Who reaches which back-office page: every view against anonymous visitors, citizens, the other commune's staff,
roles without the right, and another commune's object ids."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from conftest import host_client, login_staff
from jamaa.core.models import Department, Membership

# (url name, path builder, roles allowed). Paths take the world so that object pages use Salé's own objects.
ADMIN_ONLY = ["staff", "staff_invite", "staff_detail", "departments", "department_create", "department_edit", "audit"]
ALL_VIEWS = ["dashboard", "overview", *ADMIN_ONLY]


def tr(message: str, language: str = "ar", **params: object) -> str:
    """`message` as a page in `language` shows it (escaped): unprefixed pages are Arabic, and the catalogues fall
    back to the English msgid until the translators' pass."""
    with translation.override(language):
        text = translation.gettext(message)
    return escape(text % params if params else text)


def path_for(name: str, world) -> str:
    agent_membership = Membership.all_communes.get(user=world.agent_sale)
    return {
        "dashboard": "/backoffice/",
        "overview": "/backoffice/overview/",
        "staff": "/backoffice/staff/",
        "staff_invite": "/backoffice/staff/invite/",
        "staff_detail": f"/backoffice/staff/{agent_membership.pk}/",
        "departments": "/backoffice/departments/",
        "department_create": "/backoffice/departments/new/",
        "department_edit": f"/backoffice/departments/{world.sale_etat_civil.pk}/",
        "audit": "/backoffice/audit/",
    }[name]


@pytest.mark.parametrize("name", [*ALL_VIEWS, "two_factor"])
def test_anonymous_visitors_are_sent_to_the_login_page(world, sale_client: Client, name: str):
    path = "/backoffice/2fa/" if name == "two_factor" else path_for(name, world)
    response = sale_client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("name", ALL_VIEWS)
def test_anonymous_posts_change_nothing_and_go_to_login(world, sale_client: Client, name: str):
    response = sale_client.post(path_for(name, world), {"action": "deactivate", "code": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Membership.all_communes.get(user=world.agent_sale).is_active


@pytest.mark.parametrize("name", [*ALL_VIEWS, "two_factor"])
def test_a_citizen_is_refused(world, sale_client: Client, name: str):
    sale_client.force_login(world.citizen_sale)
    path = "/backoffice/2fa/" if name == "two_factor" else path_for(name, world)
    response = sale_client.get(path)
    assert response.status_code == 403
    assert tr("This page is for the staff of this commune.") in response.content.decode()


@pytest.mark.parametrize("name", [*ALL_VIEWS, "two_factor"])
def test_temara_staff_are_refused_on_sales_site(world, sale_client: Client, name: str):
    login_staff(sale_client, world.admin_temara)
    path = "/backoffice/2fa/" if name == "two_factor" else path_for(name, world)
    assert sale_client.get(path).status_code == 403
    assert sale_client.post(path, {"action": "deactivate"}).status_code == 403
    assert Membership.all_communes.get(user=world.agent_sale).is_active


@pytest.mark.parametrize("name", ADMIN_ONLY)
@pytest.mark.parametrize("who", ["agent_sale", "head_sale", "leader_sale"])
def test_roles_other_than_administrator_cannot_reach_admin_pages(world, sale_client: Client, name: str, who: str):
    login_staff(sale_client, getattr(world, who))
    path = path_for(name, world)
    response = sale_client.get(path)
    assert response.status_code == 403
    assert tr("Your role does not give access to this page.") in response.content.decode()
    assert sale_client.post(path, {"action": "deactivate", "code": "new", "name_ar": "x", "name_fr": "x"}
                            ).status_code == 403
    assert Membership.all_communes.get(user=world.agent_sale).is_active
    assert not Department.all_communes.filter(code="new").exists()


@pytest.mark.parametrize("who", ["agent_sale", "head_sale"])
def test_agents_and_heads_do_not_see_the_overview(world, sale_client: Client, who: str):
    login_staff(sale_client, getattr(world, who))
    assert sale_client.get("/backoffice/overview/").status_code == 403


@pytest.mark.parametrize("who", ["agent_sale", "head_sale", "admin_sale", "leader_sale"])
def test_every_staff_role_reaches_the_dashboard(world, sale_client: Client, who: str):
    login_staff(sale_client, getattr(world, who))
    assert sale_client.get("/backoffice/").status_code == 200


@pytest.mark.parametrize("name", ["dashboard", "overview"])
def test_leadership_reaches_its_read_only_pages(world, sale_client: Client, name: str):
    login_staff(sale_client, world.leader_sale)
    assert sale_client.get(path_for(name, world)).status_code == 200


@pytest.mark.parametrize("name", ALL_VIEWS)
def test_the_administrator_reaches_every_page(world, sale_client: Client, name: str):
    login_staff(sale_client, world.admin_sale)
    assert sale_client.get(path_for(name, world)).status_code == 200


@pytest.mark.parametrize("name", ALL_VIEWS)
def test_staff_who_have_not_given_their_code_are_sent_to_two_factor(world, sale_client: Client, name: str):
    sale_client.force_login(world.admin_sale)
    path = path_for(name, world)
    response = sale_client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/2fa/?next=")


def test_another_communes_member_answers_404(world, sale_client: Client):
    login_staff(sale_client, world.admin_sale)
    temara_member = Membership.all_communes.get(user=world.agent_temara)
    assert sale_client.get(f"/backoffice/staff/{temara_member.pk}/").status_code == 404
    response = sale_client.post(f"/backoffice/staff/{temara_member.pk}/", {"action": "deactivate"})
    assert response.status_code == 404
    temara_member.refresh_from_db()
    assert temara_member.is_active


def test_another_communes_department_answers_404(world, sale_client: Client):
    login_staff(sale_client, world.admin_sale)
    pk = world.temara_etat_civil.pk
    assert sale_client.get(f"/backoffice/departments/{pk}/").status_code == 404
    response = sale_client.post(f"/backoffice/departments/{pk}/", {"code": "hacked", "name_ar": "x", "name_fr": "x"})
    assert response.status_code == 404
    world.temara_etat_civil.refresh_from_db()
    assert world.temara_etat_civil.code == "etat-civil"


def test_an_unknown_id_answers_404(world, sale_client: Client):
    login_staff(sale_client, world.admin_sale)
    assert sale_client.get("/backoffice/staff/999999/").status_code == 404
    assert sale_client.get("/backoffice/departments/999999/").status_code == 404


@pytest.mark.parametrize("name", ALL_VIEWS)
def test_back_office_pages_do_not_exist_on_the_national_landing_host(world, name: str):
    client = host_client("localhost")
    login_staff(client, world.admin_sale)
    assert client.get(path_for(name, world)).status_code == 404


def test_the_temara_administrator_works_on_temaras_own_site(world, temara_client: Client):
    login_staff(temara_client, world.admin_temara)
    response = temara_client.get("/backoffice/staff/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Laila Agent" in body
    assert "Karim Agent" not in body


def test_a_deactivated_member_of_staff_is_refused(world, sale_client: Client):
    membership = Membership.all_communes.get(user=world.agent_sale)
    Membership.all_communes.filter(pk=membership.pk).update(is_active=False)
    login_staff(sale_client, world.agent_sale)
    assert sale_client.get("/backoffice/").status_code == 403


def test_an_invited_member_who_has_not_accepted_is_refused(world, sale_client: Client):
    Membership.all_communes.filter(user=world.agent_sale).update(accepted_at=None)
    login_staff(sale_client, world.agent_sale)
    assert sale_client.get("/backoffice/").status_code == 403
