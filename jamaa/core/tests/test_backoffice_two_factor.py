"""Staff two-factor authentication with TOTP: enrolment, verification with real codes, wrong codes, throttling."""

from __future__ import annotations

import re
from base64 import b32encode
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import login_staff
from jamaa.core.backoffice.services import TOTP_MAX_FAILURES
from jamaa.core.models import AuditEvent


def tr(message: str, language: str = "ar", **params: object) -> str:
    """`message` as a page in `language` shows it (escaped): unprefixed pages are Arabic, and the catalogues fall
    back to the English msgid until the translators' pass."""
    with translation.override(language):
        text = translation.gettext(message)
    return escape(text % params if params else text)


WRONG_CODE = "This code is not correct. Check the time on your phone and try the new code."


def locked_message_start() -> str:
    return tr("Too many wrong codes. Try again after %(time)s.", time="@@").split("@@")[0]


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code an authenticator application shows now (or `steps_ahead` periods later) for this device."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=device.drift + steps_ahead)
    return f"{value:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    right = {code_for(device, steps) for steps in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in right)


@pytest.fixture
def agent_without_device(world, sale_client: Client):
    TOTPDevice.objects.filter(user=world.agent_sale).delete()
    sale_client.force_login(world.agent_sale)
    return world.agent_sale


def test_a_member_without_a_device_is_asked_to_enrol_with_a_qr_code(world, sale_client, agent_without_device):
    response = sale_client.get("/backoffice/")
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/2fa/?next=%2Fbackoffice%2F"

    response = sale_client.get(response["Location"])
    body = response.content.decode()
    assert response.status_code == 200
    assert tr("Set up two-factor authentication") in body
    device = TOTPDevice.objects.get(user=agent_without_device)
    assert not device.confirmed
    # The QR code is inline SVG, with no external image and no style attribute (the CSP forbids them).
    svg = re.search(r"<svg[^>]*>.*?</svg>", body, re.S)
    assert svg is not None
    assert "style=" not in svg.group(0)
    assert "<img" not in body.split('<main id="main"', 1)[1]
    # The key is shown in base32 for typing by hand.
    secret = b32encode(device.bin_key).decode().rstrip("=")
    assert secret[:4] in body
    assert secret.replace(" ", "") == "".join(re.search(r'<code dir="ltr">([A-Z2-7 ]+)</code>', body).group(1).split())


def test_reloading_the_enrolment_page_keeps_the_same_key(world, sale_client, agent_without_device):
    sale_client.get("/backoffice/2fa/")
    sale_client.get("/backoffice/2fa/")
    assert TOTPDevice.objects.filter(user=agent_without_device).count() == 1


def test_enrolment_is_confirmed_with_a_real_code(world, sale_client, agent_without_device):
    sale_client.get("/backoffice/2fa/?next=/backoffice/")
    device = TOTPDevice.objects.get(user=agent_without_device)

    response = sale_client.post("/backoffice/2fa/", {"token": code_for(device), "next": "/backoffice/"})

    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"
    device.refresh_from_db()
    assert device.confirmed
    dashboard = sale_client.get("/backoffice/")
    assert dashboard.status_code == 200
    assert "Karim Agent" in dashboard.content.decode()
    assert AuditEvent.all_communes.filter(action="staff.two_factor_enrolled", actor=agent_without_device,
                                          commune=world.sale).exists()


def test_enrolment_refuses_a_wrong_code_and_keeps_the_device_unconfirmed(world, sale_client, agent_without_device):
    sale_client.get("/backoffice/2fa/")
    device = TOTPDevice.objects.get(user=agent_without_device)
    response = sale_client.post("/backoffice/2fa/", {"token": wrong_code_for(device)})
    assert response.status_code == 200
    assert tr(WRONG_CODE) in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert sale_client.get("/backoffice/").status_code == 302


