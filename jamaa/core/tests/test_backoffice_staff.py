"""Staff management by the commune's administrator: list, detail, role changes, deactivation and sessions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import host_client, login_staff
from jamaa.core import audit as audit_module
from jamaa.core import tenancy
from jamaa.core.backoffice import services
from jamaa.core.models import AuditEvent, Membership, Role, User


def tr(message: str, language: str = "ar", **params: object) -> str:
    """`message` as a page in `language` shows it (escaped): unprefixed pages are Arabic, and the catalogues fall
    back to the English msgid until the translators' pass."""
    with translation.override(language):
        text = translation.gettext(message)
    return escape(text % params if params else text)


LAST_ADMIN = "This is the commune's last active administrator. Make someone else an administrator first."


def membership_of(user) -> Membership:
    return Membership.all_communes.get(user=user, commune__slug="sale")


@pytest.fixture
def admin_client(world, sale_client: Client) -> Client:
    return login_staff(sale_client, world.admin_sale)


def detail(member: Membership) -> str:
    return f"/backoffice/staff/{member.pk}/"


# --- list ------------------------------------------------------------------------------------------------------


def test_the_list_shows_each_member_with_role_department_and_status(world, admin_client):
    Membership.all_communes.filter(user=world.head_sale).update(accepted_at=None)
    Membership.all_communes.filter(user=world.leader_sale).update(is_active=False, deactivated_at=timezone.now())
    response = admin_client.get("/backoffice/staff/")
    body = response.content.decode()
    assert response.status_code == 200
    for name in ("Karim Agent", "Naima Cheffe", "Samir Admin", "Omar President"):
        assert name in body
    assert "Laila Agent" not in body and "Hamid Admin" not in body  # Témara's staff
    assert f'badge--info">{tr("Invited")}' in body
    assert f'badge--neutral">{tr("Deactivated")}' in body
    assert f'badge--success">{tr("Active")}' in body


@pytest.mark.parametrize(("query", "expected"), [
    ({"role": Role.AGENT}, {"Karim Agent"}),
    ({"role": Role.ADMIN}, {"Samir Admin"}),
    ({"status": "invited"}, {"Naima Cheffe"}),
    ({"status": "deactivated"}, {"Omar President"}),
    ({"status": "active"}, {"Karim Agent", "Samir Admin"}),
])
def test_the_list_filters_by_role_and_status(world, admin_client, query, expected):
    Membership.all_communes.filter(user=world.head_sale).update(accepted_at=None)
    Membership.all_communes.filter(user=world.leader_sale).update(is_active=False)
    body = admin_client.get("/backoffice/staff/", query).content.decode()
    shown = {name for name in ("Karim Agent", "Naima Cheffe", "Samir Admin", "Omar President")
             if f">{name}</a>" in body}
    assert shown == expected


def test_the_list_filters_by_department(world, admin_client):
    body = admin_client.get("/backoffice/staff/", {"department": world.sale_etat_civil.pk}).content.decode()
    assert ">Karim Agent</a>" in body and ">Naima Cheffe</a>" in body
    assert ">Samir Admin</a>" not in body


@pytest.mark.parametrize("query", [{"department": "nope"}, {"role": "king"}, {"status": "ghost"}])
def test_nonsense_filters_show_an_error_not_a_crash(world, admin_client, query):
    response = admin_client.get("/backoffice/staff/", query)
    assert response.status_code == 200
    assert 'class="field__error"' in response.content.decode()


