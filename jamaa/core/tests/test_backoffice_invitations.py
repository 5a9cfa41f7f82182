"""Inviting staff: the administrator's form, the message with its link, and the invited person's acceptance."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import host_client, login_staff
from jamaa.core.models import AuditEvent, Membership, Role, User
from jamaa.notifications.models import OutboundMessage

LINK_RE = re.compile(r"https?://(?P<host>[^/\s]+)(?P<path>(?:/[a-z]+)?/backoffice/invitation/(?P<token>[^/\s]+)/)")


def tr(message: str, language: str = "ar", **params: object) -> str:
    """`message` as a page in `language` shows it (escaped): unprefixed pages are Arabic, and the catalogues fall
    back to the English msgid until the translators' pass."""
    with translation.override(language):
        text = translation.gettext(message)
    return escape(text % params if params else text)


def invite(client: Client, **fields) -> object:
    data = {"full_name": "Amina Nouvelle", "identifier": "amina@example.ma", "role": Role.AGENT,
            "department": "", "language": "ar"}
    data.update(fields)
    return client.post("/backoffice/staff/invite/", data)


def last_link(recipient: str) -> re.Match:
    message = OutboundMessage.objects.filter(recipient=recipient, template="staff_invitation").latest("id")
    match = LINK_RE.search(message.body)
    assert match, message.body
    return match


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


@pytest.fixture
def admin_client(world, sale_client: Client) -> Client:
    return login_staff(sale_client, world.admin_sale)


def test_inviting_a_new_person_by_e_mail_creates_an_account_without_password(world, admin_client):
    response = invite(admin_client, department=world.sale_etat_civil.pk, language="fr")

    user = User.objects.get(email="amina@example.ma")
    membership = Membership.all_communes.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/staff/{membership.pk}/"
    assert user.username == "amina@example.ma"
    assert user.full_name == "Amina Nouvelle"
    assert user.language == "fr"
    assert not user.has_usable_password()
    assert not user.contact_verified
    assert membership.commune == world.sale
    assert membership.role == Role.AGENT
    assert membership.department == world.sale_etat_civil
    assert membership.accepted_at is None
    assert membership.invited_by == world.admin_sale
    expected_expiry = timezone.now() + timedelta(days=7)
    assert abs((membership.invitation_expires_at - expected_expiry).total_seconds()) < 60

    message = OutboundMessage.objects.get(template="staff_invitation")
    assert message.channel == "email"
    assert message.recipient == "amina@example.ma"
    assert message.language == "fr"
    assert message.commune == world.sale
    assert "Salé" in message.subject
    link = last_link("amina@example.ma")
    assert link.group("host") == "sale.localhost"
    assert link.group("path").startswith("/fr/backoffice/invitation/")
    # Only the token's SHA-256 is stored.
    token = link.group("token")
    assert membership.invitation_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in membership.invitation_token_hash

    event = AuditEvent.all_communes.get(action="staff.invited")
    assert event.commune == world.sale
    assert event.actor == world.admin_sale
    assert event.target_id == str(membership.pk)
    assert event.details["new_account"] is True