def test_a_member_with_a_device_gives_the_current_code(world, sale_client: Client):
    sale_client.force_login(world.head_sale)
    device = TOTPDevice.objects.get(user=world.head_sale)

    page = sale_client.get("/backoffice/2fa/?next=/backoffice/staff/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" not in body  # no new QR code once a device is confirmed
    assert 'name="next" value="/backoffice/staff/"' in body

    response = sale_client.post("/backoffice/2fa/", {"token": code_for(device), "next": "/backoffice/"})
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"
    assert sale_client.get("/backoffice/").status_code == 200
    assert AuditEvent.all_communes.filter(action="staff.two_factor_verified", actor=world.head_sale).exists()
    assert TOTPDevice.objects.filter(user=world.head_sale).count() == 1


def test_a_code_with_spaces_is_accepted(world, sale_client: Client):
    sale_client.force_login(world.head_sale)
    device = TOTPDevice.objects.get(user=world.head_sale)
    code = code_for(device)
    response = sale_client.post("/backoffice/2fa/", {"token": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302


def test_a_code_typed_with_arabic_indic_digits_is_accepted(world, sale_client: Client):
    sale_client.force_login(world.head_sale)
    device = TOTPDevice.objects.get(user=world.head_sale)
    arabic = code_for(device).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert sale_client.post("/backoffice/2fa/", {"token": arabic}).status_code == 302


def test_a_wrong_code_shows_an_inline_error_and_keeps_the_member_out(world, sale_client: Client):
    sale_client.force_login(world.head_sale)
    device = TOTPDevice.objects.get(user=world.head_sale)
    response = sale_client.post("/backoffice/2fa/", {"token": wrong_code_for(device)})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="field__error"' in body
    assert tr(WRONG_CODE) in body
    assert sale_client.get("/backoffice/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert AuditEvent.all_communes.filter(action="staff.two_factor_failed", actor=world.head_sale).exists()


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥", "12 34 5"])
def test_a_malformed_code_is_refused_without_counting_as_a_try(world, sale_client: Client, typed: str):
    sale_client.force_login(world.head_sale)
    response = sale_client.post("/backoffice/2fa/", {"token": typed})
    assert response.status_code == 200
    assert 'class="field__error"' in response.content.decode()
    assert TOTPDevice.objects.get(user=world.head_sale).throttling_failure_count == 0


def test_a_code_cannot_be_used_twice(world, sale_client: Client):
    device = TOTPDevice.objects.get(user=world.head_sale)
    code = code_for(device)
    sale_client.force_login(world.head_sale)
    assert sale_client.post("/backoffice/2fa/", {"token": code}).status_code == 302

    other = Client(HTTP_HOST="sale.localhost")
    other.force_login(world.head_sale)
    response = other.post("/backoffice/2fa/", {"token": code})
    assert response.status_code == 200
    assert tr(WRONG_CODE) in response.content.decode()


def test_right_after_a_wrong_code_the_next_try_must_wait(world, sale_client: Client):
    """django-otp's throttle: each wrong code doubles the wait before the next try is even checked."""
    sale_client.force_login(world.head_sale)
    device = TOTPDevice.objects.get(user=world.head_sale)
    sale_client.post("/backoffice/2fa/", {"token": wrong_code_for(device)})
    response = sale_client.post("/backoffice/2fa/", {"token": code_for(device)})
    assert response.status_code == 200
    assert tr("Wait a few seconds before trying another code.") in response.content.decode()
    assert sale_client.get("/backoffice/").status_code == 302


def test_five_wrong_codes_lock_the_second_factor_for_ten_minutes(world, sale_client: Client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no doubling wait between tries, to reach the lock in one test
    sale_client.force_login(world.head_sale)
    device = TOTPDevice.objects.get(user=world.head_sale)
    wrong = wrong_code_for(device)
    for _ in range(TOTP_MAX_FAILURES - 1):
        response = sale_client.post("/backoffice/2fa/", {"token": wrong})
        assert tr(WRONG_CODE) in response.content.decode()
    response = sale_client.post("/backoffice/2fa/", {"token": wrong})
    assert locked_message_start() in response.content.decode()

    # Even the right code is refused while the lock lasts, and it does not extend the count.
    response = sale_client.post("/backoffice/2fa/", {"token": code_for(device)})
    assert locked_message_start() in response.content.decode()
    assert sale_client.get("/backoffice/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == TOTP_MAX_FAILURES

    # Ten minutes later the right code works again and the count starts over.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=10, seconds=1)
    )
    response = sale_client.post("/backoffice/2fa/", {"token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_lock_is_per_user(world, sale_client: Client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    TOTPDevice.objects.filter(user=world.head_sale).update(
        throttling_failure_count=TOTP_MAX_FAILURES, throttling_failure_timestamp=timezone.now()
    )
    sale_client.force_login(world.agent_sale)
    device = TOTPDevice.objects.get(user=world.agent_sale)
    assert sale_client.post("/backoffice/2fa/", {"token": code_for(device)}).status_code == 302


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_an_outside_next_address_is_ignored(world, sale_client: Client, next_url: str):
    sale_client.force_login(world.head_sale)
    device = TOTPDevice.objects.get(user=world.head_sale)
    response = sale_client.post("/backoffice/2fa/", {"token": code_for(device), "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/"


def test_an_already_verified_member_goes_straight_on(world, sale_client: Client):
    login_staff(sale_client, world.head_sale)
    response = sale_client.get("/backoffice/2fa/?next=/backoffice/overview/")
    assert response.status_code == 302
    assert response["Location"] == "/backoffice/overview/"


def test_a_temara_member_cannot_verify_on_sales_site(world, sale_client: Client):
    sale_client.force_login(world.agent_temara)
    device = TOTPDevice.objects.get(user=world.agent_temara)
    response = sale_client.post("/backoffice/2fa/", {"token": code_for(device)})
    assert response.status_code == 403
    device.refresh_from_db()
    assert device.last_t == -1


def test_the_page_is_translated_in_french(world, sale_client: Client):
    sale_client.force_login(world.head_sale)
    response = sale_client.get("/fr/backoffice/2fa/")
    assert response.status_code == 200
    assert 'lang="fr" dir="ltr"' in response.content.decode()
