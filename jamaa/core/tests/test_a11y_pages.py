"""Every page of the platform, in Arabic, French and Tamazight, on a 360 px phone: the page declares its language and
direction, and axe-core finds no serious or critical accessibility violation.

The world holds the test catalogue (`procedures`) and, for the pages of requests, a few requests of Salé's citizen
made through the real services (see `_requests`): one submitted, one returned for completion, one draft."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import check_for_language

from conftest import host_client, login_staff
from jamaa.core.tests.browser import PHONE_VIEWPORT, blocking_violations, lang_dir, share_session

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


@dataclass(frozen=True)
class Requests:
    """Requests of Salé's citizen for the pages that show one (made once per test, on first use)."""

    submitted: Any  # a residence certificate waiting for the commune
    returned: Any  # a residence certificate returned for completion (the lease and a photo are missing)
    draft: Any  # a building permit started and saved as a draft
    tracking_code: str  # the submitted request's secret code, as printed on its receipt


def _requests(world: Any) -> Requests:
    made = getattr(world, "_a11y_requests", None)
    if made is None:
        made = _make_requests(world)
        world._a11y_requests = made
    return made


def _make_requests(world: Any) -> Requests:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jamaa.cases import services
    from jamaa.cases.models import Case, ReasonKind, ReasonTemplate
    from jamaa.catalog.models import CommuneProcedure
    from jamaa.core import tenancy
    from jamaa.core.models import Arrondissement

    pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
           b"trailer<</Root 1 0 R>>\n%%EOF\n")
    with tenancy.scope(world.sale):
        residence = CommuneProcedure.objects.get(procedure__slug="residence-certificate")
        building = CommuneProcedure.objects.get(procedure__slug="building-permit")
        answers = {"arrondissement": str(Arrondissement.objects.order_by("position").first().pk),
                   "address": "12 زنقة البرتقال، حي السلام", "cin": "ab123456", "since": "2015-06-01",
                   "purpose": "work", "household": "4", "owner": "no"}

        def submit() -> Any:
            return services.case_submit(commune=world.sale, procedure=residence, data=answers,
                                        files=[("doc__proof", SimpleUploadedFile("justificatif.pdf", pdf))],
                                        citizen=world.citizen_sale, language="ar")

        submitted = submit()
        returned = services.case_transition(case=submit(), name="return", actor=world.agent_sale, by_staff=True,
                                            missing=["عقد الكراء", "صورة للواجهة"],
                                            public_text="المرجو إضافة عقد الكراء.")
        draft = services.draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=building,
                                    data={"parcel": "TF 1234/R"})
        ReasonTemplate.objects.create(commune=world.sale, kind=ReasonKind.RETURN, title_ar="وثيقة ناقصة",
                                      title_fr="Pièce manquante", text_ar="المرجو إضافة الوثيقة الناقصة.",
                                      text_fr="Merci d'ajouter la pièce manquante.")
        code = Case.objects.get(pk=submitted.pk).tracking_code
    return Requests(submitted=submitted, returned=returned, draft=draft, tracking_code=code)


def _request_page(name: str, which: str = "submitted") -> Callable[[Any], str]:
    """A page of one of the citizen's requests (by reference; a draft by its number)."""
    def build(world: Any) -> str:
        case = getattr(_requests(world), which)
        if which == "draft":
            return reverse(name, kwargs={"pk": case.pk})
        return reverse(name, kwargs={"reference": case.reference})
    return build


def _with_requests(name: str, query: str = "") -> Callable[[Any], str]:
    """A page listing requests (or figures about them): the requests exist before it is visited."""
    def build(world: Any) -> str:
        _requests(world)
        return reverse(name) + query
    return build


def _document_page(name: str) -> Callable[[Any], str]:
    """A page of the act issued for the citizen's submitted request (issue 4), checked once by QR code; the staff
    and citizen pages of the request take the case's reference, the wallet's pages the document's."""
    def build(world: Any) -> str:
        document = getattr(world, "_a11y_document", None)
        if document is None:
            document = world._a11y_document = _issue_document(world)
        if name == "wallet:mine":
            return reverse(name)
        reference = document.case.reference if name in ("cases:detail", "staff:detail") else document.reference
        return reverse(name, kwargs={"reference": reference})
    return build


def _issue_document(world: Any) -> Any:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from jamaa.cases import services
    from jamaa.core import tenancy
    from jamaa.documents import issuance
    from jamaa.documents.models import IssuedDocument

    def issue() -> Any:
        # On its own thread: sealing (pyHanko) starts an asyncio loop, and Playwright's keeps one on this thread.
        try:
            case = _requests(world).submitted
            with tenancy.scope(world.sale):
                for move in ("start_review", "approve", "issue_act"):
                    case = services.case_transition(case=case, name=move, actor=world.agent_sale, by_staff=True)
                document = IssuedDocument.objects.select_related("case").get(case=case)
                issuance.record_event(document, "verified", channel="qr")
            return document
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(issue).result()


