"""A residence-certificate request from start to approval, in Chromium on a 360 px phone.

The citizen works in Arabic (unprefixed addresses): the procedure's page, the request form with a real PDF as proof
of address, the receipt with the commune's first reference of the year; an agent of the état civil (another browser
context) returns the request for completion listing what is missing; the citizen sees it returned with the missing
items, adds the lease and sends it again; the agent approves; the citizen sees the approval. At every citizen step
the page says lang="ar" dir="rtl", shows the state in Arabic and axe-core finds no serious or critical violation; the
form and the request's page never scroll sideways at 360 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from conftest import host_client, login_staff
from jamaa.cases.models import CaseState
from jamaa.cases.tests.service_fixtures import PDF_BYTES, png_bytes
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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDRESS = "12 زنقة البرتقال، حي السلام"


def state_label(state: str) -> str:
    """The state's name as an Arabic reader sees it (the catalogue's translation, or the msgid until it has one)."""
    with translation.override("ar"):
        return str(CaseState(state).label)


class Journey:
    """Checks made on every page a person sees; accessibility findings are collected and reported together."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def check(self, page: Any, step: str, *, language: str = "ar", direction: str = "rtl",
              no_sideways_scroll: bool = False) -> None:
        assert lang_dir(page) == (language, direction), f"{step}: <html lang dir> at {page.url}"
        assert page.locator("h1").count() == 1, f"{step}: exactly one <h1> at {page.url}"
        found = blocking_violations(page)
        if found:
            self.violations.append(f"{step} at {page.url}:\n  " + "\n  ".join(found))
        if no_sideways_scroll:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE_VIEWPORT["width"], (
                f"{step}: the page scrolls sideways ({width} px) at {page.url}; too wide: "
                + ", ".join(page.evaluate(TOO_WIDE_JS)))


def submit(page: Any, button: Any) -> None:
    with page.expect_navigation():
        button.click()


def shown_state(page: Any) -> str:
    """The state in the request's facts (the badge next to "State")."""
    return page.locator(".case-facts .badge").first.inner_text().strip()


def choose(page: Any, name: str, value: str) -> None:
    """Pick a choice whether the form shows it as radio buttons or as a list."""
    radio = page.locator(f"input[type=radio][name={name}][value={value}]")
    if radio.count():
        radio.check()
    else:
        page.select_option(f"select[name={name}]", value)


