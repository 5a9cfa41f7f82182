"""The profile page: masked identifiers, name, language and CIN changes, password change."""

from __future__ import annotations

import logging

from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client

from jamaa.core.accounts import services
from jamaa.core.models import AuditEvent, User, VerificationPurpose
from jamaa.core.tests.test_accounts_signup import messages_of, tr
from jamaa.notifications.models import OutboundMessage

PROFILE = "/accounts/profile/"
NEW_PASSWORD = "Argan-Oil-Essaouira-2026"


def profile_data(user: User, **overrides: str) -> dict[str, str]:
    data = {"action": "profile", "full_name": user.full_name, "language": user.language, "cin": ""}
    data.update(overrides)
    return data


def raw_cin_column(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cin FROM {User._meta.db_table} WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


def test_the_profile_shows_masked_identifiers(world, sale_client):
    citizen = world.citizen_sale
    citizen.cin = "AB123456"
    citizen.save(update_fields=["cin"])
    sale_client.force_login(citizen)
    body = sale_client.get(PROFILE).content.decode()
    assert "Fatima Zahra Bennani" in body
    assert "+212612345678" not in body
    assert "+2126••••••78" in body
    assert "AB123456" not in body
    assert "AB••••56" in body
    assert "العربيّة" in body


def test_an_email_account_sees_its_address_masked(world, temara_client):
    temara_client.force_login(world.citizen_temara)
    body = temara_client.get(PROFILE).content.decode()
    assert "youssef@example.ma" not in body
    assert "y•••@example.ma" in body


def test_anonymous_visitors_are_sent_to_login(world, sale_client):
    response = sale_client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"
    response = sale_client.post(PROFILE, {"action": "profile", "full_name": "Intruder", "language": "ar"})
    assert response["Location"].startswith("/accounts/login/")


def test_the_profile_does_not_exist_on_the_platform_host(world, platform_client):
    platform_client.force_login(world.citizen_sale)
    assert platform_client.get(PROFILE).status_code == 404


def test_staff_of_another_commune_see_only_their_own_profile(world, sale_client):
    sale_client.force_login(world.agent_temara)
    body = sale_client.get(PROFILE).content.decode()
    assert "Laila Agent" in body
    assert "Fatima Zahra Bennani" not in body


def test_a_citizen_changes_name_and_language(world, sale_client):
    citizen = world.citizen_sale
    sale_client.force_login(citizen)
    response = sale_client.post(PROFILE, profile_data(citizen, full_name="  Fatima   Bennani ", language="fr"))
    assert response.status_code == 302
    assert response["Location"] == "/fr/accounts/profile/"
    citizen.refresh_from_db()
    assert citizen.full_name == "Fatima Bennani"
    assert citizen.language == "fr"
    page = sale_client.get("/fr/accounts/profile/")
    assert messages_of(page) == [tr("Your details have been saved.", language="fr")]
    event = AuditEvent.all_communes.get(action="account.profile_changed")
    assert event.details == {"fields": ["full_name", "language"]}
    assert event.commune == world.sale


def test_the_saved_language_is_used_for_later_messages(world, sale_client):
    citizen = world.citizen_sale
    sale_client.force_login(citizen)
    sale_client.post(PROFILE, profile_data(citizen, language="fr"))
    citizen.refresh_from_db()
    services.send_code(user=citizen, purpose=VerificationPurpose.PASSWORD_RESET, commune=world.sale)
    assert OutboundMessage.objects.get(user=citizen).language == "fr"


def test_the_cin_is_normalised_encrypted_at_rest_and_never_logged(world, sale_client, caplog):
    citizen = world.citizen_sale
    sale_client.force_login(citizen)
    with caplog.at_level(logging.DEBUG):
        response = sale_client.post(PROFILE, profile_data(citizen, cin=" ab 123456 "))
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.cin == "AB123456"
    raw = raw_cin_column(citizen)
    assert raw and "AB123456" not in raw and "123456" not in raw
    event = AuditEvent.all_communes.get(action="account.profile_changed")
    assert event.details == {"fields": ["cin"]}
    assert "123456" not in str(event.details) + event.target_label + event.reason
    assert "123456" not in caplog.text
    body = sale_client.get(PROFILE).content.decode()
    assert "AB123456" not in body and "AB••••56" in body


def test_an_invalid_cin_is_explained_and_everything_typed_is_kept(world, sale_client):
    citizen = world.citizen_sale
    sale_client.force_login(citizen)
    response = sale_client.post(PROFILE, profile_data(citizen, full_name="Fatima B.", cin="12-AB"))
    assert response.status_code == 200
    assert response.context["profile_form"].errors["cin"] == [tr(
        "A CIN number is one or two letters followed by up to six digits, for example AB123456.")]
    body = response.content.decode()
    assert 'value="12-AB"' in body and 'value="Fatima B."' in body
    citizen.refresh_from_db()
    assert citizen.full_name == "Fatima Zahra Bennani"
    assert not AuditEvent.all_communes.filter(action="account.profile_changed").exists()


def test_a_saved_cin_is_kept_when_the_field_is_left_empty_and_can_be_removed(world, sale_client):
    citizen = world.citizen_sale
    citizen.cin = "AB123456"
    citizen.save(update_fields=["cin"])
    sale_client.force_login(citizen)
    page = sale_client.get(PROFILE)
    assert 'name="cin"' in page.content.decode()
    assert 'value="AB123456"' not in page.content.decode()
    sale_client.post(PROFILE, profile_data(citizen, full_name="Fatima"))
    citizen.refresh_from_db()
    assert citizen.cin == "AB123456"
    response = sale_client.post(PROFILE, profile_data(citizen, cin="CD1", remove_cin="on"))
    assert response.context["profile_form"].errors["cin"] == [
        tr("Either type a new CIN number or tick “Remove my CIN number”, not both.")]
    sale_client.post(PROFILE, profile_data(citizen, remove_cin="on"))
    citizen.refresh_from_db()
    assert citizen.cin == ""
    assert raw_cin_column(citizen) == ""


def test_saving_without_changes_says_so_and_writes_no_event(world, sale_client):
    citizen = world.citizen_sale
    sale_client.force_login(citizen)
    response = sale_client.post(PROFILE, profile_data(citizen), follow=True)
    assert messages_of(response) == [tr("Nothing was changed.")]
    assert not AuditEvent.all_communes.filter(action="account.profile_changed").exists()


def test_bad_profile_input_never_fails(world, sale_client):
    citizen = world.citizen_sale
    sale_client.force_login(citizen)
    response = sale_client.post(PROFILE, {"action": "profile", "full_name": " ", "language": "xx",
                                          "cin": "\x00" * 30})
    assert response.status_code == 200
    assert set(response.context["profile_form"].errors) == {"full_name", "language", "cin"}
    response = sale_client.post(PROFILE, {"action": "something-else"}, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == [tr("This form could not be read. Please try again.")]


def test_a_citizen_changes_the_password_and_stays_logged_in(world, sale_client):
    citizen = world.citizen_sale
    elsewhere = Client(HTTP_HOST="sale.localhost")
    elsewhere.force_login(citizen)
    sale_client.force_login(citizen)
    response = sale_client.post(PROFILE, {"action": "password", "old_password": world.password,
                                          "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    assert sale_client.get(PROFILE).status_code == 200
    assert SESSION_KEY in sale_client.session
    assert elsewhere.get(PROFILE).status_code == 302  # the other device was logged out
    assert AuditEvent.all_communes.filter(action="account.password_changed", actor=citizen).exists()


def test_a_wrong_current_password_is_refused(world, sale_client):
    citizen = world.citizen_sale
    sale_client.force_login(citizen)
    response = sale_client.post(PROFILE, {"action": "password", "old_password": "not-my-password",
                                          "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 200
    assert response.context["password_form"].errors["old_password"] == [
        tr("Your current password is not right. Type it again.")]
    assert NEW_PASSWORD not in response.content.decode()
    assert not response.context["profile_form"].is_bound  # the other form is untouched
    citizen.refresh_from_db()
    assert citizen.check_password(world.password)


def test_a_weak_new_password_is_refused(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    response = sale_client.post(PROFILE, {"action": "password", "old_password": world.password,
                                          "new_password1": "password12", "new_password2": "password12"})
    codes = [e.code for e in response.context["password_form"].errors.as_data()["new_password2"]]
    assert "password_too_common" in codes


def test_error_reports_hide_the_cin_and_passwords(world, sale_client):
    from django.views.debug import SafeExceptionReporterFilter

    sale_client.force_login(world.citizen_sale)
    response = sale_client.post(PROFILE, profile_data(world.citizen_sale, cin="AB123456"))
    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert shown["cin"] != "AB123456"
    response = sale_client.post(PROFILE, {"action": "password", "old_password": world.password,
                                          "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert world.password not in shown.values() and NEW_PASSWORD not in shown.values()
