"""The commune's audit log in the back office: filters, keyset pages, a constant number of queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from conftest import login_staff
from jamaa.core.models import AuditEvent

CASABLANCA = ZoneInfo("Africa/Casablanca")


def tr(message: str, language: str = "ar", **params: object) -> str:
    """`message` as a page in `language` shows it (escaped): unprefixed pages are Arabic, and the catalogues fall
    back to the English msgid until the translators' pass."""
    with translation.override(language):
        text = translation.gettext(message)
    return escape(text % params if params else text)


@pytest.fixture
def admin_client(world, sale_client: Client) -> Client:
    return login_staff(sale_client, world.admin_sale)


def add_events(commune, count: int, *, action: str = "case.viewed", actor=None, start: datetime | None = None,
               target_type: str = "cases.case", step: timedelta = timedelta(minutes=1)) -> list[AuditEvent]:
    start = start or datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    events = [
        AuditEvent(commune=commune, actor=actor, actor_label=actor.full_name if actor else "", action=action,
                   target_type=target_type, target_id=str(i), target_label=f"Case {i}", created_at=start + step * i)
        for i in range(count)
    ]
    return AuditEvent.all_communes.bulk_create(events)


def shown_targets(body: str) -> list[str]:
    return re.findall(r"<br>(Case \d+)</td>", body)


def test_the_log_lists_the_communes_events_newest_first(world, admin_client):
    add_events(world.sale, 3, actor=world.agent_sale)
    add_events(world.temara, 2, actor=world.agent_temara, action="temara.secret")
    response = admin_client.get("/backoffice/audit/")
    body = response.content.decode()
    assert response.status_code == 200
    assert shown_targets(body) == ["Case 2", "Case 1", "Case 0"]
    assert "Karim Agent" in body
    assert "temara.secret" not in body and "Laila Agent" not in body
    assert tr("Older events") not in body


def test_times_are_shown_in_casablanca_time(world, admin_client):
    add_events(world.sale, 1, start=datetime(2026, 6, 15, 8, 5, 9, tzinfo=UTC))
    body = admin_client.get("/backoffice/audit/").content.decode()
    local = datetime(2026, 6, 15, 8, 5, 9, tzinfo=UTC).astimezone(CASABLANCA)
    assert local.strftime("%Y-%m-%d %H:%M:%S") in body


def test_keyset_pages_of_fifty(world, admin_client):
    add_events(world.sale, 120, actor=world.agent_sale)
    first = admin_client.get("/backoffice/audit/").content.decode()
    assert shown_targets(first)[0] == "Case 119"
    assert len(shown_targets(first)) == 50
    next_link = re.search(r'href="\?([^"]*before=\d+[^"]*)" rel="next"', first)
    assert next_link

    second = admin_client.get("/backoffice/audit/?" + next_link.group(1).replace("&amp;", "&")).content.decode()
    assert shown_targets(second)[0] == "Case 69"
    assert len(shown_targets(second)) == 50
    assert tr("Newest events") in second

    third_link = re.search(r'href="\?([^"]*before=\d+[^"]*)" rel="next"', second)
    third = admin_client.get("/backoffice/audit/?" + third_link.group(1).replace("&amp;", "&")).content.decode()
    assert shown_targets(third) == [f"Case {i}" for i in range(19, -1, -1)]
    assert 'rel="next"' not in third


