"""Staff and issued documents: the "Documents issued" section of the case page, the audited download, and the
revocation with a reason and a confirmation step (the citizen sees it on the timeline and is told; the document then
verifies as revoked). Only staff who act on the case may revoke: not the leadership, not another commune."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from conftest import host_client, login_staff
from jamaa.core.models import AuditEvent
from jamaa.documents import access, issuance, verification
from jamaa.documents.models import DocumentEvent, DocumentEventKind, DocumentState, IssuedDocument, VerificationChannel
from jamaa.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db

REASON = "Adresse erronée : le justificatif ne correspond pas."


def text_of(response: Any) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def says(response: Any, msgid: str, **params: Any) -> bool:
    """Whether the page shows `msgid` (with `params`) in the page's own language (its <html lang>)."""
    match = re.search(r'<html lang="([\w-]+)"', response.content.decode())
    language = match.group(1) if match else "ar"
    with translation.override(language):
        text = gettext(msgid) % params if params else gettext(msgid)
    return " ".join(text.split()) in text_of(response)


def staff(user: Any, host: str = "sale.localhost") -> Client:
    return login_staff(host_client(host), user)


def revoke_url(document: Any) -> str:
    return reverse("documents_staff:revoke", kwargs={"reference": document.reference})


def download_url(document: Any) -> str:
    return reverse("documents_staff:download", kwargs={"reference": document.reference})


def case_url(document: Any) -> str:
    return reverse("staff:detail", kwargs={"reference": document.case.reference})


def state_of(document: Any) -> str:
    return IssuedDocument.all_communes.get(pk=document.pk).state


@pytest.fixture
def document(issue_act: Any) -> Any:
    return issue_act()


# --- the case page and the download -------------------------------------------------------------------------------


def test_the_case_page_lists_the_documents_with_counts_download_and_a_revoke_form(document: Any, world: Any) -> None:
    issuance.record_event(document, DocumentEventKind.VERIFIED, channel=VerificationChannel.QR)
    issuance.record_event(document, DocumentEventKind.VERIFIED, channel=VerificationChannel.API)

    response = staff(world.agent_sale).get(case_url(document))

    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="case-documents"'):]
    language = re.search(r'<html lang="([\w-]+)"', html).group(1)  # type: ignore[union-attr]
    with translation.override(language):  # read in the page's own language (reverse() follows the active one)
        valid, verifications = gettext("Valid"), gettext("Verifications")
    assert document.reference in section and valid in section
    assert re.search(rf"{re.escape(verifications)}</dt><dd><bdi>2</bdi>", section)
    assert download_url(document) in section and revoke_url(document) in section
    assert 'name="reason"' in section


def test_the_leadership_sees_the_documents_but_no_revoke_form(document: Any, world: Any) -> None:
    response = staff(world.leader_sale).get(case_url(document))
    html = response.content.decode()
    assert response.status_code == 200 and document.reference in html and download_url(document) in html
    assert revoke_url(document) not in html


def test_a_staff_download_is_audited_and_logged_as_the_staffs(document: Any, world: Any) -> None:
    response = staff(world.agent_sale).get(download_url(document))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{document.reference}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = DocumentEvent.all_communes.get(document=document, kind=DocumentEventKind.DOWNLOADED)
    assert event.by_staff and event.actor == world.agent_sale and event.channel == VerificationChannel.BACKOFFICE
    audit = AuditEvent.all_communes.get(action="documents.downloaded")
    assert audit.actor == world.agent_sale and audit.subject == document.citizen
    assert audit.target_id == str(document.pk) and audit.commune == world.sale


