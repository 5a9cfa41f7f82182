"""The Django admin is for platform operators (password + TOTP), works across communes, and never shows a CIN."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import login_staff
from jamaa.core import audit
from jamaa.core.models import Arrondissement, AuditEvent, Commune, CommuneClosure, Department, Membership, Role, User
from jamaa.core.tests.test_demo import rfc6238


def in_admin_language(message: str) -> str:
    """The admin is not under a language prefix, so it speaks the default language (Arabic)."""
    from django.utils import translation
    from django.utils.html import escape

    with translation.override("ar"):
        return escape(translation.gettext(message))

pytestmark = pytest.mark.django_db

CHANGELISTS = ["commune", "department", "membership", "user", "auditevent", "communeclosure", "holidayoverride"]


@pytest.fixture
def operator(world) -> User:
    user = User.objects.create_superuser("ops@jamaa.example.ma", world.password, full_name="Platform Operator")
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def admin_client(platform_client, operator) -> Client:
    return login_staff(platform_client, operator)


# --- who may enter --------------------------------------------------------------------------------------------


def test_an_operator_logs_in_with_password_and_totp_code(world, operator):
    client = Client(HTTP_HOST="localhost")
    device = TOTPDevice.objects.get(user=operator)
    code = f"{TOTP(device.bin_key).token():06d}"
    response = client.post("/admin/login/?next=/admin/", {
        "username": operator.username, "password": world.password, "otp_token": code,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert client.get("/admin/").status_code == 200


def test_a_password_without_the_totp_code_is_not_enough(world, operator):
    client = Client(HTTP_HOST="localhost")
    response = client.post("/admin/login/?next=/admin/", {
        "username": operator.username, "password": world.password, "otp_token": "",
    })
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
    client.force_login(operator)  # a session without the second factor
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("who", ["admin_sale", "citizen_temara"])
def test_commune_staff_and_citizens_cannot_enter(world, platform_client, who):
    user = getattr(world, who)
    if TOTPDevice.objects.filter(user=user).exists():
        login_staff(platform_client, user)
    else:
        platform_client.force_login(user)
    response = platform_client.get("/admin/core/department/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_anonymous_visitor_is_sent_to_the_login_page(world, platform_client):
    response = platform_client.get("/admin/core/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- across communes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CHANGELISTS)
def test_every_changelist_opens(world, admin_client, model):
    assert admin_client.get(f"/admin/core/{model}/").status_code == 200


@pytest.mark.parametrize("host", ["localhost", "sale.localhost"])
def test_the_admin_shows_every_communes_rows_whatever_the_host(world, operator, host):
    client = login_staff(Client(HTTP_HOST=host), operator)
    body = client.get("/admin/core/department/").content.decode()
    assert body.count("État civil") >= 2  # Salé's and Témara's
    body = client.get("/admin/core/membership/").content.decode()
    assert "Laila Agent" in body and "Karim Agent" in body


def test_the_commune_page_edits_hosts_and_arrondissements_inline(world, admin_client):
    body = admin_client.get(f"/admin/core/commune/{world.sale.pk}/change/").content.decode()
    assert "sale.localhost" in body
    assert "Bab Lamrissa" in body and "Tabriquet" in body


def test_an_operator_adds_a_commune_with_its_host(world, admin_client):
    response = admin_client.post("/admin/core/commune/add/", {
        "slug": "rabat", "code": "RAB", "is_active": "on", "name_ar": "الرباط", "name_fr": "Rabat", "name_zgh": "",
        "address_ar": "", "address_fr": "", "phone": "", "email": "", "website": "",
        "primary_colour": "#12355b", "accent_colour": "#b8860b",
        "hosts-TOTAL_FORMS": "1", "hosts-INITIAL_FORMS": "0", "hosts-0-host": "Rabat.Localhost",
        "hosts-0-is_primary": "on",
        "arrondissements-TOTAL_FORMS": "0", "arrondissements-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    rabat = Commune.objects.get(slug="rabat")
    assert rabat.primary_host == "rabat.localhost"
    assert Client(HTTP_HOST="rabat.localhost").get("/").wsgi_request.commune == rabat
    event = AuditEvent.all_communes.get(action="admin.commune_added")
    assert event.commune == rabat and event.actor.username == "ops@jamaa.example.ma"


def test_an_operator_makes_someone_the_first_administrator_of_a_commune(world, admin_client):
    response = admin_client.post("/admin/core/membership/add/", {
        "commune": world.temara.pk, "user": world.citizen_temara.pk, "role": Role.ADMIN, "department": "",
        "is_active": "on", "accepted_at_0": "2026-11-27", "accepted_at_1": "10:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    membership = Membership.all_communes.get(user=world.citizen_temara)
    assert (membership.commune, membership.role) == (world.temara, Role.ADMIN)
    assert AuditEvent.all_communes.filter(action="admin.membership_added", commune=world.temara).exists()


def test_a_membership_cannot_take_another_communes_department(world, admin_client):
    membership = Membership.all_communes.get(user=world.agent_sale)
    response = admin_client.post(f"/admin/core/membership/{membership.pk}/change/", {
        "commune": world.sale.pk, "user": world.agent_sale.pk, "role": Role.AGENT,
        "department": world.temara_etat_civil.pk, "is_active": "on",
        "accepted_at_0": "2026-11-27", "accepted_at_1": "10:00:00",
    })
    assert response.status_code == 200
    assert in_admin_language("This department belongs to another commune.") in response.content.decode()
    membership.refresh_from_db()
    assert membership.department == world.sale_etat_civil


def test_deactivating_a_membership_ends_the_persons_sessions(world, admin_client):
    membership = Membership.all_communes.get(user=world.agent_sale)
    before = world.agent_sale.session_version
    response = admin_client.post(f"/admin/core/membership/{membership.pk}/change/", {
        "commune": world.sale.pk, "user": world.agent_sale.pk, "role": Role.AGENT,
        "department": world.sale_etat_civil.pk, "is_active": "",
        "accepted_at_0": "2026-11-27", "accepted_at_1": "10:00:00",
    })
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active and membership.deactivated_at is not None
    assert User.objects.get(pk=world.agent_sale.pk).session_version == before + 1


def test_changing_a_department_is_audited_with_field_names_only(world, admin_client):
    department = world.sale_urbanisme
    response = admin_client.post(f"/admin/core/department/{department.pk}/change/", {
        "commune": world.sale.pk, "code": "urbanisme", "name_ar": "التعمير", "name_fr": "Urbanisme et habitat",
        "name_zgh": "", "email": "", "phone": "", "is_active": "on",
    })
    assert response.status_code == 302
    event = AuditEvent.all_communes.get(action="admin.department_changed")
    assert event.commune == world.sale
    assert event.details == {"changes": [{"changed": {"fields": ["Name (French)"]}}]}


def test_closures_of_every_commune_are_listed(world, admin_client):
    CommuneClosure.all_communes.create(commune=world.temara, start_date="2026-12-24", end_date="2026-12-24",
                                       reason_ar="جرد", reason_fr="Inventaire annuel")
    assert "Inventaire annuel" in admin_client.get("/admin/core/communeclosure/").content.decode()


def test_arrondissements_are_not_shared_between_communes_in_the_inline(world, admin_client):
    body = admin_client.get(f"/admin/core/commune/{world.temara.pk}/change/").content.decode()
    assert "Bab Lamrissa" not in body
    assert Arrondissement.all_communes.filter(commune=world.temara).count() == 0


# --- users and the CIN ------------------------------------------------------------------------------------------


def test_the_cin_is_never_shown_in_clear(world, admin_client):
    citizen = world.citizen_sale
    citizen.cin = "QZ908172"
    citizen.save()
    listing = admin_client.get("/admin/core/user/").content.decode()
    page = admin_client.get(f"/admin/core/user/{citizen.pk}/change/").content.decode()
    history = admin_client.get(f"/admin/core/user/{citizen.pk}/history/").content.decode()
    for body in (listing, page, history):
        assert "908172" not in body
    assert "QZ••••72" in listing and "QZ••••72" in page
    assert 'name="cin"' not in page


def test_editing_a_user_keeps_the_cin(world, admin_client):
    citizen = world.citizen_sale
    citizen.cin = "AB123456"
    citizen.save()
    response = admin_client.post(f"/admin/core/user/{citizen.pk}/change/", {
        "username": citizen.username, "full_name": "Fatima Zahra Bennani-Alami", "phone": citizen.phone,
        "email": "", "language": "fr", "contact_verified": "on", "is_active": "on", "signup_commune": world.sale.pk,
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-11-01", "date_joined_1": "09:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    citizen.refresh_from_db()
    assert citizen.full_name == "Fatima Zahra Bennani-Alami" and citizen.cin == "AB123456"


def test_deactivating_a_user_ends_their_sessions(world, admin_client):
    citizen = world.citizen_temara
    session_client = Client(HTTP_HOST="temara.localhost")
    session_client.force_login(citizen)
    assert session_client.get("/api/v1/departments").wsgi_request.user.is_authenticated
    response = admin_client.post(f"/admin/core/user/{citizen.pk}/change/", {
        "username": citizen.username, "full_name": citizen.full_name, "phone": "", "email": citizen.email,
        "language": "ar", "contact_verified": "on", "is_active": "", "signup_commune": world.temara.pk,
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-11-01", "date_joined_1": "09:00:00",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not session_client.get("/api/v1/departments").wsgi_request.user.is_authenticated


def test_an_operator_creates_an_account_from_a_phone_number_in_national_form(world, admin_client):
    response = admin_client.post("/admin/core/user/add/", {
        "username": "06 61 23 45 67", "full_name": "Nadia Amrani", "usable_password": "true",
        "password1": "Another-Horse-2026", "password2": "Another-Horse-2026",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="+212661234567")
    assert user.phone == "+212661234567" and user.check_password("Another-Horse-2026")


def test_an_existing_identifier_is_refused_when_adding_an_account(world, admin_client):
    response = admin_client.post("/admin/core/user/add/", {
        "username": "0612345678", "full_name": "Someone Else", "usable_password": "true",
        "password1": "Another-Horse-2026", "password2": "Another-Horse-2026",
    })
    assert response.status_code == 200
    assert in_admin_language("An account with this phone number or e-mail address already exists.") in \
        response.content.decode()


# --- the audit log is read-only ----------------------------------------------------------------------------------


def test_the_audit_log_can_be_read_but_not_added_changed_or_deleted(world, admin_client):
    event = audit.record(action="test.event", commune=world.sale, actor=world.admin_sale, details={"x": 1})
    listing = admin_client.get("/admin/core/auditevent/").content.decode()
    assert "test.event" in listing
    assert "delete_selected" not in listing
    assert admin_client.get("/admin/core/auditevent/add/").status_code == 403
    page = admin_client.get(f"/admin/core/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="action"' not in page.content.decode()  # view only
    response = admin_client.post(f"/admin/core/auditevent/{event.pk}/change/", {"action": "test.forged"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client.post("/admin/core/auditevent/", {
        "action": "delete_selected", "_selected_action": [str(event.pk)], "post": "yes",
    })
    assert AuditEvent.all_communes.get(pk=event.pk).action == "test.event"


def test_the_department_changelist_needs_few_queries(world, admin_client, django_assert_max_num_queries):
    for i in range(20):
        Department.all_communes.create(commune=world.temara, code=f"service-{i}", name_ar=f"مصلحة {i}",
                                       name_fr=f"Service {i}")
    with django_assert_max_num_queries(15):
        assert admin_client.get("/admin/core/department/").status_code == 200


# --- bootstrapping the first operator --------------------------------------------------------------------------


def test_the_first_operator_gets_an_authenticator_from_the_shell_and_logs_in(world):
    call_command("createsuperuser", interactive=False, username="root@jamaa.example.ma",
                 full_name="First Operator", stdout=io.StringIO())
    operator = User.objects.get(username="root@jamaa.example.ma")
    operator.set_password(world.password)
    operator.save()
    out = io.StringIO()
    call_command("add_totp_device", "root@jamaa.example.ma", stdout=out)
    secret = out.getvalue().split()[1]
    assert "otpauth://totp/Jamaa%3Aroot%40jamaa.example.ma?secret=" + secret in out.getvalue()
    client = Client(HTTP_HOST="localhost")
    response = client.post("/admin/login/?next=/admin/", {
        "username": "root@jamaa.example.ma", "password": world.password, "otp_token": rfc6238(secret, time.time()),
    })
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    with pytest.raises(CommandError, match="already has an authenticator"):
        call_command("add_totp_device", "root@jamaa.example.ma", stdout=io.StringIO())
    call_command("add_totp_device", "root@jamaa.example.ma", "--replace", stdout=io.StringIO())
    assert TOTPDevice.objects.filter(user=operator).count() == 1
