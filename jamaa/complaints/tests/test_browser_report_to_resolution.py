"""A report followed from filing to resolution in Chromium, as people use it.

Salé's citizen, logged in, on a 360 px phone in Arabic: describes the problem, picks a category, taps the map for the
pin, attaches a phone photo (a JPEG carrying its GPS position in EXIF) and sends; the receipt shows the reference.
The stored photo has no EXIF left: the place is the pin. The citizen's page says "Received" with the legal answer
date. The hygiene agent, in another browser, acknowledges the complaint in the back office, then marks it resolved
with an answer. The citizen's page then shows "Resolved", the answer and the rating form; the citizen rates it 5 and
is thanked. The citizen got an SMS at filing and at the answer. A visitor without cookies sees the report resolved
with its photo, and neither the citizen's name nor their number.

On every citizen page: no script or style refused by the Content Security Policy (nor any other console error),
nothing serious for axe-core, nothing scrolling sideways at 360 px.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from PIL import Image

from conftest import host_client, login_staff
from jamaa.complaints.models import Complaint, ComplaintState, LocationSource, Photo
from jamaa.complaints.tests.filing_helpers import photo_with_gps, tr
from jamaa.core import tenancy
from jamaa.core.tests.browser import (  # noqa: F401 - chromium, phone, site are fixtures used by this module
    PHONE_VIEWPORT,
    blocking_violations,
    chromium,
    lang_dir,
    phone,
    share_session,
    site,
)
from jamaa.core.tests.test_a11y_pages import TOO_WIDE_JS
from jamaa.notifications.models import OutboundMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESCRIPTION = "الحاوية ديال الأزبال مهرسة والزبل طايح فالأرض قدام الدار"
ANSWER = "تم تعويض الحاوية المكسورة وتنظيف المكان صباح اليوم. شكرا على التبليغ."
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
EXIF_LON = -(6 + 51 / 60)  # where photo_with_gps() says the photo was taken


def path(name: str, **kwargs: Any) -> str:
    """A page's path in Arabic (the default language: no prefix)."""
    with translation.override("ar"):
        return reverse(name, kwargs=kwargs or None)


def words(text: str) -> str:
    return " ".join(text.split())


def watch_console(context: Any) -> list[str]:
    """Every console error of the context's pages (a CSP refusal is one), as they come."""
    errors: list[str] = []
    context.on("console", lambda message: errors.append(f"{message.location.get('url', '')}: {message.text}")
               if message.type == "error" else None)
    return errors