def _adoption_edit(world: Any) -> str:
    from jamaa.catalog.models import CommuneProcedure

    adoption = CommuneProcedure.all_communes.get(commune=world.sale, procedure__slug="residence-certificate")
    return reverse("procedures_admin:edit", kwargs={"pk": adoption.pk})


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
    # Issue 3: the catalogue of procedures, requests, the staff's cases, the API tokens.
    PageCase("procedures", "anonymous", _named("catalog:index")),
    PageCase("procedures found by nothing", "anonymous",
             lambda world: reverse("catalog:index") + "?q=zzz&category=nope"),
    PageCase("residence certificate", "anonymous", _named("catalog:detail", slug="residence-certificate")),
    PageCase("building permit", "anonymous", _named("catalog:detail", slug="building-permit")),
    PageCase("adopted procedures", "administrator", _named("procedures_admin:index")),
    PageCase("adopt a procedure", "administrator", _named("procedures_admin:adopt", slug="life-certificate")),
    PageCase("edit an adoption", "administrator", _adoption_edit),
    PageCase("new request", "citizen", _named("cases:start", slug="residence-certificate")),
    PageCase("draft request", "citizen", _request_page("cases:draft", "draft")),
    PageCase("my requests", "citizen", _with_requests("cases:mine")),
    PageCase("submitted request", "citizen", _request_page("cases:detail")),
    PageCase("returned request", "citizen", _request_page("cases:detail", "returned")),
    PageCase("complete a request", "citizen", _request_page("cases:complete", "returned")),
    PageCase("receipt", "citizen", _request_page("cases:receipt")),
    PageCase("follow a request", "anonymous", _named("cases:track")),
    PageCase("followed request", "follower", _request_page("cases:tracked")),
    PageCase("cases queue", "agent", _with_requests("staff:queue")),
    PageCase("case (staff)", "agent", _request_page("staff:detail")),
    PageCase("returned case (staff)", "agent", _request_page("staff:detail", "returned")),
    PageCase("reason templates", "administrator", _with_requests("staff:reasons")),
    PageCase("new reason template", "administrator", _named("staff:reason_create")),
    PageCase("counter request", "agent", _named("staff:counter")),
    PageCase("overview with cases", "leadership", _with_requests("backoffice:overview")),
    PageCase("API tokens", "citizen", _named("api_tokens")),
    # Issue 4: the citizen's wallet and the staff's view of an issued document.
    PageCase("my documents", "citizen", _document_page("wallet:mine")),
    PageCase("document", "citizen", _document_page("wallet:detail")),
    PageCase("document QR code", "citizen", _document_page("wallet:qr")),
    PageCase("request with its document", "citizen", _document_page("cases:detail")),
    PageCase("case with its document (staff)", "agent", _document_page("staff:detail")),
    # Issue 4: checking a document (the result page is the one the QR's /V/ address shows, tested in documents).
    PageCase("check a document", "anonymous", _named("verify:index")),
    PageCase("verified document", "anonymous", lambda world: _verified_act(world)),
    PageCase("document not authentic", "anonymous", _named("verify:by_code", payload_text="NOTADOCUMENT")),
]


@dataclass(frozen=True)
class Complaints:
    """Complaints of Salé for the pages that show one (made once per test, on first use)."""

    report: Any  # a report of the citizen, with a photo, waiting for the commune
    resolved: Any  # a report of the citizen answered by the commune (its page offers the rating)
    grievance: Any  # a grievance of the citizen about the administration


def _complaints(world: Any) -> Complaints:
    made = getattr(world, "_a11y_complaints", None)
    if made is None:
        made = _make_complaints(world)
        world._a11y_complaints = made
    return made


def _make_complaints(world: Any) -> Complaints:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from jamaa.complaints import services
    from jamaa.complaints.defaults import categories_install_defaults
    from jamaa.complaints.models import Category
    from jamaa.core import tenancy

    rectangle = {"type": "Polygon", "coordinates": [[[-6.86, 33.98], [-6.72, 33.98], [-6.72, 34.10], [-6.86, 34.10],
                                                     [-6.86, 33.98]]]}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, format="JPEG")
    with tenancy.scope(world.sale):
        categories_install_defaults(commune=world.sale)
        services.area_set(commune=world.sale, geometry=rectangle)
        waste = Category.objects.get(code="dechets-non-collectes")
        light = Category.objects.get(code="eclairage-panne")
        delay = Category.objects.get(code="administration-delai")
        report = services.complaint_submit(
            commune=world.sale, category=waste, description="الأزبال متراكمة في الزنقة منذ ثلاثة أيام.", lat=34.04,
            lon=-6.80, citizen=world.citizen_sale,
            photos=[SimpleUploadedFile("rue.jpg", out.getvalue(), content_type="image/jpeg")])
        resolved = services.complaint_submit(commune=world.sale, category=light, description="المصباح طافي.",
                                             lat=34.05, lon=-6.78, citizen=world.citizen_sale)
        services.complaint_transition(complaint=resolved, name="resolve", actor=world.admin_sale,
                                      text="تم إصلاح المصباح.")
        grievance = services.complaint_submit(commune=world.sale, category=delay,
                                              description="طلبي متأخر منذ شهرين.", citizen=world.citizen_sale)
    return Complaints(report=report, resolved=resolved, grievance=grievance)


