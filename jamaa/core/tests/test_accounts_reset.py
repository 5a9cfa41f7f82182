"""Password reset by code: no account enumeration, the same code rules, other sessions end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from jamaa.core.accounts import views as account_views
from jamaa.core.models import AuditEvent, User, VerificationCode
from jamaa.core.tests.test_accounts_signup import last_code, messages_of, set_session, tr, tr_plural
from jamaa.notifications.models import OutboundMessage

RESET = "/accounts/password/reset/"
CONFIRM = "/accounts/password/reset/confirm/"
NEW_PASSWORD = "Cedar-Forest-Ifrane-2026"


def confirm_data(code: str, password: str = NEW_PASSWORD, again: str | None = None) -> dict[str, str]:
    return {"code": code, "new_password1": password, "new_password2": password if again is None else again}


def reset_code(user: User) -> str:
    return last_code(user, template="password_reset_code")


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def sent_notice(contact: str) -> str:
    return tr("If an account uses %(contact)s, we have sent it a 6-digit code.", contact=contact)


def test_a_citizen_resets_the_password_with_the_code(world, sale_client):
    citizen = world.citizen_sale
    response = sale_client.post(RESET, {"identifier": "0612345678"}, follow=True)
    assert response.redirect_chain[-1][0] == CONFIRM
    assert messages_of(response) == [sent_notice("+212612345678")]
    message = OutboundMessage.objects.get(user=citizen)
    assert message.template == "password_reset_code"
    assert message.channel == "sms"

    response = sale_client.post(CONFIRM, confirm_data(reset_code(citizen)), follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/profile/"
    assert response.context["user"].pk == citizen.pk
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    assert citizen.session_version == 1
    assert AuditEvent.all_communes.filter(action="account.password_reset", actor=citizen,
                                          commune=world.sale).exists()
    assert account_views.RESET_KEY not in sale_client.session


def test_a_reset_ends_every_other_session(world, sale_client):
    elsewhere = Client(HTTP_HOST="sale.localhost")
    elsewhere.force_login(world.citizen_sale)
    assert elsewhere.get("/accounts/profile/").status_code == 200
    sale_client.post(RESET, {"identifier": "0612345678"})
    sale_client.post(CONFIRM, confirm_data(reset_code(world.citizen_sale)))
    response = elsewhere.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert sale_client.get("/accounts/profile/").status_code == 200


def test_an_email_account_gets_the_code_by_email(world, temara_client):
    temara_client.post(RESET, {"identifier": "YOUSSEF@example.ma"})
    message = OutboundMessage.objects.get(user=world.citizen_temara)
    assert message.channel == "email"
    assert reset_code(world.citizen_temara) in message.body


def test_an_unknown_account_gets_the_same_answer_and_no_message(world, sale_client):
    known = sale_client.post(RESET, {"identifier": "0612345678"}, follow=True)
    other = Client(HTTP_HOST="sale.localhost")
    unknown = other.post(RESET, {"identifier": "0699999999"}, follow=True)
    assert unknown.redirect_chain == known.redirect_chain
    assert messages_of(unknown) == [sent_notice("+212699999999")]
    assert unknown.templates[0].name == known.templates[0].name
    assert OutboundMessage.objects.filter(recipient="+212699999999").count() == 0
    assert OutboundMessage.objects.count() == 1


def test_an_unknown_account_says_wrong_code_then_too_many_tries(world, sale_client):
    sale_client.post(RESET, {"identifier": "nobody@example.ma"})
    for attempt in range(1, settings.VERIFICATION_CODE_MAX_ATTEMPTS + 1):
        response = sale_client.post(CONFIRM, confirm_data("123456"))
        left = settings.VERIFICATION_CODE_MAX_ATTEMPTS - attempt
        expected = tr_plural("This code is not right. You have %(count)d try left.",
                             "This code is not right. You have %(count)d tries left.", left) if left else \
            tr("Too many wrong tries: this code no longer works. Ask for a new code.")
        assert response.context["form"].errors["code"] == [expected]
    assert not User.objects.filter(username="nobody@example.ma").exists()


def test_a_deactivated_account_gets_no_code(world, sale_client):
    User.objects.filter(pk=world.citizen_sale.pk).update(is_active=False)
    response = sale_client.post(RESET, {"identifier": "0612345678"}, follow=True)
    assert messages_of(response) == [sent_notice("+212612345678")]
    assert OutboundMessage.objects.count() == 0


def test_the_reset_form_explains_a_bad_identifier_and_keeps_it(world, sale_client):
    response = sale_client.post(RESET, {"identifier": "0537123456"})
    assert response.status_code == 200
    assert response.context["form"].errors["identifier"] == [
        tr("This is a landline number; enter a mobile number (06… or 07…) that can receive SMS.")]
    assert 'value="0537123456"' in response.content.decode()


@pytest.fixture
def asked(world, sale_client):
    sale_client.post(RESET, {"identifier": "0612345678"})
    sale_client.get(CONFIRM)  # shows (and so clears) the "code sent" message
    return world.citizen_sale


def test_a_wrong_reset_code_is_counted(asked, sale_client):
    response = sale_client.post(CONFIRM, confirm_data(wrong(reset_code(asked))))
    assert response.context["form"].errors["code"] == [tr_plural(
        "This code is not right. You have %(count)d try left.",
        "This code is not right. You have %(count)d tries left.", settings.VERIFICATION_CODE_MAX_ATTEMPTS - 1)]
    body = response.content.decode()
    assert NEW_PASSWORD not in body
    asked.refresh_from_db()
    assert not asked.check_password(NEW_PASSWORD)


def test_too_many_wrong_reset_codes_kill_the_code(asked, sale_client):
    good = reset_code(asked)
    for _ in range(settings.VERIFICATION_CODE_MAX_ATTEMPTS):
        sale_client.post(CONFIRM, confirm_data(wrong(good)))
    response = sale_client.post(CONFIRM, confirm_data(good))
    assert response.context["form"].errors["code"] == [
        tr("Too many wrong tries: this code no longer works. Ask for a new code.")]
    asked.refresh_from_db()
    assert not asked.check_password(NEW_PASSWORD)


def test_an_expired_reset_code_is_refused(asked, sale_client):
    VerificationCode.objects.filter(user=asked).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = sale_client.post(CONFIRM, confirm_data(reset_code(asked)))
    assert response.context["form"].errors["code"] == [tr("This code has expired. Ask for a new code.")]


def test_a_signup_code_cannot_reset_a_password(world, sale_client):
    from jamaa.core.accounts import services
    from jamaa.core.models import VerificationPurpose

    citizen = world.citizen_sale
    services.send_code(user=citizen, purpose=VerificationPurpose.SIGNUP, commune=world.sale)
    signup_code = last_code(citizen)
    sale_client.post(RESET, {"identifier": "0612345678"})
    if signup_code != reset_code(citizen):
        response = sale_client.post(CONFIRM, confirm_data(signup_code))
        assert "code" in response.context["form"].errors
        citizen.refresh_from_db()
        assert not citizen.check_password(NEW_PASSWORD)


def test_asking_again_at_once_keeps_the_first_code_and_says_the_same(asked, sale_client):
    first = reset_code(asked)
    response = sale_client.post(RESET, {"identifier": "0612345678"}, follow=True)
    assert messages_of(response) == [sent_notice("+212612345678")]
    assert VerificationCode.objects.filter(user=asked).count() == 1
    response = sale_client.post(CONFIRM, confirm_data(first))
    assert response.status_code == 302


def test_weak_or_mismatched_new_passwords_do_not_use_a_try(asked, sale_client):
    response = sale_client.post(CONFIRM, confirm_data(reset_code(asked), "short", "short"))
    codes = [e.code for e in response.context["form"].errors.as_data()["new_password1"]]
    assert "password_too_short" in codes
    response = sale_client.post(CONFIRM, confirm_data(reset_code(asked), NEW_PASSWORD, "Another-One-2026"))
    assert response.context["form"].errors["new_password2"] == [tr("The two passwords are not the same.")]
    assert VerificationCode.objects.get(user=asked).attempts == 0
    assert 'value="' + reset_code(asked) + '"' in response.content.decode()  # the typed code is kept


def test_a_reset_lifts_a_login_lockout(world, sale_client):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sale_client.post("/accounts/login/", {"username": "0612345678", "password": f"wrong-{attempt}-password"})
    assert sale_client.post("/accounts/login/", {"username": "0612345678",
                                                 "password": world.password}).status_code == 429
    sale_client.post(RESET, {"identifier": "0612345678"})
    response = sale_client.post(CONFIRM, confirm_data(reset_code(world.citizen_sale)))
    assert response.status_code == 302
    sale_client.post("/accounts/logout/")
    again = Client(HTTP_HOST="sale.localhost")
    assert again.post("/accounts/login/", {"username": "0612345678", "password": NEW_PASSWORD}).status_code == 302


def test_staff_resetting_their_password_still_face_the_second_factor(world, sale_client):
    sale_client.post(RESET, {"identifier": "admin@sale.example.ma"})
    response = sale_client.post(CONFIRM, confirm_data(reset_code(world.admin_sale)))
    assert response["Location"] == "/backoffice/"
    assert "otp_device_id" not in sale_client.session


def test_the_reset_code_is_written_in_the_accounts_language(world, sale_client):
    User.objects.filter(pk=world.citizen_sale.pk).update(language="fr")
    sale_client.post(RESET, {"identifier": "0612345678"})
    assert OutboundMessage.objects.get(user=world.citizen_sale).language == "fr"


def test_confirm_without_asking_first_sends_back(world, sale_client):
    response = sale_client.get(CONFIRM, follow=True)
    assert response.redirect_chain[-1][0] == RESET
    assert messages_of(response) == [tr("First tell us the mobile number or e-mail address of your account.")]


@pytest.mark.parametrize("garbage", ["garbage", 42, ["x"], "eyJpIjoieCJ9:1vA:forged"])
def test_a_tampered_reset_session_restarts_the_flow(world, sale_client, garbage):
    set_session(sale_client, account_views.RESET_KEY, garbage)
    response = sale_client.post(CONFIRM, confirm_data("123456"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == RESET
    assert messages_of(response) == [tr("We could not read your password reset request. Please start again.")]
    assert sale_client.get(RESET).status_code == 200


def test_a_signed_reset_value_with_a_foreign_shape_restarts_the_flow(world, sale_client):
    set_session(sale_client, account_views.RESET_KEY,
                account_views.signing.dumps({"i": 5, "u": "x"}, salt=account_views.RESET_SALT))
    response = sale_client.get(CONFIRM, follow=True)
    assert response.redirect_chain[-1][0] == RESET


def test_a_garbage_attempt_counter_does_not_break_the_page(world, sale_client):
    sale_client.post(RESET, {"identifier": "nobody@example.ma"})
    set_session(sale_client, account_views.RESET_MISSES_KEY, "lots")
    response = sale_client.post(CONFIRM, confirm_data("123456"))
    assert response.status_code == 200
    assert "code" in response.context["form"].errors


def test_the_reset_form_is_prefilled_when_asking_for_a_new_code(asked, sale_client):
    page = sale_client.get(RESET)
    assert 'value="+212612345678"' in page.content.decode()


def test_reset_pages_do_not_exist_on_the_platform_host(world, platform_client):
    assert platform_client.get(RESET).status_code == 404
    assert platform_client.post(RESET, {"identifier": "0612345678"}).status_code == 404
    assert platform_client.get(CONFIRM).status_code == 404
    assert OutboundMessage.objects.count() == 0


def test_a_logged_in_session_is_replaced_by_the_reset_account(world, sale_client):
    sale_client.force_login(world.citizen_temara)
    sale_client.post(RESET, {"identifier": "0612345678"})
    sale_client.post(CONFIRM, confirm_data(reset_code(world.citizen_sale)))
    assert sale_client.session[SESSION_KEY] == str(world.citizen_sale.pk)
