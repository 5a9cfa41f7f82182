"""The citizen's first visit, in Chromium on a 360 px phone: sign up in Arabic, read the code from the development
outbox, confirm, log out, log in, switch to French. At every step the page says its language and direction and
axe-core finds no serious or critical violation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jamaa.core.tests.browser import blocking_violations, lang_dir

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_NUMBER = "0661234567"
E164 = "+212661234567"
PASSWORD = "Tamazirt-Sale-2026"


def assert_page(page: Any, language: str, direction: str, step: str) -> None:
    assert lang_dir(page) == (language, direction), f"{step}: <html lang dir> at {page.url}"
    violations = blocking_violations(page)
    assert not violations, f"{step} at {page.url}:\n" + "\n".join(violations)


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form} [type=submit]").first.click()


def read_code_from_outbox(page: Any, site: Any) -> str:
    page.goto(site.commune("/dev/outbox/"))
    assert_page(page, "ar", "rtl", "development outbox")
    card = page.locator("li.card", has_text=E164).first
    match = re.search(r"(?<!\d)(\d{6})(?!\d)", card.inner_text())
    assert match, f"no 6-digit code in the message to {E164}: {card.inner_text()!r}"
    return match.group(1)


def test_a_citizen_signs_up_in_arabic_confirms_logs_in_and_switches_to_french(world: Any, site: Any,
                                                                               phone: Any) -> None:
    from jamaa.core.models import User

    page = phone.new_page()

    page.goto(site.commune("/accounts/signup/"))
    assert_page(page, "ar", "rtl", "sign-up form")
    page.fill("input[name=full_name]", "Amina Tazi")
    page.fill("input[name=identifier]", PHONE_NUMBER)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.select_option("select[name=language]", "ar")
    submit(page, "main form.form")

    assert page.url == site.commune("/accounts/verify/")
    assert_page(page, "ar", "rtl", "verification form")
    assert User.objects.get(phone=E164).contact_verified is False

    code = read_code_from_outbox(page, site)
    page.goto(site.commune("/accounts/verify/"))
    page.fill("input[name=code]", code)
    submit(page, "main form.form")

    assert page.url == site.commune("/accounts/profile/")
    assert_page(page, "ar", "rtl", "profile after confirmation")
    assert User.objects.get(phone=E164).contact_verified is True

    submit(page, "nav.site-nav form")  # the "log out" button of the navigation
    assert page.locator("nav.site-nav a[href='/accounts/login/']").count() == 1, "still logged in after logging out"
    assert_page(page, "ar", "rtl", "home after logging out")

    page.goto(site.commune("/accounts/login/"))
    assert_page(page, "ar", "rtl", "log-in form")
    page.fill("input[name=username]", PHONE_NUMBER)
    page.fill("input[name=password]", PASSWORD)
    submit(page, "main form.form")

    assert page.url == site.commune("/accounts/profile/")
    assert_page(page, "ar", "rtl", "profile after logging in")

    page.select_option("#lang-select", "fr")
    submit(page, "form.lang-switch")

    assert page.url == site.commune("/fr/accounts/profile/")
    assert_page(page, "fr", "ltr", "profile in French")
    assert User.objects.get(phone=E164).language == "fr", "the account does not remember the language chosen"
