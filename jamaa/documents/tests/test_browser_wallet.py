"""The citizen's wallet in Chromium on a 360 px phone, in Arabic: log in, open "My documents", download the act's PDF,
then show its QR code full-screen — the code fits the screen without sideways scrolling and a QR reader decodes,
from a screenshot of the page, exactly the text the act carries."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD
from jamaa.core.tests.browser import (  # noqa: F401 - chromium, phone, site are fixtures used by this module
    PHONE_VIEWPORT,
    blocking_violations,
    chromium,
    lang_dir,
    phone,
    site,
)
from jamaa.core.tests.test_a11y_pages import TOO_WIDE_JS
from jamaa.documents.models import DocumentEvent, DocumentEventKind, VerificationChannel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_page(page: Any, step: str, violations: list[str]) -> None:
    assert lang_dir(page) == ("ar", "rtl"), f"{step}: <html lang dir> at {page.url}"
    assert page.locator("h1").count() == 1, f"{step}: exactly one <h1>"
    found = blocking_violations(page)
    if found:
        violations.append(f"{step} at {page.url}:\n  " + "\n  ".join(found))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], (
        f"{step}: scrolls sideways ({width} px); too wide: " + ", ".join(page.evaluate(TOO_WIDE_JS)))


def off_the_event_loop(function: Any) -> Any:
    """`function()` run on another thread: Playwright's sync API keeps an asyncio loop on the test's thread, and
    sealing the PDF (pyHanko) runs its own loop, which cannot start inside another one."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def run() -> Any:
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_a_citizen_downloads_her_act_and_presents_its_qr_code_on_her_phone(
        issue_act: Any, arabic_citizen: Any, site: Any, phone: Any) -> None:  # noqa: F811
    import zxingcpp
    from PIL import Image

    document = off_the_event_loop(issue_act)
    violations: list[str] = []
    page = phone.new_page()

    # She logs in with her mobile number, in Arabic (unprefixed addresses).
    page.goto(site.commune("/accounts/login/"))
    page.fill("input[name=username]", arabic_citizen.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    # "My documents" from the menu.
    with page.expect_navigation():
        page.locator("nav.site-nav a[href='/documents/']").click()
    assert page.url == site.commune("/documents/")
    check_page(page, "my documents", violations)
    assert document.reference in page.locator("main").inner_text()

    # The PDF downloads, named after the reference, and the download is logged.
    with page.expect_download() as info:
        page.locator(f"main a[href='/documents/{document.reference}/pdf/']").first.click()
    download = info.value
    assert download.suggested_filename == f"{document.reference}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    event = DocumentEvent.all_communes.get(document=document, kind=DocumentEventKind.DOWNLOADED)
    assert event.channel == VerificationChannel.WALLET and event.actor == arabic_citizen

    # The act's page, then its QR code full-screen.
    with page.expect_navigation():
        page.locator(f"main a[href='/documents/{document.reference}/']").first.click()
    check_page(page, "the act's page", violations)
    with page.expect_navigation():
        page.locator(f"main a[href='/documents/{document.reference}/qr/']").first.click()
    check_page(page, "QR code full-screen", violations)
    box = page.locator("svg.wallet-qr__code").bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_VIEWPORT["width"], box
    assert box["y"] + box["height"] <= PHONE_VIEWPORT["height"], f"the code does not fit the screen: {box}"
    assert box["width"] >= 300, f"the code should fill the phone's width: {box}"
    assert document.reference in page.locator("main").inner_text()

    shot = Image.open(io.BytesIO(page.screenshot()))
    decoded = [result.text for result in zxingcpp.read_barcodes(shot)]
    assert decoded == [document.qr_url], decoded

    assert not violations, "axe-core found serious or critical violations:\n" + "\n".join(violations)