def test_the_staff_download_is_refused_to_anyone_but_this_communes_staff(document: Any, world: Any) -> None:
    anonymous = host_client("sale.localhost").get(download_url(document))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    holder = host_client("sale.localhost")
    holder.force_login(document.citizen)
    assert holder.get(download_url(document)).status_code == 403
    assert staff(world.agent_temara).get(download_url(document)).status_code == 403
    assert staff(world.agent_temara, "temara.localhost").get(download_url(document)).status_code == 404
    assert staff(world.admin_temara, "temara.localhost").get(download_url(document)).status_code == 404
    assert not DocumentEvent.all_communes.filter(kind=DocumentEventKind.DOWNLOADED).exists()
    assert not AuditEvent.all_communes.filter(action="documents.downloaded").exists()


# --- revocation ---------------------------------------------------------------------------------------------------


def test_an_agent_revokes_after_confirming_and_everyone_sees_it(document: Any, world: Any) -> None:
    agent = staff(world.agent_sale)

    asking = agent.post(revoke_url(document), {"reason": REASON})

    assert asking.status_code == 200, "a confirmation step first"
    assert state_of(document) == DocumentState.VALID
    assert says(asking, "Are you sure?") and REASON in asking.content.decode().replace("&#x27;", "'")
    assert 'name="confirm"' in asking.content.decode()

    done = agent.post(revoke_url(document), {"reason": REASON, "confirm": "True"})

    assert done.status_code == 302 and done["Location"] == case_url(document)
    assert says(agent.get(done["Location"]), "Document %(reference)s is revoked. The holder is told.",
                reference=document.reference)
    revoked = IssuedDocument.all_communes.get(pk=document.pk)
    assert revoked.state == DocumentState.REVOKED and revoked.revocation_reason == REASON
    assert revoked.revoked_by == world.agent_sale and revoked.revoked_at is not None
    assert DocumentEvent.all_communes.filter(document=document, kind=DocumentEventKind.REVOKED).count() == 1
    # The document verifies as revoked.
    assert verification.verify_qr(document.qr_url).status == "revoked"
    # The citizen is told, and sees the reason on the request's timeline and in My documents.
    message = OutboundMessage.objects.filter(user=document.citizen, template="document_revoked").get()
    assert document.reference in message.body
    holder = host_client("sale.localhost")
    holder.force_login(document.citizen)
    timeline = text_of(holder.get(reverse("cases:detail", kwargs={"reference": document.case.reference})))
    assert document.reference in timeline and "Adresse erronée" in timeline
    assert "Adresse erronée" in text_of(holder.get(reverse("wallet:detail",
                                                           kwargs={"reference": document.reference})))
    # The case page now says revoked, with no form.
    case_page = agent.get(case_url(document))
    assert says(case_page, "Revoked") and revoke_url(document) not in case_page.content.decode()
    assert AuditEvent.all_communes.filter(action="documents.revoked", target_id=str(document.pk)).count() == 1


def test_an_administrator_may_revoke_too(document: Any, world: Any) -> None:
    response = staff(world.admin_sale).post(revoke_url(document), {"reason": REASON, "confirm": "True"})
    assert response.status_code == 302 and state_of(document) == DocumentState.REVOKED


def test_a_second_revocation_is_refused(document: Any, world: Any) -> None:
    agent = staff(world.agent_sale)
    agent.post(revoke_url(document), {"reason": REASON, "confirm": "True"})

    again = agent.post(revoke_url(document), {"reason": "Encore", "confirm": "True"}, follow=True)

    assert says(again, "This document is already revoked.")
    assert IssuedDocument.all_communes.get(pk=document.pk).revocation_reason == REASON
    assert DocumentEvent.all_communes.filter(document=document, kind=DocumentEventKind.REVOKED).count() == 1
    assert OutboundMessage.objects.filter(template="document_revoked").count() == 1
    with pytest.raises(ValidationError):
        access.revoke(document=document, actor=world.agent_sale, reason="Encore")


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_an_empty_reason_is_refused(document: Any, world: Any, reason: str) -> None:
    agent = staff(world.agent_sale)
    for data in ({"reason": reason}, {"reason": reason, "confirm": "True"}):
        response = agent.post(revoke_url(document), data, follow=True)
        assert response.status_code == 200
        assert says(response, "Give the reason for the revocation: the holder is told.")
    assert state_of(document) == DocumentState.VALID
    with pytest.raises(ValidationError):
        issuance.document_revoke(document=document, actor=world.agent_sale, reason=reason)
    assert not OutboundMessage.objects.filter(template="document_revoked").exists()


