"""Verifying an act in Chromium on a 360 px phone, as a counter clerk would: the QR code of a residence certificate
opens its verdict in Arabic with the holder's name, and the language switch turns the same address French; then the
act's PDF uploaded on the French /verify/ page gives the French verdict with the seal. Every page says its language
and direction, never scrolls sideways and passes axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation

from jamaa.core.tests.browser import (  # noqa: F401 - chromium, phone, site are fixtures used by this module
    PHONE_VIEWPORT,
    blocking_violations,
    chromium,
    lang_dir,
    phone,
    site,
)
from jamaa.core.tests.test_a11y_pages import TOO_WIDE_JS
from jamaa.documents.models import DocumentEvent
from jamaa.documents.tests.conftest import HOLDER_AR
from jamaa.documents.tests.verify_helpers import issue_on_a_thread, qr_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def said(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def assert_readable_on_a_phone(page: Any, language: str, direction: str) -> None:
    assert lang_dir(page) == (language, direction)
    violations = blocking_violations(page)
    assert not violations, "\n".join(violations)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], ", ".join(page.evaluate(TOO_WIDE_JS))


def test_a_clerk_scans_the_qr_then_checks_the_pdf(
        world: Any, procedures: Any, arabic_citizen: Any, documents_root: Any, site: Any, phone: Any) -> None:  # noqa: F811
    cache.clear()
    document = issue_on_a_thread(world, citizen=arabic_citizen)
    pdf = document.pdf.read()
    page = phone.new_page()

    # The QR code's address, on this server: the path is what the phone's camera opens.
    response = page.goto(site.commune(qr_path(document)))
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text().strip() == said("ar", "Authentic and valid")
    assert page.locator(".verify-holder").inner_text().strip() == HOLDER_AR
    assert page.get_by_text(document.reference, exact=True).is_visible()
    assert_readable_on_a_phone(page, "ar", "rtl")

    # The language switch keeps the same address (no /fr/ prefix, no redirect to another page).
    page.select_option("#lang-select", "fr")
    with page.expect_navigation():
        page.locator(".lang-switch button").click()
    assert page.url == site.commune(qr_path(document))
    assert page.locator("h1").inner_text().strip() == said("fr", "Authentic and valid")
    assert_readable_on_a_phone(page, "fr", "ltr")

    # The PDF, uploaded on the French page.
    page.goto(site.commune("/fr/verify/"))
    assert_readable_on_a_phone(page, "fr", "ltr")
    page.set_input_files("input[name=pdf]", files=[{"name": "certificat.pdf", "mimeType": "application/pdf",
                                                    "buffer": pdf}])
    with page.expect_navigation():
        page.get_by_role("button", name=said("fr", "Check the file")).click()
    assert page.locator("h1").inner_text().strip() == said("fr", "Authentic and valid")
    assert page.locator(".verify-holder").inner_text().strip() == HOLDER_AR
    assert page.get_by_role("heading", name=said("fr", "Electronic seal of the file")).is_visible()
    assert_readable_on_a_phone(page, "fr", "ltr")

    channels = list(DocumentEvent.all_communes.filter(document=document, kind="verified")
                    .order_by("pk").values_list("channel", "actor_id"))
    assert channels == [("qr", None), ("qr", None), ("pdf", None)]
