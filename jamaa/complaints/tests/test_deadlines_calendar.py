"""A complaint's three dates from the commune's calendar: the acknowledgement (15 days) and the legal answer (60 days)
in calendar days moved off weekends, public holidays and closures; the category's internal target in working days,
across the Eids (the `holidays` package's estimates, correctable by the national override table) and the commune's
own closures. Dates here are 2026's: the package puts Eid al-Fitr on 20–21 March and Eid al-Adha on 27–28 May."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from jamaa.complaints import services, sweeps
from jamaa.complaints.tests.sweeps_fixtures import Team, at, file, fresh, move, recipients
from jamaa.complaints.tests.sweeps_fixtures import team as team  # the fixture
from jamaa.core import calendar, tenancy
from jamaa.core.models import HolidayOverride

pytestmark = pytest.mark.django_db


def dates(complaint: Any) -> tuple[str, str, str]:
    return complaint.ack_due.isoformat(), complaint.target_due.isoformat(), complaint.legal_due.isoformat()


def test_the_2026_eid_dates_are_those_the_calendar_uses() -> None:
    names = calendar.public_holidays(2026, language="fr")
    for day in ("2026-03-20", "2026-03-21", "2026-05-27", "2026-05-28", "2026-07-30", "2026-11-18"):
        assert date.fromisoformat(day) in names, day


def test_a_legal_date_on_throne_day_moves_to_the_next_working_day(cworld: Any) -> None:
    # 31 May + 60 days = Thursday 30 July (Throne Day) → Friday 31 July.
    complaint = file(cworld, at(2026, 5, 31, 10))

    assert complaint.legal_due.isoformat() == "2026-07-31"
    assert complaint.case.due_date == complaint.legal_due


def test_a_legal_date_on_independence_day_moves_to_the_next_working_day(cworld: Any) -> None:
    # Saturday 19 September + 60 days = Wednesday 18 November (Independence Day) → Thursday 19 November.
    assert file(cworld, at(2026, 9, 19)).legal_due.isoformat() == "2026-11-19"


def test_a_legal_date_on_a_weekend_moves_to_monday(cworld: Any) -> None:
    # 3 August + 60 days = Friday 2 October, a working day; 4 August + 60 = Saturday 3 October → Monday 5 October.
    assert file(cworld, at(2026, 8, 3)).legal_due.isoformat() == "2026-10-02"
    assert file(cworld, at(2026, 8, 4)).legal_due.isoformat() == "2026-10-05"
    # 1 September + 60 = Saturday 31 October, also Unity Day → Monday 2 November.
    assert file(cworld, at(2026, 9, 1)).legal_due.isoformat() == "2026-11-02"


def test_an_acknowledgement_date_on_a_holiday_moves_too(cworld: Any) -> None:
    # 15 July + 15 days = Throne Day → 31 July; 22 October + 15 = Friday 6 November (Green March) → Monday 9.
    assert file(cworld, at(2026, 7, 15)).ack_due.isoformat() == "2026-07-31"
    assert file(cworld, at(2026, 10, 22)).ack_due.isoformat() == "2026-11-09"


def test_the_day_of_receipt_is_taken_in_morocco(cworld: Any) -> None:
    # 23:30 UTC on 30 May is 00:30 on 31 May in Casablanca (UTC+1): day 0 is the 31st, and 60 days later is Throne
    # Day, so 31 July (counting from the 30th would give Wednesday 29 July).
    complaint = file(cworld, datetime(2026, 5, 30, 23, 30, tzinfo=UTC))
    assert complaint.legal_due.isoformat() == "2026-07-31"


def test_a_target_in_working_days_skips_eid_al_adha(cworld: Any) -> None:
    # Monday 25 May, 5 working days: 26, (27 and 28 are Eid al-Adha), 29, 1 June, 2, 3.
    complaint = file(cworld, at(2026, 5, 25), target_days=5)

    assert dates(complaint) == ("2026-06-09", "2026-06-03", "2026-07-24")


def test_a_target_in_working_days_skips_eid_al_fitr(cworld: Any) -> None:
    # Wednesday 18 March, 3 working days: 19, (20 is Eid al-Fitr, 21–22 the weekend), 23, 24.
    assert file(cworld, at(2026, 3, 18), target_days=3).target_due.isoformat() == "2026-03-24"


def test_a_moon_sighting_correction_moves_the_target(cworld: Any) -> None:
    # Monday 25 May, 2 working days on the estimate: 26, (27, 28), 29.
    assert file(cworld, at(2026, 5, 25), target_days=2).target_due.isoformat() == "2026-05-29"

    # The Ministry announces Eid al-Adha a day later than the estimate: 28–29 May instead of 27–28.
    HolidayOverride.objects.create(date=date(2026, 5, 27), is_holiday=False, note="announced for the 28th")
    HolidayOverride.objects.create(date=date(2026, 5, 29), is_holiday=True, name_fr="Aïd al-Adha (2e jour)")

    # Now 26, 27: the 27th is a working day again.
    assert file(cworld, at(2026, 5, 25), target_days=2).target_due.isoformat() == "2026-05-27"


def test_a_closure_of_salé_moves_salé_s_dates_only(cworld: Any) -> None:
    with tenancy.unscoped():
        calendar.closure_create(commune=cworld.w.sale, actor=cworld.w.admin_sale, start_date=date(2026, 4, 6),
                                end_date=date(2026, 4, 8), reason_ar="إضراب", reason_fr="Grève des services")

    # Friday 3 April, 3 working days: Salé is closed 6–8 April → 9, 10, 13; Témara counts 6, 7, 8.
    sale = file(cworld, at(2026, 4, 3), target_days=3)
    temara = file(cworld, at(2026, 4, 3), commune="temara", target_days=3)

    assert sale.target_due.isoformat() == "2026-04-13"
    assert temara.target_due.isoformat() == "2026-04-08"


def test_a_legal_date_inside_a_closure_moves_past_it(cworld: Any) -> None:
    # 8 May + 60 days = Tuesday 7 July; Salé's offices are closed 6–10 July → Monday 13 July.
    with tenancy.unscoped():
        calendar.closure_create(commune=cworld.w.sale, actor=cworld.w.admin_sale, start_date=date(2026, 7, 6),
                                end_date=date(2026, 7, 10), reason_ar="جرد", reason_fr="Inventaire")

    assert file(cworld, at(2026, 5, 8)).legal_due.isoformat() == "2026-07-13"
    assert file(cworld, at(2026, 5, 8), commune="temara").legal_due.isoformat() == "2026-07-07"


def test_the_target_never_comes_after_the_legal_date(cworld: Any) -> None:
    # 59 working days from 1 June end in late August, after the legal date (31 July): capped at the legal date.
    complaint = file(cworld, at(2026, 6, 1), target_days=59)

    assert complaint.target_due == complaint.legal_due
    assert complaint.ack_due <= complaint.legal_due


def test_reopening_counts_new_dates_from_the_day_of_reopening(cworld: Any) -> None:
    complaint = file(cworld, at(2026, 5, 4), target_days=5)
    move(complaint, "resolve", cworld.hygiene_agent, at(2026, 5, 6), "Collecte faite.")
    with tenancy.unscoped():
        services.complaint_transition(complaint=complaint, name="reopen", actor=cworld.w.citizen_sale,
                                      text="Les ordures sont revenues.", now=at(2026, 5, 25))

    reopened = fresh(complaint)
    # From Monday 25 May: the target skips Eid al-Adha (3 June); 60 days later is Friday 24 July.
    assert (reopened.target_due.isoformat(), reopened.legal_due.isoformat()) == ("2026-06-03", "2026-07-24")
    assert reopened.case.due_date == reopened.legal_due


def test_the_reminder_window_counts_working_days_across_a_closure(cworld: Any, team: Team) -> None:
    # Target Monday 13 April (3 working days from Friday 3 April past Salé's closure of 6–8 April). On Friday 3
    # April itself the two working days ahead are 9 and 10 April: no reminder; on Thursday 9 April they are the
    # 10th and the 13th: reminded.
    with tenancy.unscoped():
        calendar.closure_create(commune=cworld.w.sale, actor=cworld.w.admin_sale, start_date=date(2026, 4, 6),
                                end_date=date(2026, 4, 8), reason_ar="إضراب", reason_fr="Grève des services")
    complaint = file(cworld, at(2026, 4, 3), target_days=3)

    assert sweeps.send_reminders(at(2026, 4, 3, 12)) == 0
    assert sweeps.send_reminders(at(2026, 4, 8, 8)) == 0  # closed, and the 9th and 10th are still before the 13th
    assert sweeps.send_reminders(at(2026, 4, 9, 8)) == 1
    assert recipients("complaint_reminder") == ["chef.hygiene@sale.example.ma", "hygiene@sale.example.ma"]
    assert fresh(complaint).reminded_at == at(2026, 4, 9, 8)