def test_filters_are_kept_across_pages(world, admin_client):
    add_events(world.sale, 60, action="case.viewed")
    add_events(world.sale, 60, action="case.closed")
    first = admin_client.get("/backoffice/audit/", {"action": "case.closed"}).content.decode()
    next_link = re.search(r'href="\?([^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "action=case.closed" in next_link
    second = admin_client.get("/backoffice/audit/?" + next_link).content.decode()
    assert "case.viewed" not in second.split("<tbody>", 1)[1]
    assert len(shown_targets(second)) == 10


def test_the_action_filter_offers_the_communes_actions(world, admin_client):
    add_events(world.sale, 1, action="case.viewed")
    add_events(world.sale, 1, action="department.created", target_type="core.department")
    add_events(world.temara, 1, action="temara.only")
    body = admin_client.get("/backoffice/audit/").content.decode()
    select = body.split('name="action"', 1)[1].split("</select>", 1)[0]
    assert '<option value="case.viewed">' in select
    assert '<option value="department.created">' in select
    assert "temara.only" not in select

    filtered = admin_client.get("/backoffice/audit/", {"action": "department.created"}).content.decode()
    assert "<code dir=\"ltr\">case.viewed</code>" not in filtered


def test_the_actor_filter_matches_part_of_a_name(world, admin_client):
    add_events(world.sale, 2, actor=world.agent_sale)
    add_events(world.sale, 3, actor=world.head_sale, action="case.closed")
    body = admin_client.get("/backoffice/audit/", {"actor": "naima"}).content.decode()
    assert len(shown_targets(body)) == 3
    assert "Karim Agent" not in body.split("<tbody>", 1)[1]


def test_the_target_type_filter(world, admin_client):
    add_events(world.sale, 2, target_type="cases.case")
    add_events(world.sale, 1, target_type="core.department", action="department.updated")
    body = admin_client.get("/backoffice/audit/", {"target_type": "core.department"}).content.decode()
    assert len(shown_targets(body)) == 1
    assert "department.updated" in body.split("<tbody>", 1)[1]


def test_date_filters_use_casablanca_days(world, admin_client):
    # 23:30 UTC on 14 June is 00:30 on 15 June in Casablanca (UTC+1 outside Ramadan).
    assert datetime(2026, 6, 14, 23, 30, tzinfo=UTC).astimezone(CASABLANCA).day == 15
    add_events(world.sale, 1, start=datetime(2026, 6, 14, 22, 30, tzinfo=UTC))  # 14 June, 23:30 local
    add_events(world.sale, 1, start=datetime(2026, 6, 14, 23, 30, tzinfo=UTC), action="case.closed")  # 15 June
    add_events(world.sale, 1, start=datetime(2026, 6, 15, 22, 59, tzinfo=UTC), action="case.reopened")  # 15 June

    on_15 = admin_client.get("/backoffice/audit/", {"date_from": "2026-06-15", "date_to": "2026-06-15"})
    table = on_15.content.decode().split("<tbody>", 1)[1]
    assert "case.closed" in table and "case.reopened" in table and "case.viewed" not in table

    until_14 = admin_client.get("/backoffice/audit/", {"date_to": "2026-06-14"}).content.decode()
    table = until_14.split("<tbody>", 1)[1]
    assert "case.viewed" in table and "case.closed" not in table


@pytest.mark.parametrize("query", [
    {"date_from": "yesterday"},
    {"date_from": "2026-02-30"},
    {"date_from": "2026-06-20", "date_to": "2026-06-01"},
    {"action": "<script>"},
    {"target_type": "nope"},
    {"before": "abc"},
    {"before": "-5"},
    {"before": "99999999999999999999999"},
    {"actor": "x" * 500},
])
def test_bad_filters_never_break_the_page(world, admin_client, query):
    add_events(world.sale, 3)
    response = admin_client.get("/backoffice/audit/", query)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_an_inverted_date_range_is_explained(world, admin_client):
    response = admin_client.get("/backoffice/audit/", {"date_from": "2026-06-20", "date_to": "2026-06-01"})
    assert tr("The end date is before the start date.") in response.content.decode()


def test_an_empty_log_says_so(world, admin_client):
    body = admin_client.get("/backoffice/audit/", {"actor": "nobody at all"}).content.decode()
    assert tr("No event matches these filters.") in body


def test_a_page_runs_the_same_queries_with_many_events(world, admin_client, django_assert_num_queries):
    add_events(world.sale, 3, actor=world.agent_sale)
    admin_client.get("/backoffice/audit/")
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/backoffice/audit/")

    for action in ["case.viewed", "case.closed", "staff.invited"]:
        add_events(world.sale, 80, actor=world.head_sale, action=action)
    # Events about a person: the page shows that person's name without a query per row.
    AuditEvent.all_communes.bulk_create([
        AuditEvent(commune=world.sale, action="personal_data.viewed", subject=world.citizen_sale,
                   actor=world.agent_sale, actor_label="Karim Agent")
        for _ in range(60)
    ])
    add_events(world.temara, 100, actor=world.agent_temara)

    with django_assert_num_queries(len(few.captured_queries)) as captured:
        response = admin_client.get("/backoffice/audit/")
    body = response.content.decode()
    assert body.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>") == 50
    assert "Fatima Zahra Bennani" in body
    sql = " ".join(query["sql"].upper() for query in captured.captured_queries)
    assert "COUNT(" not in sql

    with django_assert_num_queries(len(few.captured_queries)):
        admin_client.get("/backoffice/audit/", {"before": "200", "actor": "naima", "date_from": "2026-01-01"})


def test_the_audit_log_shows_back_office_changes(world, admin_client):
    admin_client.post("/backoffice/departments/new/", {"code": "voirie", "name_ar": "الطرق", "name_fr": "Voirie"})
    body = admin_client.get("/backoffice/audit/").content.decode()
    assert "department.created" in body
    assert "Samir Admin" in body