def _complaint_page(name: str, which: str = "report") -> Callable[[Any], str]:
    def build(world: Any) -> str:
        complaint = getattr(_complaints(world), which)
        return reverse(name, kwargs={"reference": complaint.case.reference})
    return build


def _with_complaints(name: str, **kwargs: Any) -> Callable[[Any], str]:
    def build(world: Any) -> str:
        _complaints(world)
        return reverse(name, kwargs=kwargs or None)
    return build


COMPLAINT_PAGES = [
    # Issue 5: complaints and grievances, public side, filing, follow-up and back office.
    PageCase("complaints", "anonymous", _with_complaints("complaints:start")),
    PageCase("report a problem", "anonymous", _with_complaints("complaints:new", kind="report")),
    PageCase("file a grievance", "citizen", _with_complaints("complaints:new", kind="grievance")),
    PageCase("map of reports", "anonymous", _with_complaints("reports:map")),
    PageCase("complaint figures", "anonymous", _with_complaints("reports:stats")),
    PageCase("follow a complaint", "anonymous", _named("reports:track")),
    PageCase("public report", "anonymous", _complaint_page("reports:detail")),
    PageCase("my resolved report", "citizen", _complaint_page("reports:detail", "resolved")),
    PageCase("my grievance", "citizen", _complaint_page("reports:detail", "grievance")),
    PageCase("complaints (staff)", "administrator", _with_complaints("complaints_staff:list")),
    PageCase("complaints map (staff)", "administrator", _with_complaints("complaints_staff:map")),
    PageCase("complaint (staff)", "administrator", _complaint_page("complaints_staff:detail")),
    PageCase("complaint categories", "administrator", _with_complaints("complaints_staff:categories")),
    PageCase("answer templates", "administrator", _with_complaints("complaints_staff:templates")),
    PageCase("Open311 keys", "administrator", _with_complaints("complaints_staff:open311_keys")),
]
PAGES += COMPLAINT_PAGES


def _verified_act(world: Any) -> str:
    from jamaa.documents.tests.verify_helpers import issue_on_a_thread, result_path

    return result_path(issue_on_a_thread(world))


# The outermost elements sticking out of the viewport, as selectors with their parent's. An element inside a box that
# scrolls or clips on its own is fine, unless it is positioned outside that box (an absolutely positioned element
# escapes a scrolling box that is not its containing block).
TOO_WIDE_JS = """() => {
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map((c) => "." + c).join("");
  const sticksOut = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && (box.right > width + 1 || box.left < -1);
  };
  const clipped = (el) => {
    const escapes = ["absolute", "fixed"].includes(getComputedStyle(el).position);
    const block = el.offsetParent;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible" && (!escapes || (block && a.contains(block)))) return true;
    }
    return false;
  };
  const found = [...document.body.querySelectorAll("*")].filter((el) => sticksOut(el) && !clipped(el));
  return found.filter((el) => !found.includes(el.parentElement)).slice(0, 8).map((el) =>
    name(el.parentElement) + " > " + name(el) + " (" + Math.round(el.getBoundingClientRect().width) + " px)");
}"""


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
    elif persona == "agent":
        login_staff(client, world.agent_sale)
    elif persona == "leadership":
        login_staff(client, world.leader_sale)
    elif persona == "follower":  # someone without an account who typed the reference and code of the receipt
        made = _requests(world)
        response = client.post(reverse("cases:track"), {"reference": made.submitted.reference,
                                                        "code": made.tracking_code})
        assert response.status_code == 302, "the tracking form did not accept the receipt's reference and code"
    else:  # pragma: no cover - a typo in PAGES
        raise AssertionError(persona)
    return client


@pytest.fixture
def private_media(settings: Any, tmp_path: Path) -> Path:
    """The requests' documents are stored under the test's own directory."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("case", PAGES, ids=lambda case: case.name.replace(" ", "-"))
def test_page_declares_its_language_and_passes_axe(case: PageCase, language: str, world: Any, procedures: Any,
                                                    private_media: Path, site: Any, phone: Any) -> None:
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
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], (
        f"{case.name} ({language}) scrolls sideways at 360 px ({width} px wide) at {page.url}; too wide: "
        + ", ".join(page.evaluate(TOO_WIDE_JS)))