@pytest.fixture
def files(tmp_path: Path, settings: Any) -> dict[str, Path]:
    """Real files on disk for the browser to attach; attachments are stored under the test's directory."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    proof = tmp_path / "justificatif.pdf"
    proof.write_bytes(PDF_BYTES)
    lease = tmp_path / "bail.png"
    lease.write_bytes(png_bytes((40, 30)))
    return {"proof": proof, "lease": lease}


def test_a_citizen_requests_a_residence_certificate_is_returned_completes_it_and_is_approved(
        world: Any, procedures: Any, site: Any, chromium: Any, files: dict[str, Path]) -> None:  # noqa: F811
    from jamaa.cases.models import Case
    from jamaa.core import tenancy

    journey = Journey()
    citizen_context = chromium.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=1)
    staff_context = chromium.new_context(viewport=PHONE_VIEWPORT, device_scale_factor=1)
    try:
        for context in (citizen_context, staff_context):
            context.set_default_timeout(15_000)
        citizen_client = host_client("sale.localhost")
        citizen_client.force_login(world.citizen_sale)
        share_session(citizen_context, citizen_client)
        share_session(staff_context, login_staff(host_client("sale.localhost"), world.agent_sale))
        citizen = citizen_context.new_page()
        agent = staff_context.new_page()

        # The procedure's public page, in Arabic, invites to make the request online.
        citizen.goto(site.commune("/procedures/residence-certificate/"))
        journey.check(citizen, "procedure page")
        submit(citizen, citizen.locator("main a[href='/procedures/residence-certificate/request/']").first)

        # The request form: every required answer, the proof of address as a real PDF.
        assert citizen.url == site.commune("/procedures/residence-certificate/request/")
        journey.check(citizen, "request form", no_sideways_scroll=True)
        with tenancy.scope(world.sale):
            from jamaa.core.models import Arrondissement

            arrondissement = Arrondissement.objects.order_by("position").first()
        citizen.select_option("select[name=arrondissement]", str(arrondissement.pk))
        citizen.fill("[name=address]", ADDRESS)
        citizen.fill("input[name=cin]", "ab123456")
        citizen.fill("input[name=since]", "2015-06-01")
        choose(citizen, "purpose", "work")
        choose(citizen, "owner", "no")
        citizen.set_input_files("input[name=doc__proof]", str(files["proof"]))
        submit(citizen, citizen.locator("form.request-form button[value=submit]"))

        # The receipt: the commune's first reference of the year.
        reference = f"SAL-{timezone.localdate().year}-000001"
        assert citizen.url == site.commune(f"/requests/{reference}/receipt/"), "the form did not lead to a receipt"
        journey.check(citizen, "receipt")
        assert reference in citizen.locator(".receipt").inner_text()
        assert citizen.locator(".tracking-code").count() == 1, "the receipt shows no secret code"

        citizen.goto(site.commune(f"/requests/{reference}/"))
        journey.check(citizen, "submitted request", no_sideways_scroll=True)
        assert shown_state(citizen) == state_label("submitted")

        # The agent finds it in the queue and returns it for completion: the lease is missing, and a photo.
        agent.goto(site.commune("/backoffice/cases/"))
        journey.check(agent, "staff queue")
        submit(agent, agent.locator(f"table.queue a:has-text('{reference}')"))
        assert agent.url == site.commune(f"/backoffice/cases/{reference}/")
        journey.check(agent, "staff case page")
        returning = agent.locator("details.action", has=agent.locator("input[name=transition][value=return]"))
        returning.locator("summary").click()
        returning.locator("input[name=return-missing][value=doc__lease]").check()
        returning.locator("textarea[name=return-missing_other]").fill("صورة للواجهة")
        returning.locator("textarea[name=return-public_text]").fill("المرجو إضافة عقد الكراء.")
        submit(agent, returning.locator("button[type=submit]"))
        with tenancy.unscoped():
            assert Case.all_communes.get(reference=reference).state == CaseState.RETURNED

        # The citizen sees it returned, with everything missing, and completes it.
        citizen.goto(site.commune("/requests/"))
        journey.check(citizen, "my requests (returned)")
        assert reference in citizen.locator("main").inner_text()
        assert state_label("returned") in citizen.locator("main").inner_text()
        citizen.goto(site.commune(f"/requests/{reference}/"))
        journey.check(citizen, "returned request", no_sideways_scroll=True)
        assert shown_state(citizen) == state_label("returned")
        missing = citizen.locator("section[aria-labelledby=returned-title]").inner_text()
        assert "عقد الكراء" in missing and "صورة للواجهة" in missing, missing
        submit(citizen, citizen.locator(f"a[href='/requests/{reference}/complete/']"))
        journey.check(citizen, "completion form", no_sideways_scroll=True)
        assert citizen.locator("[name=address]").input_value() == ADDRESS, "the answers are not filled in"
        citizen.set_input_files("input[name=doc__lease]", str(files["lease"]))
        submit(citizen, citizen.locator("form.request-form button[type=submit]"))
        assert citizen.url == site.commune(f"/requests/{reference}/")
        journey.check(citizen, "completed request")
        assert shown_state(citizen) == state_label("in_review")
        assert "bail.png" in citizen.locator("main").inner_text(), "the lease is not among the documents"

        # The agent approves it.
        agent.goto(site.commune(f"/backoffice/cases/{reference}/"))
        journey.check(agent, "staff case page (in review)")
        approving = agent.locator("details.action", has=agent.locator("input[name=transition][value=approve]"))
        approving.locator("summary").click()
        submit(agent, approving.locator("button[type=submit]"))
        with tenancy.unscoped():
            assert Case.all_communes.get(reference=reference).state == CaseState.APPROVED

        # The citizen sees the approval.
        citizen.goto(site.commune(f"/requests/{reference}/"))
        journey.check(citizen, "approved request", no_sideways_scroll=True)
        assert shown_state(citizen) == state_label("approved")
        citizen.goto(site.commune("/requests/"))
        journey.check(citizen, "my requests (approved)")
        assert state_label("approved") in citizen.locator("main").inner_text()
    finally:
        citizen_context.close()
        staff_context.close()

    assert not journey.violations, "axe-core found serious or critical violations:\n" + "\n".join(journey.violations)