def test_another_communes_department_is_not_a_filter(world, admin_client):
    response = admin_client.get("/backoffice/staff/", {"department": world.temara_etat_civil.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert tr("Choose one of this commune's departments.") in body
    assert "Laila Agent" not in body


def test_an_empty_filter_result_says_so(world, admin_client):
    body = admin_client.get("/backoffice/staff/", {"status": "invited"}).content.decode()
    assert tr("No member of staff matches these filters.") in body


def test_the_list_runs_a_constant_number_of_queries(world, admin_client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin_client.get("/backoffice/staff/")
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/backoffice/staff/")
    with tenancy.unscoped():
        for i in range(30):
            user = User.objects.create_user(f"staff{i}@sale.example.ma", None, full_name=f"Member {i:02d}")
            Membership.all_communes.create(commune=world.sale, user=user, role=Role.AGENT,
                                           department=world.sale_urbanisme, accepted_at=timezone.now())
    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get("/backoffice/staff/")
    assert "Member 29" in response.content.decode()


# --- detail ----------------------------------------------------------------------------------------------------


def test_the_detail_page_shows_contact_details_and_records_the_access(world, admin_client):
    member = membership_of(world.agent_sale)
    response = admin_client.get(detail(member))
    body = response.content.decode()
    assert response.status_code == 200
    assert "agent@sale.example.ma" in body
    event = AuditEvent.all_communes.get(action="personal_data.viewed")
    assert event.actor == world.admin_sale
    assert event.subject == world.agent_sale
    assert event.commune == world.sale
    assert event.target_id == str(member.pk)
    assert event.reason
    # The member sees it among the accesses to their data.
    assert list(AuditEvent.all_communes.all().personal_data_accesses(world.agent_sale)) == [event]


def test_opening_ones_own_page_is_not_an_access_by_someone_else(world, admin_client):
    admin_client.get(detail(membership_of(world.admin_sale)))
    assert not AuditEvent.all_communes.filter(action="personal_data.viewed").exists()


# --- role and department ---------------------------------------------------------------------------------------


def test_changing_a_role_and_department(world, admin_client):
    member = membership_of(world.agent_sale)
    response = admin_client.post(detail(member), {"action": "role", "role": Role.HEAD,
                                                  "department": world.sale_urbanisme.pk}, follow=True)
    assert tr("The role and department were saved.") in response.content.decode()
    member.refresh_from_db()
    assert member.role == Role.HEAD
    assert member.department == world.sale_urbanisme
    event = AuditEvent.all_communes.get(action="staff.role_changed")
    assert event.details == {"before": {"role": "agent", "department": "etat-civil"},
                             "after": {"role": "head", "department": "urbanisme"}}
    assert event.actor == world.admin_sale


def test_an_agent_without_department_is_refused(world, admin_client):
    member = membership_of(world.head_sale)
    response = admin_client.post(detail(member), {"action": "role", "role": Role.AGENT, "department": ""})
    assert response.status_code == 200
    assert tr("Agents and heads of department belong to a department: choose one.") in response.content.decode()
    member.refresh_from_db()
    assert member.role == Role.HEAD


def test_another_communes_department_is_refused_in_the_role_form(world, admin_client):
    member = membership_of(world.agent_sale)
    response = admin_client.post(detail(member), {"action": "role", "role": Role.AGENT,
                                                  "department": world.temara_etat_civil.pk})
    assert response.status_code == 200
    assert tr("Choose one of this commune's departments.") in response.content.decode()
    member.refresh_from_db()
    assert member.department == world.sale_etat_civil


def test_the_last_administrator_cannot_be_demoted(world, admin_client):
    member = membership_of(world.admin_sale)
    response = admin_client.post(detail(member), {"action": "role", "role": Role.AGENT,
                                                  "department": world.sale_etat_civil.pk})
    assert response.status_code == 200
    assert tr(LAST_ADMIN) in response.content.decode()
    member.refresh_from_db()
    assert member.role == Role.ADMIN
    assert not AuditEvent.all_communes.filter(action="staff.role_changed").exists()


def test_an_administrator_can_be_demoted_when_another_remains(world, admin_client):
    admin_client.post(detail(membership_of(world.head_sale)), {"action": "role", "role": Role.ADMIN,
                                                               "department": ""})
    response = admin_client.post(detail(membership_of(world.admin_sale)), {
        "action": "role", "role": Role.LEADERSHIP, "department": "",
    })
    assert response.status_code == 302
    assert membership_of(world.admin_sale).role == Role.LEADERSHIP
    # The former administrator has lost access to the staff pages at once.
    assert admin_client.get("/backoffice/staff/").status_code == 403


def test_an_invited_administrator_does_not_count_as_the_remaining_one(world, admin_client):
    membership_of(world.head_sale)
    Membership.all_communes.filter(user=world.head_sale).update(role=Role.ADMIN, accepted_at=None)
    response = admin_client.post(detail(membership_of(world.admin_sale)), {
        "action": "role", "role": Role.LEADERSHIP, "department": "",
    })
    assert tr(LAST_ADMIN) in response.content.decode()


def test_temaras_administrator_does_not_count_for_sale(world):
    with tenancy.scope(world.sale):
        with pytest.raises(ValidationError) as refused:
            services.staff_change_role(membership=membership_of(world.admin_sale), actor=world.admin_sale,
                                       role=Role.LEADERSHIP, department=None)
    assert refused.value.code == "last_admin"


def test_a_change_and_its_audit_event_are_one_transaction(world, admin_client, monkeypatch):
    def failing_record(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit_module, "record", failing_record)
    member = membership_of(world.agent_sale)
    admin_client.raise_request_exception = False
    response = admin_client.post(detail(member), {"action": "deactivate"})
    assert response.status_code == 500
    member.refresh_from_db()
    assert member.is_active
    world.agent_sale.refresh_from_db()
    assert world.agent_sale.session_version == 0


@pytest.mark.parametrize("action", ["", "explode"])
def test_an_unknown_action_changes_nothing(world, admin_client, action):
    member = membership_of(world.agent_sale)
    response = admin_client.post(detail(member), {"action": action}, follow=True)
    assert tr("Unknown action. Use one of the buttons on this page.") in response.content.decode()
    assert membership_of(world.agent_sale).is_active


# --- deactivation ----------------------------------------------------------------------------------------------


def test_deactivation_ends_the_members_sessions_at_once(world, admin_client):
    agent_client = login_staff(host_client("sale.localhost"), world.agent_sale)
    assert agent_client.get("/backoffice/").status_code == 200

    response = admin_client.post(detail(membership_of(world.agent_sale)), {"action": "deactivate"}, follow=True)
    assert tr("%(name)s was deactivated and logged out everywhere.", name="Karim Agent") in response.content.decode()

    after = agent_client.get("/backoffice/")
    assert after.status_code == 302
    assert after["Location"].startswith("/accounts/login/")
    assert not after.wsgi_request.user.is_authenticated
    member = membership_of(world.agent_sale)
    assert not member.is_active
    assert member.deactivated_at is not None
    event = AuditEvent.all_communes.get(action="staff.deactivated")
    assert event.actor == world.admin_sale and event.target_id == str(member.pk)


def test_a_staff_only_account_is_closed_with_its_last_membership(world, admin_client):
    admin_client.post(detail(membership_of(world.agent_sale)), {"action": "deactivate"})
    world.agent_sale.refresh_from_db()
    assert not world.agent_sale.is_active
    assert AuditEvent.all_communes.get(action="staff.deactivated").details["account_closed"] is True


def test_a_citizen_account_stays_open_when_its_staff_membership_ends(world, admin_client):
    with tenancy.unscoped():
        Membership.all_communes.create(commune=world.sale, user=world.citizen_sale, role=Role.AGENT,
                                       department=world.sale_etat_civil, accepted_at=timezone.now())
    admin_client.post(detail(membership_of(world.citizen_sale)), {"action": "deactivate"})
    world.citizen_sale.refresh_from_db()
    assert world.citizen_sale.is_active
    assert world.citizen_sale.session_version == 1


def test_an_account_with_another_active_membership_stays_open(world, admin_client):
    with tenancy.unscoped():
        Membership.all_communes.create(commune=world.temara, user=world.agent_sale, role=Role.AGENT,
                                       department=world.temara_etat_civil, accepted_at=timezone.now())
    admin_client.post(detail(membership_of(world.agent_sale)), {"action": "deactivate"})
    world.agent_sale.refresh_from_db()
    assert world.agent_sale.is_active
    temara_client = login_staff(host_client("temara.localhost"), world.agent_sale)
    assert temara_client.get("/backoffice/").status_code == 200


def test_an_administrator_cannot_deactivate_themselves(world, admin_client):
    response = admin_client.post(detail(membership_of(world.admin_sale)), {"action": "deactivate"}, follow=True)
    assert tr("You cannot deactivate your own account. Ask another administrator.") in response.content.decode()
    assert membership_of(world.admin_sale).is_active
    assert admin_client.get("/backoffice/staff/").status_code == 200


def test_the_page_offers_no_deactivation_of_oneself(world, admin_client):
    body = admin_client.get(detail(membership_of(world.admin_sale))).content.decode()
    assert 'value="deactivate"' not in body


def test_the_last_administrator_cannot_be_deactivated(world):
    with tenancy.scope(world.sale):
        with pytest.raises(ValidationError) as refused:
            services.staff_deactivate(membership=membership_of(world.admin_sale), actor=world.leader_sale)
    assert refused.value.code == "last_admin"
    assert membership_of(world.admin_sale).is_active


def test_deactivating_twice_is_refused_politely(world, admin_client):
    member = membership_of(world.agent_sale)
    admin_client.post(detail(member), {"action": "deactivate"})
    response = admin_client.post(detail(member), {"action": "deactivate"}, follow=True)
    assert tr("This member of staff is already deactivated.") in response.content.decode()
    assert AuditEvent.all_communes.filter(action="staff.deactivated").count() == 1


def test_reactivation_restores_access(world, admin_client):
    member = membership_of(world.agent_sale)
    admin_client.post(detail(member), {"action": "deactivate"})
    response = admin_client.post(detail(member), {"action": "reactivate"}, follow=True)
    assert tr("%(name)s was reactivated.", name="Karim Agent") in response.content.decode()
    member.refresh_from_db()
    assert member.is_active and member.deactivated_at is None
    world.agent_sale.refresh_from_db()
    assert world.agent_sale.is_active
    agent_client = login_staff(host_client("sale.localhost"), world.agent_sale)
    assert agent_client.get("/backoffice/").status_code == 200
    assert AuditEvent.all_communes.filter(action="staff.reactivated").count() == 1


def test_reactivating_an_active_member_is_refused(world, admin_client):
    response = admin_client.post(detail(membership_of(world.agent_sale)), {"action": "reactivate"}, follow=True)
    assert tr("This member of staff is already active.") in response.content.decode()


def test_the_staff_pages_refuse_a_deactivated_member_who_logs_in_again(world, admin_client):
    with tenancy.unscoped():
        Membership.all_communes.create(commune=world.sale, user=world.citizen_sale, role=Role.AGENT,
                                       department=world.sale_etat_civil, accepted_at=timezone.now())
    TOTPDevice.objects.create(user=world.citizen_sale, name="default", confirmed=True)
    admin_client.post(detail(membership_of(world.citizen_sale)), {"action": "deactivate"})
    world.citizen_sale.refresh_from_db()
    again = login_staff(host_client("sale.localhost"), world.citizen_sale)
    response = again.get("/backoffice/")
    assert response.status_code == 403
    assert tr("This page is for the staff of this commune.") in response.content.decode()


# --- two-factor reset ------------------------------------------------------------------------------------------


def test_resetting_two_factor_ends_sessions_and_asks_for_a_new_device(world, admin_client):
    agent_client = login_staff(host_client("sale.localhost"), world.agent_sale)
    member = membership_of(world.agent_sale)
    assert 'value="reset_2fa"' in admin_client.get(detail(member)).content.decode()

    response = admin_client.post(detail(member), {"action": "reset_2fa"}, follow=True)
    assert tr("Two-factor authentication of %(name)s was reset: they set it up again at their next login.",
              name="Karim Agent") in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.agent_sale).exists()
    assert not agent_client.get("/backoffice/").wsgi_request.user.is_authenticated
    assert AuditEvent.all_communes.get(action="staff.two_factor_reset").details == {"devices_removed": 1}

    world.agent_sale.refresh_from_db()
    agent_client.force_login(world.agent_sale)
    again = agent_client.get("/backoffice/", follow=True)
    assert tr("Set up two-factor authentication") in again.content.decode()


def test_an_administrator_cannot_reset_their_own_two_factor(world, admin_client):
    member = membership_of(world.admin_sale)
    assert 'value="reset_2fa"' not in admin_client.get(detail(member)).content.decode()
    response = admin_client.post(detail(member), {"action": "reset_2fa"}, follow=True)
    assert tr("You cannot reset your own two-factor authentication. Ask another administrator.") in (
        response.content.decode()
    )
    assert TOTPDevice.objects.filter(user=world.admin_sale, confirmed=True).exists()