def test_a_reason_too_long_is_refused(document: Any, world: Any) -> None:
    response = staff(world.agent_sale).post(revoke_url(document), {"reason": "x" * 1001, "confirm": "True"})
    assert response.status_code == 302 and state_of(document) == DocumentState.VALID


def test_the_leadership_cannot_revoke(document: Any, world: Any) -> None:
    response = staff(world.leader_sale).post(revoke_url(document), {"reason": REASON, "confirm": "True"})
    assert response.status_code == 403
    assert state_of(document) == DocumentState.VALID
    # The service call path refuses too.
    with pytest.raises(PermissionDenied):
        access.revoke(document=document, actor=world.leader_sale, reason=REASON)
    with pytest.raises(PermissionDenied):
        issuance.document_revoke(document=document, actor=world.leader_sale, reason=REASON)
    assert state_of(document) == DocumentState.VALID


def test_another_communes_staff_cannot_revoke(document: Any, world: Any) -> None:
    data = {"reason": REASON, "confirm": "True"}
    assert staff(world.admin_temara, "temara.localhost").post(revoke_url(document), data).status_code == 404
    assert staff(world.admin_temara).post(revoke_url(document), data).status_code == 403
    assert staff(world.agent_temara).post(revoke_url(document), data).status_code == 403
    with pytest.raises(PermissionDenied):
        issuance.document_revoke(document=document, actor=world.admin_temara, reason=REASON)
    assert state_of(document) == DocumentState.VALID


def test_an_agent_of_another_department_cannot_see_or_revoke(document: Any, world: Any) -> None:
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jamaa.core.models import Membership, Role, User

    planner = User.objects.create_user("urbanisme@sale.example.ma", world.password, full_name="Agent Urbanisme")
    TOTPDevice.objects.create(user=planner, name="default", confirmed=True)
    Membership.all_communes.create(commune=world.sale, user=planner, role=Role.AGENT,
                                   department=world.sale_urbanisme, accepted_at=timezone.now())
    client = staff(planner)
    assert client.post(revoke_url(document), {"reason": REASON, "confirm": "True"}).status_code == 404
    assert client.get(download_url(document)).status_code == 404
    with pytest.raises(PermissionDenied):
        access.revoke(document=document, actor=planner, reason=REASON)
    assert state_of(document) == DocumentState.VALID


def test_citizens_and_anonymous_visitors_cannot_revoke(document: Any, world: Any) -> None:
    data = {"reason": REASON, "confirm": "True"}
    anonymous = host_client("sale.localhost").post(revoke_url(document), data)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    holder = host_client("sale.localhost")
    holder.force_login(document.citizen)
    assert holder.post(revoke_url(document), data).status_code == 403
    assert state_of(document) == DocumentState.VALID


def test_revocation_is_post_only_and_needs_the_csrf_token(document: Any, world: Any) -> None:
    agent = staff(world.agent_sale)
    assert agent.get(revoke_url(document)).status_code == 405
    strict = login_staff(Client(HTTP_HOST="sale.localhost", enforce_csrf_checks=True), world.agent_sale)
    assert strict.post(revoke_url(document), {"reason": REASON, "confirm": "True"}).status_code == 403
    assert state_of(document) == DocumentState.VALID


def test_an_unknown_reference_is_a_404(world: Any, procedures: Any) -> None:
    agent = staff(world.agent_sale)
    assert agent.post(reverse("documents_staff:revoke", kwargs={"reference": "SAL-2026-424242"}),
                      {"reason": REASON}).status_code == 404
    assert agent.get(reverse("documents_staff:download", kwargs={"reference": "Z" * 300})).status_code == 404