def test_invitation_end_to_end_for_a_new_person(world, admin_client):
    invite(admin_client, identifier="0661234567", full_name="Hassan Nouveau", role=Role.HEAD,
           department=world.sale_urbanisme.pk)
    message = OutboundMessage.objects.get(template="staff_invitation")
    assert message.channel == "sms"
    assert message.recipient == "+212661234567"
    path = last_link("+212661234567").group("path")

    invited = host_client("sale.localhost")
    page = invited.get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Hassan Nouveau" in body
    assert 'name="password1"' in body

    # A weak password is refused next to the field; nothing is accepted yet.
    weak = invited.post(path, {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200
    assert 'class="field__error"' in weak.content.decode()
    assert Membership.all_communes.get(user__phone="+212661234567").accepted_at is None

    mismatch = invited.post(path, {"password1": "Sturdy-Cedar-2026", "password2": "Sturdy-Cedar-2027"})
    assert tr("The two passwords are different.") in mismatch.content.decode()

    response = invited.post(path, {"password1": "Sturdy-Cedar-2026", "password2": "Sturdy-Cedar-2026"})
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/2fa/?next=%2Fbackoffice%2F"
    user = User.objects.get(phone="+212661234567")
    assert user.check_password("Sturdy-Cedar-2026")
    assert user.contact_verified  # the link proved the phone
    membership = Membership.all_communes.get(user=user)
    assert membership.accepted_at is not None
    assert AuditEvent.all_communes.filter(action="staff.invitation_accepted", actor=user).exists()

    # Logged in, and sent to set up two-factor authentication before anything else.
    assert invited.get("/backoffice/").status_code == 302
    enrol = invited.get(response["Location"])
    assert tr("Set up two-factor authentication") in enrol.content.decode()
    device = TOTPDevice.objects.get(user=user)
    done = invited.post("/backoffice/2fa/", {"token": code_for(device), "next": "/backoffice/"})
    assert done.status_code == 302
    dashboard = invited.get("/backoffice/")
    assert dashboard.status_code == 200
    assert world.sale_urbanisme.name_ar in dashboard.content.decode()


def test_a_used_link_cannot_be_used_again(world, admin_client):
    invite(admin_client, department=world.sale_etat_civil.pk)
    path = last_link("amina@example.ma").group("path")
    invited = host_client("sale.localhost")
    invited.post(path, {"password1": "Sturdy-Cedar-2026", "password2": "Sturdy-Cedar-2026"})

    stranger = host_client("sale.localhost")
    response = stranger.get(path)
    assert response.status_code == 410
    assert tr("This invitation was already used") in response.content.decode()
    again = stranger.post(path, {"password1": "Other-Cedar-2026!", "password2": "Other-Cedar-2026!"})
    assert again.status_code == 410
    assert User.objects.get(email="amina@example.ma").check_password("Sturdy-Cedar-2026")


def test_an_expired_link_is_refused_with_a_clear_page(world, admin_client):
    invite(admin_client, department=world.sale_etat_civil.pk)
    path = last_link("amina@example.ma").group("path")
    Membership.all_communes.filter(user__email="amina@example.ma").update(
        invitation_expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = host_client("sale.localhost").post(path, {"password1": "Sturdy-Cedar-2026",
                                                         "password2": "Sturdy-Cedar-2026"})
    assert response.status_code == 410
    assert tr("This invitation has expired") in response.content.decode()
    assert Membership.all_communes.get(user__email="amina@example.ma").accepted_at is None
    assert not User.objects.get(email="amina@example.ma").has_usable_password()


@pytest.mark.parametrize("token", ["not-a-token", "x" * 300, "%00"])
def test_an_unknown_link_answers_404_with_a_message(world, sale_client: Client, token: str):
    response = sale_client.get(f"/backoffice/invitation/{token}/")
    assert response.status_code == 404
    assert tr("This invitation link is not valid") in response.content.decode()


def test_a_link_works_only_on_the_site_of_the_commune_that_sent_it(world, admin_client):
    invite(admin_client, department=world.sale_etat_civil.pk)
    path = last_link("amina@example.ma").group("path")
    response = host_client("temara.localhost").get(path)
    assert response.status_code == 404


def test_a_withdrawn_invitation_is_refused(world, admin_client):
    invite(admin_client, department=world.sale_etat_civil.pk)
    path = last_link("amina@example.ma").group("path")
    membership = Membership.all_communes.get(user__email="amina@example.ma")
    admin_client.post(f"/backoffice/staff/{membership.pk}/", {"action": "deactivate"})
    response = host_client("sale.localhost").get(path)
    assert response.status_code == 410
    assert tr("This invitation was withdrawn") in response.content.decode()


def test_resending_makes_a_new_link_and_the_old_one_stops_working(world, admin_client):
    invite(admin_client, department=world.sale_etat_civil.pk)
    old_path = last_link("amina@example.ma").group("path")
    membership = Membership.all_communes.get(user__email="amina@example.ma")

    response = admin_client.post(f"/backoffice/staff/{membership.pk}/", {"action": "resend"}, follow=True)
    assert tr("A new invitation link was sent. The previous link no longer works.") in response.content.decode()
    assert OutboundMessage.objects.filter(template="staff_invitation").count() == 2
    new_path = last_link("amina@example.ma").group("path")
    assert new_path != old_path
    assert AuditEvent.all_communes.filter(action="staff.invitation_resent").count() == 1

    visitor = host_client("sale.localhost")
    assert visitor.get(old_path).status_code == 404
    assert visitor.get(new_path).status_code == 200


def test_an_accepted_membership_cannot_be_sent_an_invitation(world, admin_client):
    membership = Membership.all_communes.get(user=world.agent_sale)
    response = admin_client.post(f"/backoffice/staff/{membership.pk}/", {"action": "resend"}, follow=True)
    assert tr("Only a pending invitation can be sent again.") in response.content.decode()
    assert not OutboundMessage.objects.filter(template="staff_invitation").exists()


def test_inviting_an_existing_account_reuses_it(world, admin_client):
    before = User.objects.count()
    response = invite(admin_client, full_name="Fatima", identifier="06 12 34 56 78", role=Role.LEADERSHIP)
    assert response.status_code == 302
    assert User.objects.count() == before
    membership = Membership.all_communes.get(user=world.citizen_sale)
    assert membership.role == Role.LEADERSHIP
    assert membership.accepted_at is None
    world.citizen_sale.refresh_from_db()
    assert world.citizen_sale.full_name == "Fatima Zahra Bennani"  # an existing account keeps its name
    assert world.citizen_sale.check_password(world.password)
    assert AuditEvent.all_communes.get(action="staff.invited").details["new_account"] is False


def test_an_existing_account_logs_in_then_accepts(world, admin_client):
    invite(admin_client, identifier="+212612345678", role=Role.LEADERSHIP)
    path = last_link("+212612345678").group("path")

    visitor = host_client("sale.localhost")
    page = visitor.get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert tr("Log in to accept") in body
    assert 'name="password1"' not in body
    assert f"/accounts/login/?next={path.replace('/', '%2F')}" in body

    # Logged in as someone else: refused, with what to do.
    visitor.force_login(world.citizen_temara)
    other = visitor.get(path)
    assert other.status_code == 403
    assert tr("This invitation is for another account. Log out, then log in with the account it was sent "
              "to.") in other.content.decode()
    assert visitor.post(path).status_code == 403
    assert Membership.all_communes.get(user=world.citizen_sale).accepted_at is None

    invited = host_client("sale.localhost")
    invited.force_login(world.citizen_sale)
    confirm = invited.get(path)
    assert tr("Accept the invitation") in confirm.content.decode()
    response = invited.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/2fa/")
    membership = Membership.all_communes.get(user=world.citizen_sale)
    assert membership.accepted_at is not None
    enrol = invited.get(response["Location"])
    assert tr("Set up two-factor authentication") in enrol.content.decode()


def test_a_person_already_on_the_staff_cannot_be_invited_again(world, admin_client):
    response = invite(admin_client, identifier="agent@sale.example.ma", department=world.sale_etat_civil.pk)
    assert response.status_code == 200
    body = response.content.decode()
    assert tr("This person is already on this commune's staff or invited.") in body
    assert 'value="agent@sale.example.ma"' in body  # what was typed is kept
    assert Membership.all_communes.filter(user=world.agent_sale).count() == 1
    assert not OutboundMessage.objects.exists()


def test_a_deactivated_member_is_pointed_to_reactivation(world, admin_client):
    Membership.all_communes.filter(user=world.agent_sale).update(is_active=False)
    response = invite(admin_client, identifier="agent@sale.example.ma", department=world.sale_etat_civil.pk)
    assert tr("This person's staff account here is deactivated: reactivate it from the staff "
              "list.") in response.content.decode()


def test_temaras_staff_can_be_invited_to_sale_too(world, admin_client):
    response = invite(admin_client, identifier="agent@temara.example.ma", department=world.sale_etat_civil.pk)
    assert response.status_code == 302
    assert Membership.all_communes.filter(user=world.agent_temara).count() == 2


def test_agents_need_a_department(world, admin_client):
    response = invite(admin_client, department="")
    assert response.status_code == 200
    assert tr("Agents and heads of department belong to a department: choose one.") in response.content.decode()
    assert not User.objects.filter(email="amina@example.ma").exists()


def test_an_administrator_needs_no_department(world, admin_client):
    assert invite(admin_client, role=Role.ADMIN).status_code == 302


def test_another_communes_department_is_a_form_error(world, admin_client):
    response = invite(admin_client, department=world.temara_etat_civil.pk)
    assert response.status_code == 200
    assert tr("Choose one of this commune's departments.") in response.content.decode()
    assert not User.objects.filter(email="amina@example.ma").exists()


@pytest.mark.parametrize("department", ["abc", "999999", "1 OR 1=1"])
def test_a_nonsense_department_is_a_form_error(world, admin_client, department: str):
    response = invite(admin_client, department=department)
    assert response.status_code == 200
    assert 'class="field__error"' in response.content.decode()


@pytest.mark.parametrize(("identifier", "message"), [
    ("+33612345678", "Only Moroccan mobile numbers (+212) can be used. Use an e-mail address otherwise."),
    ("0537000000", "This is a landline number; enter a mobile number (06… or 07…) that can receive SMS."),
    ("not an address", "Enter a mobile number or an e-mail address."),
    ("amina@", "This is not a valid e-mail address."),
])
def test_a_bad_phone_or_address_is_refused_inline(world, admin_client, identifier: str, message: str):
    response = invite(admin_client, identifier=identifier, department=world.sale_etat_civil.pk)
    body = response.content.decode()
    assert response.status_code == 200
    assert tr(message) in body
    assert 'value="Amina Nouvelle"' in body
    assert not OutboundMessage.objects.exists()


def test_a_bad_role_is_refused(world, admin_client):
    response = invite(admin_client, role="superuser", department=world.sale_etat_civil.pk)
    assert response.status_code == 200
    assert 'class="field__error"' in response.content.decode()


def test_a_closed_staff_account_is_reopened_when_invited_again(world, admin_client):
    invite(admin_client, department=world.sale_etat_civil.pk)
    membership = Membership.all_communes.get(user__email="amina@example.ma")
    admin_client.post(f"/backoffice/staff/{membership.pk}/", {"action": "deactivate"})
    assert not User.objects.get(email="amina@example.ma").is_active

    temara_admin = login_staff(host_client("temara.localhost"), world.admin_temara)
    response = temara_admin.post("/backoffice/staff/invite/", {
        "full_name": "Amina", "identifier": "amina@example.ma", "role": Role.AGENT,
        "department": world.temara_etat_civil.pk, "language": "ar",
    })
    assert response.status_code == 302
    assert User.objects.get(email="amina@example.ma").is_active
    path = last_link("amina@example.ma").group("path")
    accept = host_client("temara.localhost").post(path, {"password1": "Sturdy-Cedar-2026",
                                                         "password2": "Sturdy-Cedar-2026"})
    assert accept.status_code == 302


def test_the_invitation_page_shows_the_form(world, admin_client):
    page = admin_client.get("/backoffice/staff/invite/")
    body = page.content.decode()
    assert page.status_code == 200
    assert world.sale.name_ar in body
    assert f'<option value="{world.sale_urbanisme.pk}">{world.sale_urbanisme.name_ar}</option>' in body
    assert f'value="{world.temara_etat_civil.pk}"' not in body
