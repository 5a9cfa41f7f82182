"""The public verification pages: /V/<payload> (what the QR opens), /verify/ (paste the code, upload the PDF) and
the result they share — each verdict, in Arabic and French, on any commune's host, with the verification logged
(anonymously unless the holder or the issuing commune's staff), private results, and a limit per address."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from conftest import host_client, login_staff
from jamaa.documents import issuance
from jamaa.documents.models import DocumentEvent, IssuedDocument
from jamaa.documents.tests.conftest import ADDRESS_AR, CIN, HOLDER_AR
from jamaa.documents.tests.verify_helpers import (
    appended_pdf,
    garbage_qr,
    later_clock,
    qr_path,
    tampered_pdf,
    tampered_qr,
    unknown_key_qr,
)
from jamaa.documents.verify_display import reason_text

pytestmark = pytest.mark.django_db

VERIFY = "/verify/"
VERIFY_FR = "/fr/verify/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The trust list and the counts per address live in the cache: every test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def act(issue_act):
    return issue_act()


def status_of(response: Any) -> str:
    match = re.search(r'class="verdict verdict--\w+"[^>]*data-status="(\w+)"', response.content.decode())
    assert match, "the page shows no verdict"
    return match.group(1)


def lang_dir(response: Any) -> tuple[str, str]:
    match = re.search(r'<html lang="([\w-]+)" dir="(\w+)"', response.content.decode())
    assert match
    return match.group(1), match.group(2)


def in_language(language: str, text: str | Callable[[], str]) -> str:
    """A msgid (or what a function says) in `language`, as a template variable prints it (escaped)."""
    with translation.override(language):
        return escape(text() if callable(text) else translation.gettext(text))


def tag_text(language: str, msgid: str) -> str:
    """A {% translate %} text of a template (printed as it is)."""
    with translation.override(language):
        return translation.gettext(msgid)


def verified_events(document: Any) -> list[Any]:
    return list(DocumentEvent.all_communes.filter(document=document, kind="verified").order_by("pk"))


# --- /V/<payload>: what the QR code opens -----------------------------------------------------------------------


def test_the_qr_of_an_issued_act_opens_its_verdict_in_arabic_with_what_it_states(act, sale_client):
    response = sale_client.get(qr_path(act))
    assert response.status_code == 200
    assert lang_dir(response) == ("ar", "rtl")
    assert status_of(response) == "valid"
    html = response.content.decode()
    assert HOLDER_AR in html and ADDRESS_AR in html and f'<bdi dir="ltr">{CIN}</bdi>' in html
    assert f'<bdi dir="ltr" class="ref">{act.reference}</bdi>' in html
    assert in_language("ar", "Authentic and valid") in html
    assert "سلا" in html  # the issuing commune, named in Arabic
    assert tag_text("ar", "Checked with the commune's registry: the document is recorded there.") in html
    # Dates as printed on the act, isolated left to right inside the Arabic page.
    assert f'<bdi dir="ltr">{issuance.format_date(act.issued_at)}</bdi>' in html
    assert f'<bdi dir="ltr">{issuance.format_date(act.expires_at)}</bdi>' in html


def test_the_qr_page_is_in_the_language_of_the_cookie_or_the_browser_without_a_redirect(act, sale_client):
    sale_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = sale_client.get(qr_path(act))
    assert response.status_code == 200 and lang_dir(response) == ("fr", "ltr")
    assert in_language("fr", "Authentic and valid") in response.content.decode()
    assert "Salé" in response.content.decode()

    browser = host_client("sale.localhost")
    response = browser.get(qr_path(act), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response.status_code == 200 and lang_dir(response) == ("fr", "ltr")


def test_the_qr_page_offers_the_language_switch_back_to_itself(act, sale_client):
    path = qr_path(act)
    html = sale_client.get(path).content.decode()
    assert 'class="lang-switch"' in html and f'name="next" type="hidden" value="{path}"' in html
    response = sale_client.post("/i18n/setlang/", {"language": "fr", "next": path})
    assert response.status_code == 302 and response["Location"] == path
    assert lang_dir(sale_client.get(path)) == ("fr", "ltr")


def test_a_logged_in_citizen_reads_the_qr_page_in_the_language_of_their_account(act, sale_client, arabic_citizen):
    arabic_citizen.language = "fr"
    arabic_citizen.save(update_fields=["language"])
    sale_client.force_login(arabic_citizen)
    response = sale_client.get(qr_path(act))
    assert response.status_code == 200 and lang_dir(response) == ("fr", "ltr")


def test_a_result_is_private_and_never_indexed(act, sale_client):
    response = sale_client.get(qr_path(act))
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_an_expired_act_is_authentic_but_expired(act, sale_client, monkeypatch):
    later_clock(monkeypatch, days=120)  # a residence certificate is valid 90 days
    response = sale_client.get(qr_path(act))
    assert status_of(response) == "expired"
    html = response.content.decode()
    assert in_language("ar", "Authentic but expired") in html and HOLDER_AR in html
    assert f'<bdi dir="ltr">{issuance.format_date(act.expires_at)}</bdi>' in html


def test_a_revoked_act_says_when_but_not_why(act, sale_client, world):
    reason = "تصريح كاذب بخصوص عنوان السكن"
    issuance.document_revoke(document=act, actor=world.agent_sale, reason=reason)
    act.refresh_from_db()
    response = sale_client.get(qr_path(act))
    assert status_of(response) == "revoked"
    html = response.content.decode()
    assert in_language("ar", "Revoked by the commune") in html
    assert f'<bdi dir="ltr">{issuance.format_date(act.revoked_at)}</bdi>' in html
    assert reason not in html


def test_a_payload_with_a_changed_claim_is_not_authentic_and_its_claims_are_not_shown(act, sale_client):
    forged = tampered_qr(act.qr_url, holder="Someone Else")
    response = sale_client.get("/V/" + forged.rsplit("/", 1)[1])
    assert response.status_code == 200 and status_of(response) == "invalid"
    html = response.content.decode()
    assert in_language("ar", "Not authentic") in html
    assert in_language("ar", lambda: reason_text("bad_signature")) in html
    assert "Someone Else" not in html and HOLDER_AR not in html and act.reference not in html
    assert not verified_events(act)


def test_a_payload_signed_by_an_unknown_key_is_not_authentic(act, sale_client):
    response = sale_client.get("/V/" + unknown_key_qr(act.qr_url).rsplit("/", 1)[1])
    assert status_of(response) == "invalid"
    assert in_language("ar", lambda: reason_text("unknown_key")) in response.content.decode()
    assert HOLDER_AR not in response.content.decode()


@pytest.mark.parametrize("garbage", [
    "NOT-BASE32!", "A" * 20_000, "0189", "%00%FF", "ABCDEFGH", "émoji😀",
    garbage_qr().rsplit("/", 1)[1],
])
def test_garbage_after_v_is_a_clear_not_authentic_never_an_error(garbage, world, sale_client):
    response = sale_client.get("/V/" + garbage)
    assert response.status_code == 200 and status_of(response) == "invalid"
    assert in_language("ar", lambda: reason_text("malformed")) in response.content.decode()


def test_an_act_of_temara_scanned_on_sales_site_verifies_and_names_temara(issue_act, sale_client):
    document = issue_act(commune="temara")
    response = sale_client.get(qr_path(document))
    assert status_of(response) == "valid"
    html = response.content.decode()
    assert "تمارة" in html and "Youssef El Idrissi" in html
    assert [e.channel for e in verified_events(document)] == ["qr"]
    assert verified_events(document)[0].commune_id == document.commune_id


def test_the_qr_page_answers_on_the_platforms_own_host_too(act, platform_client):
    response = platform_client.get(qr_path(act))
    assert response.status_code == 200 and status_of(response) == "valid"


def test_an_authentic_act_missing_from_the_registry_is_flagged(act, sale_client):
    IssuedDocument.all_communes.filter(pk=act.pk).delete()
    response = sale_client.get(qr_path(act))
    assert status_of(response) == "valid"
    notice = tag_text("ar", "This document is not in the registry. Its electronic signature is genuine, but the "
                            "commune has no record of it: contact the commune before accepting it.")
    assert notice in response.content.decode()


# --- who is logged as having verified ----------------------------------------------------------------------------


def test_an_anonymous_verification_is_logged_without_anyone(act, sale_client):
    sale_client.get(qr_path(act))
    events = verified_events(act)
    assert [(e.channel, e.actor_id, e.by_staff) for e in events] == [("qr", None, False)]


def test_the_holder_and_the_communes_staff_are_named_but_no_one_else(act, world, arabic_citizen):
    holder = host_client("sale.localhost")
    holder.force_login(arabic_citizen)
    holder.get(qr_path(act))
    other = host_client("sale.localhost")
    other.force_login(world.citizen_sale)
    other.get(qr_path(act))
    agent = login_staff(host_client("sale.localhost"), world.agent_sale)
    agent.get(qr_path(act))
    foreign_staff = login_staff(host_client("temara.localhost"), world.agent_temara)
    foreign_staff.get(qr_path(act))
    events = verified_events(act)
    assert [(e.actor_id, e.by_staff) for e in events] == [
        (arabic_citizen.pk, False), (None, False), (world.agent_sale.pk, True), (None, False)]


def test_staff_before_their_second_factor_stay_anonymous(act, world):
    client = host_client("sale.localhost")
    client.force_login(world.agent_sale)
    client.get(qr_path(act))
    assert [(e.actor_id, e.by_staff) for e in verified_events(act)] == [(None, False)]


# --- /verify/: how to check, and the two forms ------------------------------------------------------------------


@pytest.mark.parametrize(("path", "language", "direction"), [(VERIFY, "ar", "rtl"), (VERIFY_FR, "fr", "ltr")])
def test_the_verify_page_explains_and_offers_both_forms(path, language, direction, world, sale_client):
    response = sale_client.get(path)
    assert response.status_code == 200 and lang_dir(response) == (language, direction)
    html = response.content.decode()
    assert html.count("csrfmiddlewaretoken") >= 3  # the language switch and the two forms
    assert 'name="qr"' in html and 'type="file" name="pdf"' in html and 'enctype="multipart/form-data"' in html
    assert tag_text(language, "Check a document") in html


def test_pasting_the_qr_text_verifies_it_and_logs_the_page(act, sale_client):
    response = sale_client.post(VERIFY_FR + "code/", {"qr": act.qr_url})
    assert response.status_code == 200 and status_of(response) == "valid" and lang_dir(response) == ("fr", "ltr")
    assert HOLDER_AR in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert [e.channel for e in verified_events(act)] == ["page"]


def test_a_pasted_code_may_be_wrapped_lower_case_or_without_the_address(act, sale_client):
    code = act.qr_url.rsplit("/", 1)[1]
    for text in (act.qr_url[:60] + "\n" + act.qr_url[60:], act.qr_url.lower(), code):
        assert status_of(sale_client.post(VERIFY + "code/", {"qr": text})) == "valid", text


def test_pasting_garbage_or_nothing_never_fails(world, sale_client):
    response = sale_client.post(VERIFY + "code/", {"qr": ""})
    assert response.status_code == 400
    assert in_language("ar", "Paste the text of the QR code.") in response.content.decode()
    response = sale_client.post(VERIFY + "code/", {"qr": "x" * 100_000})
    assert response.status_code == 400
    assert in_language("ar", "This text is far too long to be the code of a document.") in response.content.decode()
    response = sale_client.post(VERIFY + "code/", {"qr": "https://example.com/hello?x=1"})
    assert response.status_code == 200 and status_of(response) == "invalid"
    response = sale_client.post(VERIFY + "code/", {"qr": "abc\x00def"})
    assert response.status_code == 400


def test_the_forms_need_their_csrf_token(act):
    client = Client(HTTP_HOST="sale.localhost", enforce_csrf_checks=True)
    assert client.post(VERIFY + "code/", {"qr": act.qr_url}).status_code == 403
    pdf = SimpleUploadedFile("act.pdf", act.pdf.read(), content_type="application/pdf")
    assert client.post(VERIFY + "file/", {"pdf": pdf}).status_code == 403


def test_the_form_addresses_lead_back_to_the_page_on_get(world, sale_client):
    assert sale_client.get(VERIFY + "code/")["Location"] == VERIFY
    assert sale_client.get(VERIFY_FR + "file/")["Location"] == VERIFY_FR


def test_a_code_has_a_result_page_in_each_language(act, sale_client):
    code = act.qr_url.rsplit("/", 1)[1]
    response = sale_client.get(f"{VERIFY_FR}{code}/")
    assert response.status_code == 200 and status_of(response) == "valid" and lang_dir(response) == ("fr", "ltr")
    assert [e.channel for e in verified_events(act)] == ["page"]


# --- uploading the PDF --------------------------------------------------------------------------------------------


def upload(data: bytes, name: str = "document.pdf", content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_the_pdf_of_an_act_verifies_with_its_seal(act, sale_client):
    response = sale_client.post(VERIFY_FR + "file/", {"pdf": upload(act.pdf.read())})
    assert response.status_code == 200 and status_of(response) == "valid"
    html = response.content.decode()
    assert HOLDER_AR in html and act.reference in html
    assert tag_text("fr", "Electronic seal of the file") in html
    assert tag_text("fr", "The seal covers the whole file") in html
    assert "Salé" in html
    assert [e.channel for e in verified_events(act)] == ["pdf"]


def test_the_content_is_what_counts_not_the_name_or_declared_type(act, sale_client):
    response = sale_client.post(VERIFY + "file/", {"pdf": upload(act.pdf.read(), "photo.jpg", "image/jpeg")})
    assert status_of(response) == "valid"
    response = sale_client.post(VERIFY + "file/", {"pdf": upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 500)})
    assert status_of(response) == "invalid"
    assert in_language("ar", lambda: reason_text("not_pdf")) in response.content.decode()


def test_a_pdf_changed_after_sealing_is_not_authentic(act, sale_client):
    response = sale_client.post(VERIFY_FR + "file/", {"pdf": upload(tampered_pdf(act.pdf.read()))})
    assert status_of(response) == "invalid"
    html = response.content.decode()
    assert in_language("fr", lambda: reason_text("modified")) in html
    assert HOLDER_AR not in html
    assert not verified_events(act)


def test_a_pdf_with_something_added_after_sealing_is_not_authentic(act, sale_client):
    response = sale_client.post(VERIFY_FR + "file/", {"pdf": upload(appended_pdf(act.pdf.read()))})
    assert status_of(response) == "invalid"
    assert in_language("fr", lambda: reason_text("incremental_update")) in response.content.decode()


@pytest.mark.parametrize("data", [b"%PDF-1.7\n" + bytes(range(256)) * 40, b"%PDF-", b"\x00" * 10, b"hello"])
def test_random_bytes_as_a_pdf_are_not_authentic_never_an_error(data, world, sale_client):
    response = sale_client.post(VERIFY + "file/", {"pdf": upload(data)})
    assert response.status_code == 200 and status_of(response) == "invalid"


def test_an_empty_missing_or_too_large_file_is_refused_next_to_the_field(world, sale_client):
    response = sale_client.post(VERIFY + "file/", {})
    assert response.status_code == 400
    assert in_language("ar", "Choose the PDF file to check.") in response.content.decode()
    response = sale_client.post(VERIFY + "file/", {"pdf": upload(b"")})
    assert response.status_code == 400
    big = b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024)
    response = sale_client.post(VERIFY_FR + "file/", {"pdf": upload(big)})
    assert response.status_code == 400
    assert "10" in response.content.decode() and 'class="field__error"' in response.content.decode()


# --- limits per address -------------------------------------------------------------------------------------------


def test_too_many_verifications_from_one_address_get_a_clear_429(act, sale_client, settings):
    settings.DOCUMENT_VERIFY_PAGE_LIMIT = 3
    for _ in range(2):
        assert sale_client.post(VERIFY + "code/", {"qr": act.qr_url}).status_code == 200
    assert sale_client.post(VERIFY + "file/", {"pdf": upload(b"hello")}).status_code == 200
    response = sale_client.post(VERIFY_FR + "code/", {"qr": act.qr_url})
    assert response.status_code == 429 and response["Retry-After"] == "600"
    with translation.override("fr"):
        message = escape(translation.gettext("Too many verifications from your connection. Wait %(minutes)d "
                                             "minutes, then try again.") % {"minutes": 10})
    assert message in response.content.decode()
    assert sale_client.post(VERIFY + "file/", {"pdf": upload(b"hello")}).status_code == 429
    # Another address is not held back; the QR page is never limited.
    other = Client(HTTP_HOST="sale.localhost", REMOTE_ADDR="10.1.2.3")
    assert other.post(VERIFY + "code/", {"qr": act.qr_url}).status_code == 200
    assert sale_client.get(qr_path(act)).status_code == 200
