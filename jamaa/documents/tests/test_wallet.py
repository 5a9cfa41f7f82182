"""The citizen's wallet, "My documents": the list, one document's page, its PDF and its QR code full-screen; only
the holder, in the issuing commune, ever sees them."""

from __future__ import annotations

import html as htmllib
import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from conftest import host_client, login_staff
from jamaa.documents import issuance
from jamaa.documents.models import DocumentEvent, DocumentEventKind, IssuedDocument, VerificationChannel
from jamaa.documents.tests.conftest import ADDRESS_AR, HOLDER_AR

pytestmark = pytest.mark.django_db


def urls(document: Any) -> dict[str, str]:
    return {name: reverse(f"wallet:{name}", kwargs={"reference": document.reference})
            for name in ("detail", "download", "qr")}


@pytest.fixture
def holder(arabic_citizen: Any) -> Any:
    client = host_client("sale.localhost")
    client.force_login(arabic_citizen)
    return client


def text_of(response: Any) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def says(response: Any, msgid: str, **params: Any) -> bool:
    """Whether the page shows `msgid` (with `params`) in the page's own language (its <html lang>)."""
    match = re.search(r'<html lang="([\w-]+)"', response.content.decode())
    language = match.group(1) if match else "ar"
    with translation.override(language):
        text = gettext(msgid) % params if params else gettext(msgid)
    return " ".join(text.split()) in text_of(response)


def clone(document: Any, number: int, **changes: Any) -> Any:
    """Another registry row for the same act (the list pages do not read the PDF): fast, for counting queries."""
    copy = IssuedDocument.all_communes.get(pk=document.pk)
    copy.pk = None
    copy.reference = f"{document.reference}-{number}"
    copy.token = secrets.token_hex(16)
    copy.issued_at = document.issued_at + timedelta(minutes=number)
    for name, value in changes.items():
        setattr(copy, name, value)
    copy.save()
    return copy


# --- the holder's pages -------------------------------------------------------------------------------------------


def test_my_documents_lists_every_act_newest_first_with_its_state(issue_act: Any, holder: Any) -> None:
    first = issue_act()
    second = issue_act()
    expired = clone(first, 7, expires_at=timezone.now() - timedelta(days=1))
    revoked = clone(first, 8, state="revoked", revoked_at=timezone.now())

    response = holder.get(reverse("wallet:mine"))

    assert response.status_code == 200
    body = response.content.decode()
    order = [body.index(f">{ref}<") for ref in (revoked.reference, expired.reference, second.reference,
                                                   first.reference)]
    assert order == sorted(order), "newest first"
    assert all(says(response, text) for text in ("Residence certificate", "Expired", "Revoked", "Valid"))
    assert reverse("wallet:download", kwargs={"reference": first.reference}) in body
    assert reverse("wallet:qr", kwargs={"reference": first.reference}) in body
    assert reverse("wallet:qr", kwargs={"reference": revoked.reference}) not in body, "a revoked act is not shown"
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]


def test_my_documents_without_any_says_where_acts_come_from(holder: Any) -> None:
    response = holder.get(reverse("wallet:mine"))
    assert response.status_code == 200
    assert says(response, "No document yet")
    assert reverse("cases:mine") in response.content.decode()


def test_the_list_pages_by_twenty_without_a_count(issue_act: Any, holder: Any) -> None:
    document = issue_act()
    for number in range(2, 24):
        clone(document, number)
    first = holder.get(reverse("wallet:mine"))
    links = re.findall(r'href="/documents/([^/"]+)/"', first.content.decode())
    assert len(links) == 20
    older = re.search(r'href="\?before=(\d+)"', first.content.decode())
    assert older, "no link to the older documents"
    second = holder.get(reverse("wallet:mine") + f"?before={older.group(1)}")
    rest = re.findall(r'href="/documents/([^/"]+)/"', second.content.decode())
    assert len(rest) == 3 and not set(rest) & set(links)
    for cursor in ("99999999999999999999999", "9" * 5000, "abc", "-1", "١٢"):
        assert holder.get(reverse("wallet:mine") + f"?before={cursor}").status_code == 200, cursor


