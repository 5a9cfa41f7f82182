"""Filing a report in Chromium on a 360 px phone, in Arabic, with JavaScript: the category suggested while typing is
picked and its questions appear, a tap on the map sets the pin, the report already filed there shows up with its
support button, the phone number is confirmed with its code in place, and one tap on "Send" files the complaint.
No script or style is refused by the Content Security Policy, nothing scrolls sideways, axe-core finds nothing
serious."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from jamaa.complaints import services
from jamaa.complaints.models import Complaint
from jamaa.complaints.tests.filing_helpers import sms_code, tr
from jamaa.core import tenancy
from jamaa.core.tests.browser import (  # noqa: F401 - chromium, phone, site are fixtures used by this module
    PHONE_VIEWPORT,
    blocking_violations,
    chromium,
    lang_dir,
    phone,
    site,
)
from jamaa.core.tests.test_a11y_pages import TOO_WIDE_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUBBISH = "الأزبال متراكمة والشاحنة ما دازتش هاد السيمانة"


def test_a_visitor_files_a_report_with_the_map_and_a_confirmed_phone(cworld: Any, settings: Any, tmp_path: Any,
                                                                     site: Any, phone: Any) -> None:  # noqa: F811
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()
    category = cworld.category("dechets-non-collectes")
    with tenancy.unscoped():
        # The map opens on the outline's centre (34.04, -6.79): a report already filed a few metres away.
        existing = services.complaint_submit(commune=cworld.w.sale, category=category, lat=34.0401, lon=-6.79,
                                             description="زبل بزاف حدا المدرسة", anonymous=True)
    page = phone.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)

    page.goto(site.commune("/complaints/new/report/"))
    assert lang_dir(page) == ("ar", "rtl")
    assert page.locator("#place-map").is_visible()  # the script shows the map
    assert page.locator(".leaflet-container").count() == 1

    # Typing the problem suggests its category; a tap chooses it and brings its questions.
    page.fill("#id_description", RUBBISH)
    suggestion = page.locator(f'button.suggestion[data-category="{category.pk}"]')
    suggestion.wait_for()
    suggestion.click()
    assert page.input_value("#id_category") == str(category.pk)
    page.locator('input[name="q__size"]').first.wait_for()
    assert page.input_value('input[name="questions_for"]') == str(category.pk)
    page.locator('input[name="q__size"][value="large"]').check()

    # A tap on the map sets the pin; the report already there is offered for support.
    page.locator("#place-map").click()
    assert page.locator("[data-pin-status]").inner_text().strip() == tr(
        "The pin is on the place. Tap elsewhere or drag it to move it.")
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert abs(lat - 34.04) < 0.01 and abs(lon + 6.79) < 0.01
    assert page.input_value("#id_location_source") == "pin"
    page.locator("#nearby .nearby").wait_for()
    assert existing.case.reference in page.locator("#nearby").inner_text()
    assert page.locator(f"#support-forms form#support-{existing.case.reference}").count() == 1

    # Follow-up by SMS: the code is sent and checked without leaving the page.
    page.locator('input[name="follow"][value="contact"]').check()
    assert page.locator('[data-follow-part="anonymous"]').is_hidden()
    page.fill("#id_contact", "0661234567")
    page.locator('button[value="send_code"]').click()
    page.locator("#id_code").wait_for()
    assert page.input_value("#id_description") == RUBBISH  # nothing else was touched
    page.fill("#id_code", sms_code("+212661234567"))
    page.locator('button[value="check_code"]').click()
    page.locator("#contact-box .notice--success").wait_for()

    violations = blocking_violations(page)
    assert not violations, "\n".join(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"], \
        ", ".join(page.evaluate(TOO_WIDE_JS))

    with page.expect_navigation():
        page.locator('button[name="action"][value="submit"]').click()
    with tenancy.unscoped():
        complaint = Complaint.all_communes.select_related("case").exclude(pk=existing.pk).get()
    assert page.url.endswith(f"/complaints/filed/{complaint.case.reference}/")
    assert complaint.case.reference in page.locator("h1 ~ dl").inner_text()
    assert page.locator(".tracking-code__value").is_visible()
    violations = blocking_violations(page)
    assert not violations, "\n".join(violations)
    assert complaint.category == category and complaint.answers == {"size": "large"}
    assert complaint.case.applicant_phone == "+212661234567"
    assert abs(complaint.lat - lat) < 1e-6 and abs(complaint.lon - lon) < 1e-6
    assert refused == [], refused
