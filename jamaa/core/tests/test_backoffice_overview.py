"""The back-office dashboard (every member of staff) and the leadership's read-only overview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape

from conftest import login_staff
from jamaa.core.models import AuditEvent, Membership
from jamaa.notifications.models import OutboundMessage, Status


def tr(message: str, language: str = "fr", **params: object) -> str:
    """`message` as a page in `language` shows it (escaped); the catalogues fall back to the English msgid."""
    with translation.override(language):
        text = translation.gettext(message)
    return escape(text % params if params else text)


def test_the_dashboard_shows_the_members_commune_role_and_department(world, sale_client: Client):
    login_staff(sale_client, world.agent_sale)
    body = sale_client.get("/backoffice/").content.decode()
    assert "سلا" in body  # Arabic by default
    assert "Karim Agent" in body
    assert world.sale_etat_civil.name_ar in body
    assert "/backoffice/calendar/" in body
    for admin_link in ("/backoffice/staff/", "/backoffice/departments/", "/backoffice/audit/", "/backoffice/overview/"):
        assert admin_link not in body


def test_the_administrators_dashboard_links_to_every_section(world, sale_client: Client):
    login_staff(sale_client, world.admin_sale)
    body = sale_client.get("/backoffice/").content.decode()
    for link in ("/backoffice/staff/", "/backoffice/departments/", "/backoffice/audit/", "/backoffice/calendar/",
                 "/backoffice/overview/"):
        assert f'href="{link}"' in body
    assert 'aria-current="page"' in body


def test_the_leaderships_dashboard_links_to_the_overview_only(world, sale_client: Client):
    login_staff(sale_client, world.leader_sale)
    body = sale_client.get("/backoffice/").content.decode()
    assert 'href="/backoffice/overview/"' in body
    assert 'href="/backoffice/staff/"' not in body


def test_the_dashboard_in_french(world, sale_client: Client):
    login_staff(sale_client, world.head_sale)
    response = sale_client.get("/fr/backoffice/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'lang="fr" dir="ltr"' in body
    assert "Salé" in body
    assert "État civil" in body


@pytest.fixture
def busy_commune(world):
    now = timezone.now()
    Membership.all_communes.filter(user=world.head_sale).update(accepted_at=None)
    Membership.all_communes.filter(user=world.agent_sale).update(is_active=False)
    old = now - timedelta(days=8)
    rows = [
        *(OutboundMessage(commune=world.sale, channel="sms", recipient="+212600000000", template="t", language="ar",
                          body="x", status=Status.SENT, sent_at=now - timedelta(hours=i)) for i in range(4)),
        *(OutboundMessage(commune=world.sale, channel="email", recipient="a@b.ma", template="t", language="ar",
                          body="x", status=Status.FAILED) for _ in range(2)),
        OutboundMessage(commune=world.sale, channel="sms", recipient="+212600000000", template="t", language="ar",
                        body="x", status=Status.SENT, sent_at=old, created_at=old),
        OutboundMessage(commune=world.sale, channel="sms", recipient="+212600000000", template="t", language="ar",
                        body="x", status=Status.PENDING),
        *(OutboundMessage(commune=world.temara, channel="sms", recipient="+212600000000", template="t",
                          language="ar", body="x", status=Status.FAILED) for _ in range(9)),
    ]
    OutboundMessage.objects.bulk_create(rows)
    AuditEvent.all_communes.bulk_create([
        *(AuditEvent(commune=world.sale, action="case.viewed") for _ in range(5)),
        *(AuditEvent(commune=world.sale, action="case.closed") for _ in range(2)),
        AuditEvent(commune=world.sale, action="case.viewed", created_at=old),
        *(AuditEvent(commune=world.temara, action="temara.thing") for _ in range(7)),
    ])
    return world


def figure(body: str, label: str) -> str:
    return body.split(f"<dt>{tr(label)}</dt><dd><bdi>", 1)[1].split("<", 1)[0]


def row_after(html: str, header: str) -> str:
    return html.split(f'<th scope="row">{header}</th>', 1)[1].split("</tr>", 1)[0]


def test_the_overview_shows_the_communes_figures(busy_commune, sale_client: Client):
    world = busy_commune
    login_staff(sale_client, world.leader_sale)
    response = sale_client.get("/fr/backoffice/overview/")
    body = response.content.decode()
    assert response.status_code == 200
    assert figure(body, "Sent") == "4"
    assert figure(body, "Failed") == "2"
    assert figure(body, "Waiting to be sent") == "1"
    # The seven events of the fixture, and the creation of the commune's signing key by the `world` fixture.
    total = 8
    with translation.override("fr"):
        events = translation.ngettext("<bdi>%(total)s</bdi> event in the audit log.",
                                      "<bdi>%(total)s</bdi> events in the audit log.", total) % {"total": total}
    assert events in body
    assert "temara.thing" not in body

    role_table = body.split(tr("Staff by role"), 1)[1].split("</table>", 1)[0]
    assert row_after(role_table, tr("Agent")) == "<td><bdi>0</bdi></td><td><bdi>0</bdi></td><td><bdi>1</bdi></td>"
    assert row_after(role_table, tr("Head of department")) == (
        "<td><bdi>0</bdi></td><td><bdi>1</bdi></td><td><bdi>0</bdi></td>"
    )
    assert row_after(role_table, tr("All staff")) == "<td><bdi>2</bdi></td><td><bdi>1</bdi></td><td><bdi>1</bdi></td>"

    department_table = body.split(tr("Staff by department"), 1)[1].split("</table>", 1)[0]
    assert row_after(department_table, "État civil") == (
        "<td><bdi>0</bdi></td><td><bdi>1</bdi></td><td><bdi>1</bdi></td>"
    )
    # The administrator and the leadership belong to no department.
    assert row_after(department_table, tr("No department")) == (
        "<td><bdi>2</bdi></td><td><bdi>0</bdi></td><td><bdi>0</bdi></td>"
    )


def test_the_overview_offers_no_form_to_the_leadership(busy_commune, sale_client: Client):
    login_staff(sale_client, busy_commune.leader_sale)
    main = sale_client.get("/backoffice/overview/").content.decode().split('<main id="main"', 1)[1]
    assert 'method="post"' not in main


def test_the_overview_runs_a_constant_number_of_queries(world, sale_client: Client, django_assert_num_queries):
    login_staff(sale_client, world.admin_sale)
    sale_client.get("/backoffice/overview/")
    with CaptureQueriesContext(connection) as few:
        sale_client.get("/backoffice/overview/")
    OutboundMessage.objects.bulk_create([
        OutboundMessage(commune=world.sale, channel="sms", recipient="+212600000000", template="t", language="ar",
                        body="x", status=Status.SENT, sent_at=timezone.now()) for _ in range(50)
    ])
    AuditEvent.all_communes.bulk_create([AuditEvent(commune=world.sale, action=f"a.{i % 7}") for i in range(200)])
    with django_assert_num_queries(len(few.captured_queries)):
        sale_client.get("/backoffice/overview/")
