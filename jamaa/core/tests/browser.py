"""Browser test support: Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.

The browser is Debian's /usr/bin/chromium (`apt-get install chromium`): no browser is ever downloaded. Pages are
opened on a 360 px wide viewport, the narrowest phone the design system supports. The live server listens on
localhost:<port>; Chromium resolves every *.localhost name to the loopback address, so http://sale.localhost:<port>/
reaches it with the Host header of the Salé commune (its CommuneHost in the test world).

The fixtures (chromium, phone, site) are made available to the tests of this folder by conftest.py; the helpers
(share_session, blocking_violations, lang_dir) are imported from here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE_VIEWPORT = {"width": 360, "height": 780}
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module."""
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: run `apt-get install -y chromium` (the browser tests use Debian's).")
    # Playwright's sync API keeps an asyncio loop on the test's thread; the ORM calls that the tests make between
    # browser steps would otherwise trip Django's guard against synchronous queries inside an event loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) with a 360 px wide viewport, as a cheap phone shows pages."""
    context = chromium.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@dataclass(frozen=True)
class Site:
    """Addresses of the live server under the test world's host names."""

    port: int

    def commune(self, path: str = "/", host: str = "sale.localhost") -> str:
        return f"http://{host}:{self.port}{path}"

    def platform(self, path: str = "/") -> str:
        return f"http://localhost:{self.port}{path}"


@pytest.fixture
def site(live_server: Any, settings: Any) -> Site:
    """The live server, with the development outbox page on (the browser reads verification codes there)."""
    settings.DEV_OUTBOX_PAGE = True
    return Site(port=int(live_server.url.rsplit(":", 1)[1]))


def share_session(context: Any, client: Any, host: str = "sale.localhost") -> None:
    """Give the browser the session of a Django test client (force_login, login_staff, a half-done sign-up…)."""
    from django.conf import settings

    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    assert cookie is not None, "the test client has no session to share"
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "domain": host, "path": "/",
                          "httpOnly": True, "sameSite": "Lax"}])


def blocking_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable line each (empty when it passes)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING_IMPACTS:
            targets = ", ".join(str(node.get("target")) for node in violation.get("nodes", [])[:5])
            lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return lines


def lang_dir(page: Any) -> tuple[str | None, str | None]:
    html = page.locator("html")
    return html.get_attribute("lang"), html.get_attribute("dir")