def check_phone_page(page: Any) -> None:
    """What every page the citizen sees must pass: Arabic, right to left, axe-core, nothing wider than the phone."""
    assert lang_dir(page) == ("ar", "rtl")
    violations = blocking_violations(page)
    assert not violations, f"{page.url}\n" + "\n".join(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"], \
        f"{page.url}: " + ", ".join(page.evaluate(TOO_WIDE_JS))


def the_complaint() -> Complaint:
    with tenancy.unscoped():
        return Complaint.all_communes.select_related("case", "category").get()


def state_on_public_page(page: Any) -> tuple[str | None, str]:
    """The state the page gives (stored value, words as read aloud: the symbol beside them is aria-hidden)."""
    badge = page.locator(".report-status .report-state")
    said = badge.evaluate("""badge => [...badge.childNodes]
        .filter(node => !(node.nodeType === 1 && node.getAttribute("aria-hidden") === "true"))
        .map(node => node.textContent).join("")""")
    return badge.get_attribute("data-state"), words(said)


@pytest.fixture
def staff_context(chromium: Any) -> Iterator[Any]:  # noqa: F811
    """A second browser: the back office on a desktop screen."""
    context = chromium.new_context(viewport=DESKTOP_VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def visitor_context(chromium: Any) -> Iterator[Any]:  # noqa: F811
    """A third browser: someone without an account or cookies, on a phone."""
    context = chromium.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


def test_a_citizen_reports_a_problem_with_photo_and_pin_and_follows_it_to_resolution(
        cworld: Any, settings: Any, tmp_path: Any, site: Any, phone: Any,  # noqa: F811
        staff_context: Any, visitor_context: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()  # rate limits and cached figures of earlier tests
    citizen = cworld.w.citizen_sale
    assert citizen.language == "ar" and citizen.phone == "+212612345678"
    category = cworld.category("dechets-conteneur")
    assert not category.questions and category.department == cworld.sale_hygiene

    # A photo as a phone takes it: EXIF with the camera and the GPS position of where it was taken.
    photo_file = tmp_path / "IMG_20260314_0931.jpg"
    photo_file.write_bytes(photo_with_gps(photo_file.name, size=(800, 600)).read())
    with Image.open(photo_file) as original:
        assert original.getexif().get_ifd(0x8825), "the photo sent carries a GPS position"

    citizen_client = host_client("sale.localhost")
    citizen_client.force_login(citizen)
    share_session(phone, citizen_client)
    citizen_errors = watch_console(phone)
    page = phone.new_page()

    # --- 1. Filing, in Arabic on a phone --------------------------------------------------------------------------
    page.goto(site.commune(path("complaints:new", kind="report")))
    check_phone_page(page)
    assert page.locator(".leaflet-container").count() == 1  # the script drew the map
    page.fill("#id_description", DESCRIPTION)
    # The categories suggested while typing come (the citizen picks one in the list all the same).
    page.locator(f'#suggestions button.suggestion[data-category="{category.pk}"]').wait_for()
    page.select_option("#id_category", str(category.pk))
    page.locator("#place-map").click()  # a tap in the middle of the map, inside Salé's outline
    assert words(page.locator("[data-pin-status]").inner_text()) == tr(
        "The pin is on the place. Tap elsewhere or drag it to move it.")
    assert page.locator(".leaflet-marker-icon").count() == 1
    assert page.input_value("#id_location_source") == "pin"
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert 33.98 < lat < 34.10 and -6.86 < lon < -6.72, (lat, lon)
    page.set_input_files("#id_photos", str(photo_file))
    assert page.evaluate("document.getElementById('id_photos').files.length") == 1
    # The category's questions came (none for this one) and the form knows which category they were for.
    page.locator(f'#questions input[name="questions_for"][value="{category.pk}"]').wait_for(state="attached")
    assert page.locator("#questions :is(input:not([type=hidden]), select, textarea)").count() == 0
    check_phone_page(page)

    with page.expect_navigation():
        page.locator('button[name="action"][value="submit"]').click()
    complaint = the_complaint()
    reference = complaint.case.reference
    assert page.url == site.commune(path("complaints:filed", reference=reference))
    assert words(page.locator("h1").inner_text()) == tr("Your complaint is received")
    assert reference in page.locator(".receipt__facts").inner_text()
    check_phone_page(page)

    # What was stored: the pin's place, the category, the citizen; one photo, re-encoded without its EXIF.
    assert complaint.case.citizen_id == citizen.pk and complaint.category_id == category.pk
    assert complaint.description == DESCRIPTION
    assert abs(complaint.lat - lat) < 1e-6 and abs(complaint.lon - lon) < 1e-6
    assert complaint.location_source == LocationSource.PIN
    # The photo was taken at 34°2'24"N 6°51'W (34.04, -6.85): the complaint is where the pin is, not there.
    assert abs(complaint.lon - EXIF_LON) > 0.01
    assert complaint.case.department_id == cworld.sale_hygiene.pk
    assert complaint.state == ComplaintState.RECEIVED
    with tenancy.unscoped():
        [photo] = Photo.all_communes.select_related("attachment").filter(complaint=complaint)
        with photo.attachment.file.open("rb") as stored:
            data = stored.read()
    with Image.open(io.BytesIO(data)) as kept:
        assert kept.format == "JPEG" and kept.size == (800, 600) == (photo.width, photo.height)
        assert not kept.getexif(), "no EXIF left: no GPS position, no camera"
    assert b"PhoneMaker" not in data

    # --- 2. The citizen follows it ---------------------------------------------------------------------------------
    detail = site.commune(path("reports:detail", reference=reference))
    page.goto(detail)
    assert state_on_public_page(page) == ("received", tr("Received"))
    with translation.override("ar"):
        legal_date = date_format(complaint.legal_due, "DATE_FORMAT")
    assert tr("Legal answer date") in words(page.locator(".report-status").inner_text())
    due = page.locator(f'.report-status time[datetime="{complaint.legal_due:%Y-%m-%d}"]')
    assert words(due.inner_text()) == words(legal_date)
    assert page.locator("#rate").count() == 0  # nothing to rate before an answer
    check_phone_page(page)

    # --- 3. The hygiene agent acknowledges, then resolves, in the back office --------------------------------------
    share_session(staff_context, login_staff(host_client("sale.localhost"), cworld.hygiene_agent))
    staff_errors = watch_console(staff_context)
    office = staff_context.new_page()
    office.goto(site.commune(path("complaints_staff:detail", reference=reference)))
    assert reference in office.locator("h1").inner_text()
    assert words(office.locator("h1 .badge").inner_text()) == tr("Received")
    assert citizen.full_name in office.locator("main").inner_text()  # staff see who filed it; the public will not

    office.locator("details:has(#move-acknowledge) > summary").click()
    with office.expect_navigation():
        office.locator("#move-acknowledge").get_by_role("button", name=tr("Acknowledge"), exact=True).click()
    assert words(office.locator("h1 .badge").inner_text()) == tr("Acknowledged")
    assert the_complaint().state == ComplaintState.ACKNOWLEDGED

    office.locator("details:has(#move-resolve) > summary").click()
    office.locator("#id_resolve-text").fill(ANSWER)
    with office.expect_navigation():
        office.locator("#move-resolve").get_by_role("button", name=tr("Mark as resolved"), exact=True).click()
    assert words(office.locator("h1 .badge").inner_text()) == tr("Resolved")
    assert words(ANSWER) in words(office.locator("main").inner_text())
    complaint = the_complaint()
    assert complaint.state == ComplaintState.RESOLVED and complaint.answer == ANSWER
    assert staff_errors == [], staff_errors

    # --- 4. The citizen reads the answer and rates it --------------------------------------------------------------
    page.reload()
    assert state_on_public_page(page) == ("resolved", tr("Resolved"))
    answer = page.locator('section[aria-labelledby="answer-title"]')
    assert words(answer.locator("h2").inner_text()) == tr("The commune's answer")
    assert words(answer.locator("p").inner_text()) == words(ANSWER)
    assert page.locator('#rate input[name="rating"]').count() == 5
    check_phone_page(page)

    page.locator('#rate input[name="rating"][value="5"]').check()
    with page.expect_navigation():
        page.locator("#rate button[type=submit]").click()
    assert page.url == detail
    assert tr("Thank you for rating the answer.") in words(page.locator("main").inner_text())
    assert page.locator("#rate").count() == 0  # rated once
    thanks = re.sub(r"<[^>]+>", "", tr("You rated the answer <bdi>%(rating)s</bdi> out of 5. Thank you.", rating=5))
    assert thanks in words(page.locator("main").inner_text())
    with tenancy.unscoped():
        complaint.case.refresh_from_db()
    assert complaint.case.rating == 5
    check_phone_page(page)

    # The citizen was told by SMS when the complaint was received and when it was answered.
    sent = set(OutboundMessage.objects.filter(recipient=citizen.phone).values_list("template", flat=True))
    assert {"complaint_received", "complaint_resolved"} <= sent, sent
    assert all(reference in m.body for m in OutboundMessage.objects.filter(
        recipient=citizen.phone, template__in=["complaint_received", "complaint_resolved"]))
    assert citizen_errors == [], citizen_errors

    # --- The public page, for anyone -------------------------------------------------------------------------------
    assert visitor_context.cookies() == []
    visitor_errors = watch_console(visitor_context)
    public = visitor_context.new_page()
    public.goto(detail)
    assert state_on_public_page(public) == ("resolved", tr("Resolved"))
    assert words(ANSWER) in words(public.locator("main").inner_text())
    assert public.locator("#rate").count() == 0  # only the filer rates
    image = public.locator(".report-photos img")
    assert image.count() == 1
    image.scroll_into_view_if_needed()
    public.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    html = public.content()
    check_phone_page(public)
    # The link opens the full size (fetched by the page: Chromium's own viewer of a bare image styles itself inline,
    # which the site's CSP refuses, and that is not one of our pages).
    full = public.evaluate("""async link => {
        const response = await fetch(link.href);
        const bytes = new Uint8Array(await response.arrayBuffer());
        const markers = [];  // the JPEG's segments up to the image data: APP1 (0xE1) would hold EXIF
        for (let at = 2; at + 3 < bytes.length && bytes[at] === 0xFF && bytes[at + 1] !== 0xDA;
             at += 2 + (bytes[at + 2] << 8 | bytes[at + 3])) markers.push(bytes[at + 1]);
        return {status: response.status, type: response.headers.get("content-type"),
                jpeg: bytes[0] === 0xFF && bytes[1] === 0xD8 && markers.length > 0, exif: markers.includes(0xE1)};
    }""", image.locator("xpath=ancestor::a").element_handle())
    assert full == {"status": 200, "type": "image/jpeg", "jpeg": True, "exif": False}, full
    for private in (citizen.full_name, "Fatima", "Bennani", citizen.phone, "0612345678", "612345678",
                    "06 12 34 56 78"):
        assert private not in html, f"the public page shows {private!r}"
    assert visitor_errors == [], visitor_errors
