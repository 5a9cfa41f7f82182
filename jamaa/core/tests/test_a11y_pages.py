"""Every page of the platform foundation, in Arabic, French and Tamazight, on a 360 px phone: the page declares its
language and direction, and axe-core finds no serious or critical accessibility violation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import check_for_language

from conftest import host_client, login_staff
from jamaa.core.tests.browser import blocking_violations, lang_dir, share_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"ar": "rtl", "fr": "ltr", "zgh": "ltr"}
NEW_PASSWORD = "Tamazirt-Sale-2026"


@dataclass(frozen=True)
class PageCase:
    """A page to visit: its URL (built once the world exists), who visits it and the status it answers."""

    name: str
    persona: str
    url: Callable[[Any], str]
    status: int = 200
    platform: bool = False  # the national landing page, on the platform's own host


def _named(name: str, **kwargs: Any) -> Callable[[Any], str]:
    return lambda world: reverse(name, kwargs=kwargs or None)


def _department_edit(world: Any) -> str:
    return reverse("backoffice:department_edit", kwargs={"pk": world.sale_etat_civil.pk})


def _staff_detail(world: Any) -> str:
    from jamaa.core import tenancy
    from jamaa.core.models import Membership

    with tenancy.unscoped():
        member = Membership.all_communes.get(commune=world.sale, user=world.agent_sale)
    return reverse("backoffice:staff_detail", kwargs={"pk": member.pk})


PAGES = [
    PageCase("landing", "anonymous", _named("home"), platform=True),
    PageCase("commune home", "anonymous", _named("home")),
    PageCase("sign-up", "anonymous", _named("accounts:signup")),
    PageCase("log-in", "anonymous", _named("accounts:login")),
    PageCase("password reset", "anonymous", _named("accounts:password_reset")),
    PageCase("page not found", "anonymous", lambda world: "/no-such-page/", status=404),
    PageCase("invalid invitation", "anonymous",
             _named("backoffice:invitation_accept", token="not-a-real-invitation-token"), status=404),
    PageCase("verify the account", "pending sign-up", _named("accounts:verify")),
    PageCase("sent messages (development)", "pending sign-up", _named("dev_outbox:list")),
    PageCase("choose a new password", "pending reset", _named("accounts:password_reset_confirm")),
    PageCase("invitation", "invitee", lambda world: _invitation_path(world)),
    PageCase("profile", "citizen", _named("accounts:profile")),
    PageCase("my data", "citizen", _named("accounts:my_data")),
    PageCase("log-out", "citizen", _named("accounts:logout")),
    PageCase("access refused", "citizen", _named("backoffice:dashboard"), status=403),
    PageCase("two-factor step", "staff before two-factor", _named("backoffice:two_factor")),
    PageCase("back-office dashboard", "administrator", _named("backoffice:dashboard")),
    PageCase("overview", "administrator", _named("backoffice:overview")),
    PageCase("departments", "administrator", _named("backoffice:departments")),
    PageCase("new department", "administrator", _named("backoffice:department_create")),
    PageCase("edit a department", "administrator", _department_edit),
    PageCase("staff", "administrator", _named("backoffice:staff")),
    PageCase("invite staff", "administrator", _named("backoffice:staff_invite")),
    PageCase("staff member", "administrator", _staff_detail),
    PageCase("audit log", "administrator", _named("backoffice:audit")),
    PageCase("working-day calendar", "administrator", _named("backoffice:calendar")),
]


def in_language(path: str, language: str) -> str:
    """Arabic pages are unprefixed; French and Tamazight ones live under /fr/ and /zgh/."""
    return path if language == "ar" else f"/{language}{path}"


def _seed_audit_and_access_log(world: Any) -> None:
    """Something to list on the audit log and on the citizen's "my data" page (tables, not only empty states)."""
    from jamaa.core import audit, tenancy

    with tenancy.scope(world.sale):
        audit.record_personal_data_access(actor=world.agent_sale, commune=world.sale, subject=world.citizen_sale,
                                          target=world.citizen_sale, reason="Request for a residence certificate",
                                          fields=["full_name", "phone"])


def _invitation_path(world: Any) -> str:
    from jamaa.core import tenancy
    from jamaa.core.backoffice import services
    from jamaa.core.identifiers import parse_identifier
    from jamaa.core.models import Role
    from jamaa.notifications.models import OutboundMessage

    with tenancy.scope(world.sale):
        services.staff_invite(commune=world.sale, actor=world.admin_sale, full_name="Salma Nouvelle",
                              identifier=parse_identifier("salma@sale.example.ma"), role=Role.AGENT,
                              department=world.sale_etat_civil, language="ar")
    body = OutboundMessage.objects.filter(recipient="salma@sale.example.ma").latest("id").body
    match = re.search(r"https?://[^/\s]+(/\S*/backoffice/invitation/[^/\s]+/|/backoffice/invitation/[^/\s]+/)", body)
    assert match, body
    return re.sub(r"^/(fr|zgh)/", "/", match.group(1))


def browser_session(persona: str, world: Any) -> Client | None:
    """A Django test client holding the persona's session, to hand to the browser (None: an anonymous visitor)."""
    client = host_client("sale.localhost")
    if persona in ("anonymous", "invitee"):
        return None
    if persona == "pending sign-up":
        response = client.post(reverse("accounts:signup"), {
            "full_name": "Amina Tazi", "identifier": "0661234567", "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD, "language": "ar",
        })
        assert response.status_code == 302, "the sign-up form did not accept a valid sign-up"
    elif persona == "pending reset":
        response = client.post(reverse("accounts:password_reset"), {"identifier": "0612345678"})
        assert response.status_code == 302, "the password reset form did not accept a known number"
    elif persona == "citizen":
        client.force_login(world.citizen_sale)
    elif persona == "staff before two-factor":
        client.force_login(world.agent_sale)
    elif persona == "administrator":
        login_staff(client, world.admin_sale)
    else:  # pragma: no cover - a typo in PAGES
        raise AssertionError(persona)
    return client


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("case", PAGES, ids=lambda case: case.name.replace(" ", "-"))
def test_page_declares_its_language_and_passes_axe(case: PageCase, language: str, world: Any, site: Any,
                                                    phone: Any) -> None:
    if case.persona == "citizen":
        _seed_audit_and_access_log(world)
    # Django serves /fr/… and /zgh/… only when their compiled catalogue exists (make compiles it).
    assert check_for_language(language), f"no compiled {language} catalogue: run make test (it compiles them)"
    # Paths are reversed in Arabic (unprefixed) whatever language an earlier test left active on this thread.
    with translation.override(settings.LANGUAGE_CODE):
        path = case.url(world)
        client = browser_session(case.persona, world)
    if client is not None:
        share_session(phone, client)
    page = phone.new_page()
    url = (site.platform if case.platform else site.commune)(in_language(path, language))

    response = page.goto(url)

    assert response is not None
    assert response.status == case.status, f"{case.name} ({language}) answered {response.status} at {page.url}"
    assert lang_dir(page) == (language, LANGUAGES[language]), f"{case.name} at {page.url}"
    assert page.title().strip(), f"{case.name} ({language}) has no <title>"
    assert page.locator("h1").count() == 1, f"{case.name} ({language}) should have exactly one <h1>"
    violations = blocking_violations(page)
    assert not violations, f"{case.name} ({language}) at {page.url}:\n" + "\n".join(violations)
