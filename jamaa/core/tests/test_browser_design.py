"""The design system as a phone shows it (Chromium, 360 px wide): nothing wider than the screen in either direction,
the header laid out from the reading side, visible keyboard focus, light pages, keyboard-scrollable wide tables."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.translation import check_for_language

from conftest import host_client, login_staff
from jamaa.core.tests.browser import lang_dir, share_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DIRECTIONS = {"ar": "rtl", "fr": "ltr", "zgh": "ltr"}
PAGE_BUDGET_BYTES = 100_000

OUTSIDE_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const selectors = ".brand, .lang-switch select, .lang-switch button, .site-nav a, .site-nav button, "
    + "main input, main select, main textarea, main button, main .button, main h1";
  return [...document.querySelectorAll(selectors)]
    .filter(e => e.offsetParent !== null && !e.closest(".table-wrap"))
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.left < -0.5 || r.right > width + 0.5)
    .map(([e, r]) => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
}"""


def prefixed(path: str, language: str) -> str:
    return path if language == "ar" else f"/{language}{path}"


def needs_catalogue(language: str) -> None:
    if not check_for_language(language):
        pytest.skip(f"no {language} translation catalogue yet: /{language}/ pages answer 404 until it exists")


@pytest.mark.parametrize("language", list(DIRECTIONS))
def test_header_navigation_and_forms_fit_a_360_px_phone(language: str, world: Any, site: Any, phone: Any) -> None:
    needs_catalogue(language)
    page = phone.new_page()
    for path in ("/", "/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"):
        page.goto(site.commune(prefixed(path, language)))
        assert lang_dir(page) == (language, DIRECTIONS[language])
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{page.url} scrolls sideways"
        assert page.evaluate(OUTSIDE_THE_SCREEN) == [], page.url

    # A sign-up with mistakes: the errors appear next to the fields and still fit the screen.
    page.goto(site.commune(prefixed("/accounts/signup/", language)))
    page.fill("input[name=full_name]", "Amina Tazi")
    page.fill("input[name=identifier]", "0512")
    with page.expect_navigation():
        page.locator("main form.form [type=submit]").first.click()
    assert page.locator(".field--error").count() >= 1
    assert page.input_value("input[name=identifier]") == "0512"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(OUTSIDE_THE_SCREEN) == []


@pytest.mark.parametrize(("language", "side"), [("ar", "right"), ("fr", "left")])
def test_the_header_starts_on_the_reading_side(language: str, side: str, world: Any, site: Any, phone: Any) -> None:
    page = phone.new_page()
    page.goto(site.commune(prefixed("/", language)))

    brand = page.locator(".brand").bounding_box()
    first_nav_link = page.locator(".site-nav li").first.bounding_box()
    assert brand is not None and first_nav_link is not None
    if side == "right":
        assert brand["x"] + brand["width"] > 300 and first_nav_link["x"] + first_nav_link["width"] > 300
    else:
        assert brand["x"] < 60 and first_nav_link["x"] < 60


def test_keyboard_focus_is_visible_from_the_skip_link_on(world: Any, site: Any, phone: Any) -> None:
    page = phone.new_page()
    page.goto(site.commune("/"))

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link stays off screen"
    for _ in range(3):
        style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                              "getComputedStyle(document.activeElement).outlineWidth")
        assert style == "solid 3px", (page.evaluate("document.activeElement.outerHTML"), style)
        page.keyboard.press("Tab")


@pytest.mark.parametrize("path", ["/", "/accounts/signup/", "/accounts/login/"])
def test_a_citizen_page_weighs_less_than_100_kb_and_loads_no_htmx(path: str, world: Any, site: Any,
                                                                   phone: Any) -> None:
    page = phone.new_page()
    loaded: list[str] = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    page.goto(site.commune(path))
    page.wait_for_load_state("load")

    transferred = page.evaluate("""() => performance.getEntriesByType("navigation")
        .concat(performance.getEntriesByType("resource"))
        .reduce((sum, entry) => sum + entry.transferSize, 0)""")
    assert 0 < transferred < PAGE_BUDGET_BYTES
    assert not [url for url in loaded if "htmx" in url]
    assert not [url for url in loaded if "font" in url or url.endswith((".woff", ".woff2", ".ttf"))]


def test_a_wide_table_on_a_phone_scrolls_in_a_named_focusable_region(world: Any, site: Any, phone: Any) -> None:
    from jamaa.core import audit, tenancy

    with tenancy.scope(world.sale):
        for reason in ("Residence certificate request", "Birth certificate copy", "Complaint follow-up"):
            audit.record_personal_data_access(actor=world.agent_sale, commune=world.sale, subject=world.citizen_sale,
                                              target=world.citizen_sale, reason=reason, fields=["full_name", "phone"])
    client = host_client("sale.localhost")
    login_staff(client, world.admin_sale)
    share_session(phone, client)
    page = phone.new_page()
    page.goto(site.commune("/backoffice/audit/"))

    wraps = page.evaluate("""() => [...document.querySelectorAll(".table-wrap")].map(w => ({
        overflows: w.scrollWidth > w.clientWidth, tabindex: w.getAttribute("tabindex"), role: w.getAttribute("role"),
        named: Boolean(w.getAttribute("aria-label") || w.getAttribute("aria-labelledby"))}))""")
    assert any(w["overflows"] for w in wraps), "the audit log should be wider than a phone"
    for wrap in wraps:
        if wrap["overflows"]:
            assert wrap["tabindex"] == "0" and wrap["role"] == "region" and wrap["named"], wrap
    page.focus(".table-wrap[tabindex='0']")
    page.keyboard.press("ArrowLeft")  # the page is right-to-left: the rest of the table is on the left
    # Polled with evaluate(): wait_for_function() compiles its predicate with eval, which our CSP refuses.
    scrolled = 0.0
    for _attempt in range(30):
        scrolled = page.evaluate("() => Math.abs(document.querySelector('.table-wrap[tabindex]').scrollLeft)")
        if scrolled > 0:
            break
        page.wait_for_timeout(100)
    assert scrolled > 0, "the arrow key did not scroll the focused table"
