"""Sign-up with a mobile number or an e-mail address, and confirmation with a 6-digit code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from jamaa.core.accounts import views as account_views
from jamaa.core.models import AuditEvent, User, VerificationCode
from jamaa.notifications.models import OutboundMessage

SIGNUP = "/accounts/signup/"
VERIFY = "/accounts/verify/"
RESEND = "/accounts/verify/resend/"
NEW_PASSWORD = "Olive-Tree-Rabat-2026"


def tr(message: str, language: str = "ar", **params: object) -> str:
    """`message` as the page shows it: pages without a prefix are Arabic, so compare with the Arabic catalogue
    (which falls back to the English msgid until the translators' pass)."""
    with translation.override(language):
        text = translation.gettext(message)
    return text % params if params else text


def tr_plural(singular: str, plural: str, count: int, language: str = "ar") -> str:
    with translation.override(language):
        return translation.ngettext(singular, plural, count) % {"count": count}


def set_session(client: Client, key: str, value: object) -> None:
    session = client.session
    session[key] = value
    session.save()


def last_code(user: User, template: str = "verification_code") -> str:
    message = OutboundMessage.objects.filter(user=user, template=template).order_by("-id").first()
    assert message is not None, "no message was queued"
    match = re.search(r"(?<!\d)(\d{6})(?!\d)", message.body)
    assert match, message.body
    return match.group(1)


def signup_data(**overrides: str) -> dict[str, str]:
    data = {"full_name": "Amina El Alaoui", "identifier": "0661234567", "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD, "language": "ar"}
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- end to end ------------------------------------------------------------------------------------------------


def test_a_citizen_signs_up_with_a_mobile_number_and_confirms_it(world, sale_client):
    response = sale_client.post(SIGNUP, signup_data())
    assert response.status_code == 302
    assert response["Location"] == VERIFY

    user = User.objects.get(username="+212661234567")
    assert user.phone == "+212661234567"
    assert user.email is None
    assert user.contact_verified is False
    assert user.signup_commune == world.sale
    message = OutboundMessage.objects.get(user=user)
    assert message.channel == "sms"
    assert message.recipient == "+212661234567"
    assert message.template == "verification_code"
    assert AuditEvent.all_communes.filter(action="account.signup", actor=user, commune=world.sale).exists()

    page = sale_client.get(VERIFY)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'inputmode="numeric"' in body
    assert 'autocomplete="one-time-code"' in body
    assert "+2126" in body and "+212661234567" not in body  # the number is shown masked

    response = sale_client.post(VERIFY, {"code": last_code(user)}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/profile/"
    user.refresh_from_db()
    assert user.contact_verified is True
    assert response.context["user"].pk == user.pk
    assert tr("Your account is confirmed. Welcome!") in messages_of(response)
    assert AuditEvent.all_communes.filter(action="account.verified", actor=user).exists()


def test_a_citizen_signs_up_with_an_email_address(world, temara_client):
    response = temara_client.post(SIGNUP, signup_data(identifier="  Nadia.B@Example.MA ", full_name="Nadia B"))
    assert response.status_code == 302
    user = User.objects.get(username="nadia.b@example.ma")
    assert user.email == "nadia.b@example.ma"
    assert user.phone is None
    assert user.signup_commune == world.temara
    message = OutboundMessage.objects.get(user=user)
    assert message.channel == "email"
    assert message.recipient == "nadia.b@example.ma"
    assert last_code(user) in message.subject

    response = temara_client.post(VERIFY, {"code": last_code(user)})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.contact_verified


def test_only_an_hmac_of_the_code_is_stored(world, sale_client):
    sale_client.post(SIGNUP, signup_data())
    user = User.objects.get(username="+212661234567")
    code = last_code(user)
    record = VerificationCode.objects.get(user=user)
    assert code not in record.code_hash
    assert len(record.code_hash) == 64
    assert record.expires_at == record.created_at + timedelta(seconds=settings.VERIFICATION_CODE_TTL_SECONDS)


def test_the_code_may_be_typed_with_arabic_digits_and_spaces(world, sale_client):
    sale_client.post(SIGNUP, signup_data())
    user = User.objects.get(username="+212661234567")
    code = last_code(user)
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = sale_client.post(VERIFY, {"code": f"{arabic[:3]} {arabic[3:]}"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.contact_verified


def test_the_language_chosen_at_signup_is_saved_and_used_for_the_sms(world, sale_client):
    response = sale_client.post("/fr/accounts/signup/", signup_data(language="fr"))
    assert response["Location"] == "/fr/accounts/verify/"
    user = User.objects.get(username="+212661234567")
    assert user.language == "fr"
    assert OutboundMessage.objects.get(user=user).language == "fr"


def test_the_language_field_defaults_to_the_page_language(world, sale_client):
    page = sale_client.get("/fr/accounts/signup/")
    assert page.context["form"]["language"].value() == "fr"


# --- refusals --------------------------------------------------------------------------------------------------


def test_a_registered_number_is_refused_with_a_way_out(world, sale_client):
    response = sale_client.post(SIGNUP, signup_data(identifier="06 12 34 56 78"))
    assert response.status_code == 200
    errors = response.context["form"].errors["identifier"]
    assert errors == [tr("This mobile number already has an account: log in or reset your password.")]
    body = response.content.decode()
    assert 'value="06 12 34 56 78"' in body  # what was typed is kept
    assert 'value="Amina El Alaoui"' in body
    assert NEW_PASSWORD not in body  # passwords are not sent back
    assert User.objects.filter(full_name="Amina El Alaoui").count() == 0


def test_a_registered_email_is_refused(world, sale_client):
    response = sale_client.post(SIGNUP, signup_data(identifier="YOUSSEF@example.ma"))
    assert response.context["form"].errors["identifier"] == [
        tr("This e-mail address already has an account: log in or reset your password.")
    ]


@pytest.mark.parametrize(("typed", "message"), [
    ("+33612345678", "Only Moroccan mobile numbers (+212) can be used. Use an e-mail address otherwise."),
    ("0537123456", "This is a landline number; enter a mobile number (06… or 07…) that can receive SMS."),
    ("0612", "This is not a valid Moroccan phone number."),
    ("hello there", "Enter a mobile number or an e-mail address."),
    ("someone@", "This is not a valid e-mail address."),
    ("", "This field is required."),
])
def test_bad_identifiers_get_a_clear_message(world, sale_client, typed, message):
    response = sale_client.post(SIGNUP, signup_data(identifier=typed))
    assert response.status_code == 200
    assert response.context["form"].errors["identifier"] == [tr(message)]
    assert OutboundMessage.objects.count() == 0


def test_weak_and_mismatched_passwords_are_refused(world, sale_client):
    response = sale_client.post(SIGNUP, signup_data(password1="short", password2="short"))
    codes = [e.code for e in response.context["form"].errors.as_data()["password1"]]
    assert "password_too_short" in codes
    response = sale_client.post(SIGNUP, signup_data(password2="Something-Else-2026"))
    assert response.context["form"].errors["password2"] == [tr("The two passwords are not the same.")]
    response = sale_client.post(SIGNUP, signup_data(password1="1234567890123", password2="1234567890123"))
    codes = [e.code for e in response.context["form"].errors.as_data()["password1"]]
    assert "password_entirely_numeric" in codes
    response = sale_client.post(SIGNUP, signup_data(full_name="Amina Elalaoui", password1="AminaElalaoui",
                                                    password2="AminaElalaoui"))
    codes = [e.code for e in response.context["form"].errors.as_data()["password1"]]
    assert "password_too_similar" in codes
    assert not User.objects.filter(username="+212661234567").exists()


def test_signup_with_garbage_input_never_fails(world, sale_client):
    response = sale_client.post(SIGNUP, {"full_name": "x" * 5000, "identifier": "\x00\ufffd" * 300,
                                         "password1": "a", "language": "klingon"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"full_name", "identifier", "password2", "language"}


def test_signup_pages_do_not_exist_on_the_platform_host(world, platform_client):
    assert platform_client.get(SIGNUP).status_code == 404
    assert platform_client.post(SIGNUP, signup_data()).status_code == 404
    assert platform_client.get(VERIFY).status_code == 404


# --- code checks -----------------------------------------------------------------------------------------------


@pytest.fixture
def pending(world, sale_client):
    sale_client.post(SIGNUP, signup_data())
    sale_client.get(VERIFY)  # shows (and so clears) the "account created" message
    return User.objects.get(username="+212661234567")


def wrong_code_for(user: User) -> str:
    return "000000" if last_code(user) != "000000" else "111111"


def test_a_wrong_code_says_how_many_tries_are_left(pending, sale_client):
    response = sale_client.post(VERIFY, {"code": wrong_code_for(pending)})
    assert response.status_code == 200
    left = settings.VERIFICATION_CODE_MAX_ATTEMPTS - 1
    assert response.context["form"].errors["code"] == [
        tr_plural("This code is not right. You have %(count)d try left.",
                  "This code is not right. You have %(count)d tries left.", left)]
    pending.refresh_from_db()
    assert not pending.contact_verified


def test_a_malformed_code_does_not_use_a_try(pending, sale_client):
    response = sale_client.post(VERIFY, {"code": "12ab"})
    assert response.context["form"].errors["code"] == [tr("Enter the 6 digits of the code you received.")]
    assert VerificationCode.objects.get(user=pending).attempts == 0


def test_too_many_wrong_tries_kill_the_code(pending, sale_client):
    good = last_code(pending)
    for _ in range(settings.VERIFICATION_CODE_MAX_ATTEMPTS):
        response = sale_client.post(VERIFY, {"code": wrong_code_for(pending)})
    dead = [tr("Too many wrong tries: this code no longer works. Ask for a new code.")]
    assert response.context["form"].errors["code"] == dead
    response = sale_client.post(VERIFY, {"code": good})
    assert response.context["form"].errors["code"] == dead
    pending.refresh_from_db()
    assert not pending.contact_verified


def test_an_expired_code_is_refused(pending, sale_client):
    VerificationCode.objects.filter(user=pending).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = sale_client.post(VERIFY, {"code": last_code(pending)})
    assert response.context["form"].errors["code"] == [tr("This code has expired. Ask for a new code.")]
    pending.refresh_from_db()
    assert not pending.contact_verified


def test_a_used_code_cannot_be_used_twice(pending, sale_client):
    code = last_code(pending)
    sale_client.post(VERIFY, {"code": code})
    # Someone replays the same code from another browser for the same (again unconfirmed) account.
    User.objects.filter(pk=pending.pk).update(contact_verified=False)
    other = Client(HTTP_HOST="sale.localhost")
    set_session(other, account_views.PENDING_KEY,
                account_views.signing.dumps({"u": pending.pk}, salt=account_views.PENDING_SALT))
    response = other.post(VERIFY, {"code": code})
    assert response.context["form"].errors["code"] == [tr("This code can no longer be used. Ask for a new code.")]


SENT_AGAIN = tr("We sent a new code to %(contact)s. Earlier codes no longer work.", contact="+2126••••••67")


def move_codes_back(user: User, seconds: int) -> None:
    for record in VerificationCode.objects.filter(user=user):
        record.created_at -= timedelta(seconds=seconds)
        record.save(update_fields=["created_at"])


def test_resend_waits_for_the_cooldown(pending, sale_client):
    response = sale_client.post(RESEND, follow=True)
    assert response.redirect_chain[-1][0] == VERIFY
    [message] = messages_of(response)
    assert message in {
        tr_plural("A code was sent a moment ago. Wait %(count)d second before asking for a new one.",
                  "A code was sent a moment ago. Wait %(count)d seconds before asking for a new one.", n)
        for n in range(1, settings.VERIFICATION_RESEND_COOLDOWN_SECONDS + 1)
    }
    assert VerificationCode.objects.filter(user=pending).count() == 1


def test_a_new_code_replaces_the_old_one(pending, sale_client):
    old = last_code(pending)
    move_codes_back(pending, settings.VERIFICATION_RESEND_COOLDOWN_SECONDS + 1)
    response = sale_client.post(RESEND, follow=True)
    assert messages_of(response) == [SENT_AGAIN]
    new = last_code(pending)
    assert VerificationCode.objects.filter(user=pending).count() == 2
    if old != new:
        response = sale_client.post(VERIFY, {"code": old})
        assert "code" in response.context["form"].errors
    response = sale_client.post(VERIFY, {"code": new})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.contact_verified


def test_a_new_code_can_be_asked_after_too_many_wrong_tries(pending, sale_client):
    for _ in range(settings.VERIFICATION_CODE_MAX_ATTEMPTS):
        sale_client.post(VERIFY, {"code": wrong_code_for(pending)})
    move_codes_back(pending, settings.VERIFICATION_RESEND_COOLDOWN_SECONDS + 1)
    sale_client.post(RESEND)
    response = sale_client.post(VERIFY, {"code": last_code(pending)})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.contact_verified


def test_at_most_so_many_codes_per_hour(pending, sale_client):
    for _ in range(settings.VERIFICATION_MAX_SENDS_PER_HOUR - 1):
        move_codes_back(pending, settings.VERIFICATION_RESEND_COOLDOWN_SECONDS + 1)
        response = sale_client.post(RESEND, follow=True)
        assert messages_of(response) == [SENT_AGAIN]
    move_codes_back(pending, settings.VERIFICATION_RESEND_COOLDOWN_SECONDS + 1)
    response = sale_client.post(RESEND, follow=True)
    [message] = messages_of(response)
    assert message in {
        tr_plural("You have asked for too many codes. Try again in %(count)d minute.",
                  "You have asked for too many codes. Try again in %(count)d minutes.", n)
        for n in range(1, 61)
    }
    assert VerificationCode.objects.filter(user=pending).count() == settings.VERIFICATION_MAX_SENDS_PER_HOUR
    assert OutboundMessage.objects.filter(user=pending).count() == settings.VERIFICATION_MAX_SENDS_PER_HOUR
    # An hour later the window has moved on.
    move_codes_back(pending, 3600)
    response = sale_client.post(RESEND, follow=True)
    assert messages_of(response) == [SENT_AGAIN]


def test_resend_is_post_only(pending, sale_client):
    assert sale_client.get(RESEND).status_code == 405


# --- the pending account in the session ------------------------------------------------------------------------


def test_verify_without_a_pending_account_sends_to_login(world, sale_client):
    response = sale_client.get(VERIFY, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert messages_of(response) == [tr(
        "No account is waiting for a confirmation code here. Log in to receive a new code, or create an account.")]


@pytest.mark.parametrize("garbage", ["not-signed", 12345, {"u": 1}, "eyJ1IjoxfQ:1vA:forged", None])
def test_a_tampered_pending_session_restarts_the_flow(pending, sale_client, garbage):
    set_session(sale_client, account_views.PENDING_KEY, garbage)
    for response in (sale_client.get(VERIFY, follow=True), sale_client.post(RESEND, follow=True)):
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == "/accounts/login/"
    session = sale_client.session
    assert account_views.PENDING_KEY not in session


def test_a_signed_value_for_another_flow_is_refused(pending, sale_client):
    set_session(sale_client, account_views.PENDING_KEY,
                account_views.signing.dumps({"u": pending.pk}, salt=account_views.RESET_SALT))
    response = sale_client.get(VERIFY, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert messages_of(response) == [tr("We could not find the account you were confirming. Log in to receive a "
                                        "new code, or create an account.")]


def test_the_pending_account_is_not_in_the_url(pending, sale_client):
    response = sale_client.get(VERIFY)
    assert str(pending.pk) not in response.request["PATH_INFO"]
    raw = sale_client.session[account_views.PENDING_KEY]
    assert isinstance(raw, str) and ":" in raw  # signed


def test_no_query_reads_the_code_in_clear(pending):
    with connection.cursor() as cursor:
        cursor.execute("SELECT code_hash FROM core_verificationcode")
        stored = [row[0] for row in cursor.fetchall()]
    assert last_code(pending) not in stored


def test_a_signup_racing_another_for_the_same_number_gets_the_field_message(world, sale_client, monkeypatch):
    from jamaa.core.accounts.forms import SignupForm

    # The other sign-up commits between this form's check and its insert.
    monkeypatch.setattr(SignupForm, "clean_identifier", lambda form: form.cleaned_data["identifier"])
    response = sale_client.post(SIGNUP, signup_data(identifier="0612345678"))
    assert response.status_code == 200
    assert response.context["form"].errors["identifier"] == [
        tr("This mobile number already has an account: log in or reset your password.")]
    assert OutboundMessage.objects.count() == 0
    assert not AuditEvent.all_communes.filter(action="account.signup").exists()
