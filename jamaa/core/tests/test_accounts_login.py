"""Logging in and out: identifiers normalised, deactivated and unconfirmed accounts, lockout, where one lands."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from jamaa.core.models import AuditEvent, User, VerificationCode
from jamaa.core.tests.test_accounts_signup import last_code, messages_of, tr
from jamaa.notifications.models import OutboundMessage

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"


def login(client, username: str, password: str, **extra: str):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_a_citizen_logs_in_with_the_number_as_typed_and_lands_on_the_profile(world, sale_client):
    response = login(sale_client, "06 12-34-56-78", world.password)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert sale_client.session[SESSION_KEY] == str(world.citizen_sale.pk)
    event = AuditEvent.all_communes.get(action="account.login")
    assert event.actor == world.citizen_sale
    assert event.commune == world.sale


def test_the_number_may_be_typed_in_international_form_or_arabic_digits(world, sale_client):
    assert login(sale_client, "+212 612 345 678", world.password).status_code == 302
    other = type(sale_client)(HTTP_HOST="sale.localhost")
    assert login(other, "٠٦١٢٣٤٥٦٧٨", world.password).status_code == 302


def test_an_email_is_matched_whatever_its_case(world, temara_client):
    response = login(temara_client, "Youssef@EXAMPLE.ma", world.password)
    assert response["Location"] == "/accounts/profile/"


def test_the_session_is_rotated_on_login(world, sale_client):
    sale_client.get(LOGIN)
    sale_client.get("/")
    before = sale_client.session.session_key
    login(sale_client, "0612345678", world.password)
    assert sale_client.session.session_key != before


def test_a_wrong_password_is_refused_and_the_identifier_kept(world, sale_client):
    response = login(sale_client, "0612345678", "wrong-password-here")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [tr(
        "The mobile number or e-mail address, or the password, is not right. Check them and try again.")]
    body = response.content.decode()
    assert 'value="0612345678"' in body
    assert "wrong-password-here" not in body
    assert SESSION_KEY not in sale_client.session
    assert not AuditEvent.all_communes.filter(action="account.login").exists()


def test_an_identifier_that_is_not_a_number_or_email_is_explained(world, sale_client):
    response = login(sale_client, "+33612345678", world.password)
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == [
        tr("Only Moroccan mobile numbers (+212) can be used. Use an e-mail address otherwise.")]


def test_a_deactivated_account_is_told_so(world, sale_client):
    User.objects.filter(pk=world.citizen_sale.pk).update(is_active=False)
    response = login(sale_client, "0612345678", world.password)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        tr("This account has been deactivated. Contact the commune if you think this is a mistake.")]
    assert SESSION_KEY not in sale_client.session


def test_a_deactivated_account_with_a_wrong_password_gets_the_usual_answer(world, sale_client):
    User.objects.filter(pk=world.citizen_sale.pk).update(is_active=False)
    response = login(sale_client, "0612345678", "wrong-password-here")
    assert response.context["form"].non_field_errors() == [tr(
        "The mobile number or e-mail address, or the password, is not right. Check them and try again.")]


def test_an_unconfirmed_account_is_sent_to_the_code_step_with_a_fresh_code(world, sale_client):
    citizen = world.citizen_sale
    User.objects.filter(pk=citizen.pk).update(contact_verified=False)
    response = login(sale_client, "0612345678", world.password)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/"
    assert SESSION_KEY not in sale_client.session  # not logged in before the code
    assert VerificationCode.objects.filter(user=citizen).count() == 1
    response = sale_client.post("/accounts/verify/", {"code": last_code(citizen)})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.contact_verified
    assert sale_client.session[SESSION_KEY] == str(citizen.pk)


def test_an_unconfirmed_account_logging_in_again_at_once_is_not_sent_a_second_code(world, sale_client):
    User.objects.filter(pk=world.citizen_sale.pk).update(contact_verified=False)
    login(sale_client, "0612345678", world.password)
    sale_client.get("/accounts/verify/")
    response = login(sale_client, "0612345678", world.password)
    assert response["Location"] == "/accounts/verify/"
    assert VerificationCode.objects.filter(user=world.citizen_sale).count() == 1
    assert messages_of(sale_client.get("/accounts/verify/")) == [
        tr("Your account is not confirmed yet. Enter the code we sent you, or ask for a new one.")]


def test_staff_land_on_the_back_office(world, sale_client):
    response = login(sale_client, "agent@sale.example.ma", world.password)
    assert response["Location"] == "/backoffice/"


def test_staff_of_another_commune_land_on_their_profile_here(world, sale_client):
    response = login(sale_client, "agent@temara.example.ma", world.password)
    assert response["Location"] == "/accounts/profile/"


def test_a_deactivated_membership_does_not_open_the_back_office(world, sale_client):
    from jamaa.core.models import Membership

    Membership.all_communes.filter(user=world.agent_sale).update(is_active=False)
    response = login(sale_client, "agent@sale.example.ma", world.password)
    assert response["Location"] == "/accounts/profile/"


def test_next_is_followed_when_it_stays_on_the_site(world, sale_client):
    response = login(sale_client, "0612345678", world.password, next="/accounts/my-data/?before=10")
    assert response["Location"] == "/accounts/my-data/?before=10"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http://temara.localhost/",
                                    "javascript:alert(1)"])
def test_next_to_another_site_is_ignored(world, sale_client, target):
    response = login(sale_client, "0612345678", world.password, next=target)
    assert response["Location"] == "/accounts/profile/"


def test_the_login_page_carries_next_through(world, sale_client):
    page = sale_client.get(LOGIN + "?next=/accounts/my-data/")
    assert 'name="next" value="/accounts/my-data/"' in page.content.decode()
    page = sale_client.get(LOGIN + "?next=https://evil.example/")
    assert '<input type="hidden" name="next"' not in page.content.decode()


def test_the_saved_language_is_used_after_login(world, sale_client):
    User.objects.filter(pk=world.citizen_sale.pk).update(language="fr")
    response = login(sale_client, "0612345678", world.password)
    assert response["Location"] == "/fr/accounts/profile/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = sale_client.get("/accounts/profile/")
    assert page.status_code == 302
    assert page["Location"] == "/fr/accounts/profile/"
    page = sale_client.get("/fr/accounts/profile/")
    assert 'lang="fr" dir="ltr"' in page.content.decode()


def test_next_is_translated_into_the_saved_language(world, sale_client):
    User.objects.filter(pk=world.citizen_sale.pk).update(language="fr")
    response = login(sale_client, "0612345678", world.password, next="/accounts/my-data/")
    assert response["Location"] == "/fr/accounts/my-data/"


def test_an_arabic_speaker_logging_in_on_a_french_page_goes_back_to_arabic(world, sale_client):
    response = sale_client.post("/fr" + LOGIN, {"username": "0612345678", "password": world.password})
    assert response["Location"] == "/accounts/profile/"


def test_five_wrong_passwords_lock_the_account_for_a_while(world, sale_client):
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        response = login(sale_client, "0612345678", f"wrong-password-{attempt}")
        expected = 429 if attempt == settings.AXES_FAILURE_LIMIT else 200
        assert response.status_code == expected, attempt
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    # Even the right password is refused while locked, with the same page.
    response = login(sale_client, "06 12 34 56 78", world.password)
    assert response.status_code == 429
    assert "/accounts/password/reset/" in response.content.decode()
    assert SESSION_KEY not in sale_client.session
    # Another account from the same address is not locked.
    other = login(sale_client, "agent@sale.example.ma", world.password)
    assert other.status_code == 302


def test_a_successful_login_clears_earlier_failures(world, sale_client):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login(sale_client, "0612345678", f"wrong-password-{attempt}")
    assert login(sale_client, "0612345678", world.password).status_code == 302
    sale_client.post(LOGOUT)
    client = type(sale_client)(HTTP_HOST="sale.localhost")
    assert login(client, "0612345678", "wrong-password-again").status_code == 200


def test_logged_in_visitors_skip_the_login_page(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    response = sale_client.get(LOGIN)
    assert response["Location"] == "/accounts/profile/"


def test_logout_needs_a_post(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    page = sale_client.get(LOGOUT)
    assert page.status_code == 200
    assert SESSION_KEY in sale_client.session  # a GET only shows the button
    assert 'method="post"' in page.content.decode()
    response = sale_client.post(LOGOUT, follow=True)
    assert response.redirect_chain[0][0] == "/"
    assert tr("You are logged out.") in messages_of(response)
    assert not response.context["user"].is_authenticated


def test_logout_for_an_anonymous_visitor_just_goes_home(world, sale_client):
    assert sale_client.get(LOGOUT)["Location"] == "/"
    assert sale_client.post(LOGOUT)["Location"] == "/"


def test_login_pages_do_not_exist_on_the_platform_host(world, platform_client):
    assert platform_client.get(LOGIN).status_code == 404
    assert login(platform_client, "0612345678", world.password).status_code == 404
    assert platform_client.post(LOGOUT).status_code == 404


def test_no_message_is_sent_on_a_plain_login(world, sale_client):
    login(sale_client, "0612345678", world.password)
    assert OutboundMessage.objects.count() == 0


def test_a_french_next_is_brought_back_to_arabic_for_an_arabic_account(world, sale_client):
    response = login(sale_client, "0612345678", world.password, next="/fr/accounts/my-data/")
    assert response["Location"] == "/accounts/my-data/"


def test_error_reports_hide_the_password(world, sale_client):
    from django.views.debug import SafeExceptionReporterFilter

    response = login(sale_client, "0612345678", "a-wrong-password")
    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert shown["password"] != "a-wrong-password"
