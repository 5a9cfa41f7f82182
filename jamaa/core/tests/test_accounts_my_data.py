"""'My data': what the platform holds about a citizen and who in the administration accessed it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext

from jamaa.core.audit import record, record_personal_data_access
from jamaa.core.models import AuditEvent, User
from jamaa.core.tests.test_accounts_signup import tr

MY_DATA = "/accounts/my-data/"


def staff_read(actor: User, commune, subject: User, reason: str, **extra) -> AuditEvent:
    return record_personal_data_access(actor=actor, commune=commune, subject=subject, target=subject,
                                       reason=reason, fields=["phone", "cin"], **extra)


def test_a_staff_read_of_my_data_is_listed_with_who_where_when_and_why(world, sale_client):
    event = staff_read(world.agent_sale, world.sale, world.citizen_sale, "Birth certificate request SAL-2026-00017")
    sale_client.force_login(world.citizen_sale)
    response = sale_client.get(MY_DATA)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Karim Agent" in body
    assert "سلا" in body
    assert "Birth certificate request SAL-2026-00017" in body
    assert [row["event"].pk for row in response.context["rows"]] == [event.pk]
    assert f'datetime="{event.created_at.astimezone(ZoneInfo("Africa/Casablanca")).isoformat()}"' in body


def test_the_time_is_shown_in_casablanca_time(world, sale_client):
    moment = datetime(2026, 1, 15, 23, 30, tzinfo=ZoneInfo("UTC"))
    fixed = AuditEvent(commune=world.sale, actor=world.head_sale, actor_label="Naima Cheffe",
                       action="personal_data.viewed", subject=world.citizen_sale, reason="Night shift check",
                       created_at=moment)
    fixed.save()
    sale_client.force_login(world.citizen_sale)
    body = sale_client.get(MY_DATA).content.decode()
    # Morocco is UTC+1 outside Ramadan: 23:30 UTC is 00:30 on the 16th.
    assert 'datetime="2026-01-16T00:30:00+01:00"' in body


def test_another_citizens_accesses_are_never_shown(world, sale_client):
    staff_read(world.agent_sale, world.sale, world.citizen_temara, "Someone else's file")
    sale_client.force_login(world.citizen_sale)
    response = sale_client.get(MY_DATA)
    assert "Someone else&#x27;s file" not in response.content.decode()
    assert response.context["rows"] == []
    assert tr("Nobody in the administration has consulted your personal data on this platform.") in \
        response.content.decode()


def test_accesses_from_every_commune_are_listed_on_any_commune_site(world, temara_client):
    staff_read(world.agent_sale, world.sale, world.citizen_temara, "Residence check for Salé")
    staff_read(world.agent_temara, world.temara, world.citizen_temara, "Complaint follow-up")
    temara_client.force_login(world.citizen_temara)
    response = temara_client.get(MY_DATA)
    reasons = [row["event"].reason for row in response.context["rows"]]
    assert reasons == ["Complaint follow-up", "Residence check for Salé"]


def test_my_own_actions_are_not_listed_as_accesses(world, sale_client):
    record(action="account.profile_changed", commune=world.sale, actor=world.citizen_sale,
           subject=world.citizen_sale, details={"fields": ["cin"]})
    sale_client.force_login(world.citizen_sale)
    assert sale_client.get(MY_DATA).context["rows"] == []


def test_the_page_lists_the_data_held_and_why(world, sale_client):
    citizen = world.citizen_sale
    citizen.cin = "AB123456"
    citizen.save(update_fields=["cin"])
    sale_client.force_login(citizen)
    body = sale_client.get(MY_DATA).content.decode()
    assert "Fatima Zahra Bennani" in body
    assert "+2126••••••78" in body and "+212612345678" not in body
    assert "AB••••56" in body and "AB123456" not in body
    assert "09-08" in body
    assert '<th scope="col">' in body and '<th scope="row">' in body


def test_accesses_are_paginated_by_keyset_25_at_a_time(world, sale_client):
    events = [staff_read(world.agent_sale, world.sale, world.citizen_sale, f"Reason {i:02d}") for i in range(30)]
    sale_client.force_login(world.citizen_sale)
    first = sale_client.get(MY_DATA)
    first_ids = [row["event"].pk for row in first.context["rows"]]
    assert first_ids == [e.pk for e in reversed(events)][:25]
    older = first.context["older"]
    assert older == first_ids[-1]
    assert f'href="/accounts/my-data/?before={older}"' in first.content.decode()
    second = sale_client.get(f"{MY_DATA}?before={older}")
    assert [row["event"].pk for row in second.context["rows"]] == [e.pk for e in reversed(events)][25:]
    assert second.context["older"] is None
    assert 'href="/accounts/my-data/"' in second.content.decode()


def test_the_list_page_runs_a_fixed_number_of_queries(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    staff_read(world.agent_sale, world.sale, world.citizen_sale, "One")
    with CaptureQueriesContext(connection) as few:
        sale_client.get(MY_DATA)
    for i in range(10):
        staff_read(world.agent_temara if i % 2 else world.agent_sale, world.temara if i % 2 else world.sale,
                   world.citizen_sale, f"More {i}")
    with CaptureQueriesContext(connection) as many:
        sale_client.get(MY_DATA)
    assert len(many) == len(few)


def test_a_garbage_cursor_shows_the_first_page(world, sale_client):
    staff_read(world.agent_sale, world.sale, world.citizen_sale, "Listed")
    sale_client.force_login(world.citizen_sale)
    for garbage in ("abc", "-1", "1e9", "٣", "9" * 40, ""):
        response = sale_client.get(MY_DATA, {"before": garbage})
        assert response.status_code == 200, garbage
        assert len(response.context["rows"]) == 1


def test_a_cursor_past_the_end_shows_an_empty_state(world, sale_client):
    event = staff_read(world.agent_sale, world.sale, world.citizen_sale, "Listed")
    sale_client.force_login(world.citizen_sale)
    response = sale_client.get(MY_DATA, {"before": event.pk})
    assert response.context["rows"] == []
    assert tr("There are no older accesses.") in response.content.decode()


def test_anonymous_visitors_are_sent_to_login(world, sale_client):
    response = sale_client.get(MY_DATA)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/my-data/"


def test_my_data_does_not_exist_on_the_platform_host(world, platform_client):
    platform_client.force_login(world.citizen_sale)
    assert platform_client.get(MY_DATA).status_code == 404


def test_staff_of_another_commune_see_only_their_own_accesses(world, sale_client):
    staff_read(world.agent_sale, world.sale, world.citizen_sale, "Citizen file")
    staff_read(world.admin_temara, world.temara, world.agent_temara, "Staff record check")
    sale_client.force_login(world.agent_temara)
    response = sale_client.get(MY_DATA)
    assert [row["event"].reason for row in response.context["rows"]] == ["Staff record check"]
    assert "Citizen file" not in response.content.decode()
