"""The back-office calendar page: holidays, the commune's closures, the deadline calculator."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import login_staff
from jamaa.core import calendar, tenancy
from jamaa.core.models import AuditEvent, CommuneClosure, HolidayOverride

pytestmark = pytest.mark.django_db

URL = "/backoffice/calendar/"


def closure_post(**overrides):
    data = {
        "action": "add_closure",
        "closure-start_date": "2026-11-19",
        "closure-end_date": "2026-11-20",
        "closure-reason_ar": "جرد سنوي",
        "closure-reason_fr": "Inventaire annuel",
        "closure-reason_zgh": "",
    }
    data.update(overrides)
    return data


def sale_closures():
    with tenancy.unscoped():
        return list(CommuneClosure.all_communes.filter(commune__slug="sale"))


def test_an_anonymous_visitor_is_sent_to_the_login_page(world, sale_client):
    response = sale_client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    response = sale_client.post(URL, closure_post())
    assert response.status_code == 302
    assert sale_closures() == []


def test_a_citizen_is_refused(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    assert sale_client.get(URL).status_code == 403


def test_the_staff_of_another_commune_are_refused(world, sale_client):
    login_staff(sale_client, world.admin_temara)
    assert sale_client.get(URL).status_code == 403
    assert sale_client.post(URL, closure_post()).status_code == 403
    assert sale_closures() == []


def test_the_page_does_not_exist_on_the_national_landing_host(world, platform_client):
    login_staff(platform_client, world.admin_sale)
    assert platform_client.get(URL).status_code == 404


def test_an_administrator_sees_the_holidays_of_the_year(world, sale_client):
    login_staff(sale_client, world.admin_sale)
    response = sale_client.get(URL, {"year": "2026"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'datetime="2026-11-18"' in body
    assert "عيد الاستقلال" in body
    assert 'datetime="2026-05-27"' in body
    assert "badge--warning" in body  # the estimated Hijri dates are marked
    assert 'name="action" value="add_closure"' in body


def test_the_holidays_are_named_in_french_on_french_pages(world, sale_client):
    login_staff(sale_client, world.admin_sale)
    world.admin_sale.language = "fr"
    world.admin_sale.save()
    response = sale_client.get("/fr" + URL, {"year": "2026"})
    assert response.status_code == 200
    assert "Fête de l&#x27;indépendance" in response.content.decode()


def test_a_national_correction_is_shown_on_the_page(world, sale_client):
    HolidayOverride.objects.create(date=date(2026, 5, 27), is_holiday=False, note="Annonce du ministère")
    HolidayOverride.objects.create(date=date(2026, 5, 29), is_holiday=True, name_ar="عيد الأضحى",
                                   name_fr="Aïd al-Adha")
    login_staff(sale_client, world.agent_sale)
    body = sale_client.get(URL, {"year": "2026"}).content.decode()
    assert 'datetime="2026-05-29"' in body
    assert "badge--info" in body  # the announced date
    assert "badge--neutral" in body  # the estimate that was removed
    assert "Annonce du ministère" in body


def test_an_agent_reads_the_page_without_the_closure_form(world, sale_client):
    CommuneClosure.all_communes.create(commune=world.sale, start_date=date(2026, 12, 24),
                                       end_date=date(2026, 12, 24), reason_ar="صيانة", reason_fr="Maintenance")
    login_staff(sale_client, world.agent_sale)
    response = sale_client.get(URL, {"year": "2026"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "صيانة" in body
    assert 'value="add_closure"' not in body
    assert 'value="delete_closure"' not in body


@pytest.mark.parametrize("member", ["agent_sale", "head_sale", "leader_sale"])
def test_only_administrators_change_closures(world, sale_client, member):
    login_staff(sale_client, getattr(world, member))
    assert sale_client.post(URL, closure_post()).status_code == 403
    assert sale_closures() == []


def test_an_administrator_adds_a_closure_with_an_audit_event(world, sale_client):
    login_staff(sale_client, world.admin_sale)
    response = sale_client.post(URL, closure_post())
    assert response.status_code == 302
    assert response["Location"].endswith("?year=2026")
    [closure] = sale_closures()
    assert (closure.start_date, closure.end_date, closure.reason_fr) == (
        date(2026, 11, 19), date(2026, 11, 20), "Inventaire annuel")
    event = AuditEvent.all_communes.get(action="calendar.closure_added")
    assert event.commune == world.sale
    assert event.actor == world.admin_sale
    assert event.target_id == str(closure.pk)
    # Deadlines of Salé now skip the closure; Témara's do not.
    assert not calendar.is_working_day(world.sale, date(2026, 11, 19))
    assert calendar.is_working_day(world.temara, date(2026, 11, 19))
    page = sale_client.get(response["Location"]).content.decode()
    assert "جرد سنوي" in page
    assert "flash--success" in page


def test_a_closure_ending_before_it_starts_is_refused_and_the_typed_values_are_kept(world, sale_client):
    login_staff(sale_client, world.admin_sale)
    response = sale_client.post(URL, closure_post(**{"closure-end_date": "2026-11-10"}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "field--error" in body
    assert 'value="Inventaire annuel"' in body
    assert 'value="2026-11-10"' in body
    assert sale_closures() == []
    assert not AuditEvent.all_communes.filter(action="calendar.closure_added").exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"closure-start_date": "not a date"},
        {"closure-start_date": "2026-02-30"},
        {"closure-start_date": "0001-01-01"},
        {"closure-end_date": "2028-01-01"},  # longer than a year
        {"closure-reason_fr": ""},
        {"closure-reason_ar": "x" * 201},
    ],
)
def test_bad_closure_input_gets_an_inline_error_not_a_500(world, sale_client, bad):
    login_staff(sale_client, world.admin_sale)
    response = sale_client.post(URL, closure_post(**bad))
    assert response.status_code == 200
    assert "field--error" in response.content.decode()
    assert sale_closures() == []


def test_an_administrator_removes_a_closure_with_an_audit_event(world, sale_client):
    closure = CommuneClosure.all_communes.create(commune=world.sale, start_date=date(2026, 12, 24),
                                                 end_date=date(2026, 12, 24), reason_ar="صيانة",
                                                 reason_fr="Maintenance")
    login_staff(sale_client, world.admin_sale)
    response = sale_client.post(URL, {"action": "delete_closure", "closure": str(closure.pk)})
    assert response.status_code == 302
    assert sale_closures() == []
    event = AuditEvent.all_communes.get(action="calendar.closure_removed")
    assert (event.commune, event.actor, event.target_id) == (world.sale, world.admin_sale, str(closure.pk))
    assert event.details["start_date"] == "2026-12-24"


def test_another_communes_closure_answers_404(world, sale_client):
    closure = CommuneClosure.all_communes.create(commune=world.temara, start_date=date(2026, 12, 24),
                                                 end_date=date(2026, 12, 24), reason_ar="صيانة",
                                                 reason_fr="Maintenance")
    login_staff(sale_client, world.admin_sale)
    response = sale_client.post(URL, {"action": "delete_closure", "closure": str(closure.pk)})
    assert response.status_code == 404
    with tenancy.unscoped():
        assert CommuneClosure.all_communes.filter(pk=closure.pk).exists()
    # Nor is it listed on Salé's page.
    assert "صيانة" not in sale_client.get(URL, {"year": "2026"}).content.decode()


@pytest.mark.parametrize("raw", ["", "abc", "-1", "99999999999999999999999"])
def test_a_malformed_closure_id_answers_404(world, sale_client, raw):
    login_staff(sale_client, world.admin_sale)
    assert sale_client.post(URL, {"action": "delete_closure", "closure": raw}).status_code == 404


def test_an_unknown_action_is_a_bad_request(world, sale_client):
    login_staff(sale_client, world.admin_sale)
    assert sale_client.post(URL, {"action": "drop_everything"}).status_code == 400


def test_the_calculator_gives_the_deadline(world, sale_client):
    login_staff(sale_client, world.agent_sale)
    response = sale_client.get(URL, {"calc-start": "2026-11-16", "calc-amount": "3", "calc-unit": "working"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="calculator-result"' in body
    assert 'datetime="2026-11-20"' in body
    # Calendar days: Fri 13 Nov + 5 is Independence Day, so Thu 19 Nov.
    response = sale_client.get(URL, {"calc-start": "2026-11-13", "calc-amount": "5", "calc-unit": "calendar"})
    assert 'datetime="2026-11-19"' in response.content.decode()


def test_the_calculator_counts_the_communes_closures(world, sale_client):
    CommuneClosure.all_communes.create(commune=world.sale, start_date=date(2026, 11, 19),
                                       end_date=date(2026, 11, 20), reason_ar="جرد", reason_fr="Inventaire")
    login_staff(sale_client, world.agent_sale)
    response = sale_client.get(URL, {"calc-start": "2026-11-16", "calc-amount": "3", "calc-unit": "working"})
    assert 'datetime="2026-11-24"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"calc-start": "2026-11-16", "calc-amount": "abc", "calc-unit": "working"},
        {"calc-start": "2026-11-16", "calc-amount": "5000", "calc-unit": "working"},
        {"calc-start": "2026-11-16", "calc-amount": "-2", "calc-unit": "working"},
        {"calc-start": "yesterday", "calc-amount": "3", "calc-unit": "working"},
        {"calc-start": "2026-11-16", "calc-amount": "3", "calc-unit": "fortnights"},
        {"calc-start": "2199-12-20", "calc-amount": "2000", "calc-unit": "working"},
    ],
)
def test_bad_calculator_input_gets_an_error_and_keeps_the_values(world, sale_client, query):
    login_staff(sale_client, world.agent_sale)
    response = sale_client.get(URL, query)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="calculator-result"' not in body
    assert "form-errors" in body
    assert f'value="{query["calc-start"]}"' in body


@pytest.mark.parametrize("year", ["abc", "99999", "1200", ""])
def test_a_bad_year_shows_the_current_year(world, sale_client, year):
    login_staff(sale_client, world.agent_sale)
    response = sale_client.get(URL, {"year": year})
    assert response.status_code == 200


def test_the_page_reads_a_bounded_number_of_queries(world, sale_client, django_assert_max_num_queries):
    for day in (1, 8, 15):
        CommuneClosure.all_communes.create(commune=world.sale, start_date=date(2026, 12, day),
                                           end_date=date(2026, 12, day), reason_ar="x", reason_fr="x")
    login_staff(sale_client, world.admin_sale)
    sale_client.get(URL)
    with django_assert_max_num_queries(15):
        sale_client.get(URL, {"year": "2026"})


def test_the_closure_service_refuses_an_inverted_range(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        calendar.closure_create(commune=world.sale, actor=world.admin_sale, start_date=date(2026, 11, 20),
                                end_date=date(2026, 11, 19), reason_ar="x", reason_fr="x")
    assert sale_closures() == []
    assert not AuditEvent.all_communes.filter(action="calendar.closure_added").exists()