def test_the_list_makes_the_same_queries_for_one_document_or_many(issue_act: Any, holder: Any,
                                                                django_assert_max_num_queries: Any) -> None:
    document = issue_act()
    holder.get(reverse("wallet:mine"))  # session, user and commune caches warmed
    with CaptureQueriesContext(connection) as one:
        holder.get(reverse("wallet:mine"))
    for number in range(2, 9):
        clone(document, number, expires_at=None if number % 2 else document.expires_at)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = holder.get(reverse("wallet:mine"))
    assert response.content.decode().count('class="card__title"') == 8


def test_the_documents_page_shows_what_it_states_and_its_history_without_who_verified(
        issue_act: Any, holder: Any, world: Any) -> None:
    document = issue_act()
    issuance.record_event(document, DocumentEventKind.VERIFIED, channel=VerificationChannel.QR)
    issuance.record_event(document, DocumentEventKind.VERIFIED, channel=VerificationChannel.PDF,
                          actor=world.citizen_temara)
    issuance.record_event(document, DocumentEventKind.VERIFIED, channel=VerificationChannel.API)
    issuance.record_event(document, DocumentEventKind.DOWNLOADED, channel=VerificationChannel.BACKOFFICE,
                          actor=world.agent_sale, by_staff=True)

    response = holder.get(urls(document)["detail"])

    assert response.status_code == 200
    page = text_of(response)
    assert HOLDER_AR in page and ADDRESS_AR in page and document.reference in page
    assert "AB••••56" in page and "AB123456" not in page, "the CIN is masked on screen"
    assert "01/03/2019" in page, "dates as printed on the act"
    assert says(response, "by QR code scan") and says(response, "by a check of the PDF file")
    assert says(response, "through the verification API") and says(response, "by the commune's staff")
    assert says(response, "Issued by the commune")
    assert world.citizen_temara.full_name not in page, "who verified is never shown"
    assert world.agent_sale.full_name not in page
    assert DocumentEvent.all_communes.get(channel=VerificationChannel.PDF).actor is None
    assert urls(document)["download"] in response.content.decode()
    assert urls(document)["qr"] in response.content.decode()


def test_downloading_sends_the_sealed_pdf_as_an_attachment_and_logs_it(issue_act: Any, holder: Any,
                                                                      arabic_citizen: Any) -> None:
    document = issue_act()

    response = holder.get(urls(document)["download"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.reference}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF") and len(content) == document.pdf_size
    event = DocumentEvent.all_communes.get(document=document, kind=DocumentEventKind.DOWNLOADED)
    assert event.channel == VerificationChannel.WALLET and event.actor == arabic_citizen and not event.by_staff
    assert says(holder.get(urls(document)["detail"]), "by you, from My documents")


def test_the_qr_page_shows_the_code_big_with_its_reference_and_a_brightness_hint(issue_act: Any,
                                                                                holder: Any) -> None:
    document = issue_act()

    response = holder.get(urls(document)["qr"])

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<svg role="img" aria-label="[^"]+" shape-rendering="crispEdges" viewBox="0 0 (\d+) \1"', html)
    assert 'stroke="#000"' in html and 'fill="#fff"' in html
    page = text_of(response)
    assert document.reference in page
    assert says(response, "Turn your screen's brightness up and hold the phone still, facing the scanner.")
    assert urls(document)["detail"] in html
    assert 'class="site-nav"' not in html, "nothing but the code and its reference"


def test_a_revoked_document_shows_when_and_why_and_cannot_be_presented(issue_act: Any, holder: Any,
                                                                       world: Any) -> None:
    document = issue_act()
    issuance.document_revoke(document=document, actor=world.agent_sale, reason="Adresse erronée")

    detail = holder.get(urls(document)["detail"])
    page = text_of(detail)
    assert says(detail, "This document was revoked") and "Adresse erronée" in page
    assert urls(document)["qr"] not in detail.content.decode()
    assert says(detail, "Revoked by the commune")

    response = holder.get(urls(document)["qr"])
    assert response.status_code == 302 and response["Location"] == urls(document)["detail"]


def test_an_expired_document_says_so(issue_act: Any, holder: Any) -> None:
    document = issue_act()
    IssuedDocument.all_communes.filter(pk=document.pk).update(expires_at=timezone.now() - timedelta(days=2))
    assert says(holder.get(urls(document)["detail"]),
                "This document has expired: anyone who checks it is told so. Ask for a new one if you need it.")
    assert says(holder.get(urls(document)["qr"]), "This document has expired: the scanner will say so.")


