"""Platform operators correct the national holiday calendar in the Django admin; each change is audited."""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import login_staff
from jamaa.core import calendar
from jamaa.core.models import AuditEvent, HolidayOverride, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(platform_client):
    operator = User.objects.create_superuser("ops@jamaa.ma", "Correct-Horse-2026", full_name="Platform Operator")
    TOTPDevice.objects.create(user=operator, name="default", confirmed=True)
    return login_staff(platform_client, operator)


def test_an_operator_moves_eid_al_adha_and_every_commune_follows(world, operator_client):
    response = operator_client.post("/admin/core/holidayoverride/add/", {
        "date": "2026-05-27", "is_holiday": "", "name_ar": "", "name_fr": "", "note": "Annonce du ministère",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    response = operator_client.post("/admin/core/holidayoverride/add/", {
        "date": "2026-05-29", "is_holiday": "on", "name_ar": "عيد الأضحى", "name_fr": "Aïd al-Adha", "note": "",
    })
    assert response.status_code == 302
    assert HolidayOverride.objects.count() == 2
    for commune in (world.sale, world.temara):
        assert calendar.is_working_day(commune, date(2026, 5, 27))
        assert not calendar.is_working_day(commune, date(2026, 5, 29))
    events = AuditEvent.all_communes.filter(action="calendar.override_added").order_by("id")
    assert [e.details["date"] for e in events] == ["2026-05-27", "2026-05-29"]
    assert all(e.commune is None and e.actor.username == "ops@jamaa.ma" for e in events)


def test_the_override_list_shows_the_packages_estimate(world, operator_client):
    HolidayOverride.objects.create(date=date(2026, 5, 27), is_holiday=False)
    response = operator_client.get("/admin/core/holidayoverride/")
    assert response.status_code == 200
    assert "عيد الأضحى" in response.content.decode()  # the estimate, named in the admin's language


def test_deleting_an_override_is_audited(world, operator_client):
    override = HolidayOverride.objects.create(date=date(2026, 5, 29), is_holiday=True, name_fr="Aïd al-Adha")
    response = operator_client.post("/admin/core/holidayoverride/", {
        "action": "delete_selected", "_selected_action": [str(override.pk)], "post": "yes",
    })
    assert response.status_code == 302
    assert not HolidayOverride.objects.exists()
    assert AuditEvent.all_communes.filter(action="calendar.override_removed").count() == 1


def test_commune_staff_cannot_reach_the_override_admin(world, platform_client):
    login_staff(platform_client, world.admin_sale)
    response = platform_client.get("/admin/core/holidayoverride/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