def test_the_request_page_offers_its_document_and_the_menu_and_profile_link_to_my_documents(
        issue_act: Any, holder: Any) -> None:
    document = issue_act()

    response = holder.get(reverse("cases:detail", kwargs={"reference": document.case.reference}))

    html = response.content.decode()
    assert says(response, "Your document")
    assert urls(document)["download"] in html and urls(document)["detail"] in html
    assert f'href="{reverse("wallet:mine")}"' in html, "the menu links to My documents"
    assert f'href="{reverse("wallet:mine")}"' in holder.get(reverse("accounts:profile")).content.decode()


def test_a_request_without_a_document_has_no_document_box(issue_act: Any, holder: Any, world: Any,
                                                          procedures: Any) -> None:
    from jamaa.cases import services
    from jamaa.cases.tests.service_fixtures import pdf_upload

    document = issue_act()
    other = services.case_submit(commune=world.sale, procedure=procedures.sale_residence,
                                 data={"address": ADDRESS_AR, "cin": "AB123456", "since": "2019-03-01",
                                       "purpose": "work", "owner": "no",
                                       "arrondissement": str(document.case.arrondissement_id)},
                                 files=[("doc__proof", pdf_upload())], citizen=document.citizen)
    response = holder.get(reverse("cases:detail", kwargs={"reference": other.reference}))
    assert response.status_code == 200 and "case-document-title" not in response.content.decode()


# --- refusals -------------------------------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in_and_never_gets_the_pdf(issue_act: Any, sale_client: Any) -> None:
    document = issue_act()
    for url in [reverse("wallet:mine"), *urls(document).values()]:
        response = sale_client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert not DocumentEvent.all_communes.filter(kind=DocumentEventKind.DOWNLOADED).exists()


def test_another_citizen_gets_a_404_and_an_empty_list(issue_act: Any, world: Any) -> None:
    document = issue_act()
    client = host_client("sale.localhost")
    client.force_login(world.citizen_sale)
    for url in urls(document).values():
        assert client.get(url).status_code == 404, url
    assert document.reference not in client.get(reverse("wallet:mine")).content.decode()
    assert not DocumentEvent.all_communes.filter(kind=DocumentEventKind.DOWNLOADED).exists()


def test_the_holder_on_another_communes_site_gets_a_404(issue_act: Any, arabic_citizen: Any) -> None:
    document = issue_act()
    client = host_client("temara.localhost")
    client.force_login(arabic_citizen)
    for url in urls(document).values():
        assert client.get(url).status_code == 404, url
    assert document.reference not in client.get(reverse("wallet:mine")).content.decode()


def test_a_temara_document_is_not_listed_or_served_in_sale(issue_act: Any, world: Any) -> None:
    document = issue_act(commune="temara")
    assert document.citizen == world.citizen_temara
    at_temara = host_client("temara.localhost")
    at_temara.force_login(world.citizen_temara)
    assert document.reference in at_temara.get(reverse("wallet:mine")).content.decode()
    at_sale = host_client("sale.localhost")
    at_sale.force_login(world.citizen_temara)
    assert document.reference not in at_sale.get(reverse("wallet:mine")).content.decode()
    assert at_sale.get(urls(document)["download"]).status_code == 404


def test_staff_do_not_see_a_citizens_wallet(issue_act: Any, world: Any) -> None:
    document = issue_act()
    for host, user in (("temara.localhost", world.agent_temara), ("sale.localhost", world.agent_temara),
                       ("sale.localhost", world.agent_sale)):
        client = login_staff(host_client(host), user)
        for url in urls(document).values():
            assert client.get(url).status_code == 404, (host, user, url)


def test_a_reference_too_long_or_unknown_is_a_404(holder: Any) -> None:
    assert holder.get(reverse("wallet:detail", kwargs={"reference": "X" * 200})).status_code == 404
    assert holder.get(reverse("wallet:qr", kwargs={"reference": "SAL-2026-999999"})).status_code == 404


def test_the_wallet_only_answers_get(issue_act: Any, holder: Any) -> None:
    document = issue_act()
    assert holder.post(urls(document)["download"]).status_code == 405
