"""The working-day calendar against real 2026 dates.

Expected dates were read off a printed 2026 calendar (1 January 2026 is a Thursday; 25 May, 16 November and
2 November 2026 are Mondays), not computed with the functions under test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from jamaa.core import calendar
from jamaa.core.calendar import (
    add_working_days,
    due_date,
    is_working_day,
    next_working_day,
    public_holidays,
    working_days_between,
)
from jamaa.core.models import CommuneClosure, HolidayOverride

pytestmark = pytest.mark.django_db


def move_eid_al_adha_one_day_later() -> None:
    """As when the Ministry announces Eid al-Adha on 28–29 May instead of the estimated 27–28 May."""
    HolidayOverride.objects.create(date=date(2026, 5, 27), is_holiday=False, note="Announced one day later")
    HolidayOverride.objects.create(date=date(2026, 5, 29), is_holiday=True, name_ar="عيد الأضحى",
                                   name_fr="Aïd al-Adha")


def test_the_package_estimates_eid_al_adha_2026_on_27_and_28_may():
    holidays_2026 = public_holidays(2026, language="fr")
    assert "sacrifice" in holidays_2026[date(2026, 5, 27)]
    assert "sacrifice" in holidays_2026[date(2026, 5, 28)]
    assert date(2026, 5, 29) not in holidays_2026


def test_fixed_holidays_of_2026_include_independence_day_and_the_new_unity_day():
    holidays_2026 = public_holidays(2026, language="fr")
    for day in [date(2026, 1, 1), date(2026, 1, 11), date(2026, 1, 14), date(2026, 5, 1), date(2026, 7, 30),
                date(2026, 8, 14), date(2026, 8, 20), date(2026, 8, 21), date(2026, 10, 31), date(2026, 11, 6),
                date(2026, 11, 18)]:
        assert day in holidays_2026, day
    assert holidays_2026[date(2026, 11, 18)] == "Fête de l'indépendance"


def test_holiday_names_follow_the_active_language():
    with translation.override("ar"):
        assert public_holidays(2026)[date(2026, 11, 18)] == "عيد الاستقلال"
    with translation.override("fr"):
        assert public_holidays(2026)[date(2026, 11, 18)] == "Fête de l'indépendance"
    with translation.override("zgh"):
        # The package has no Tamazight names: Arabic, as for every other translated field.
        assert public_holidays(2026)[date(2026, 11, 18)] == "عيد الاستقلال"


def test_18_november_2026_independence_day_is_not_a_working_day(world):
    assert is_working_day(world.sale, date(2026, 11, 17)) is True
    assert is_working_day(world.sale, date(2026, 11, 18)) is False
    assert is_working_day(world.sale, date(2026, 11, 19)) is True


def test_weekends_are_not_working_days(world):
    assert is_working_day(world.sale, date(2026, 11, 14)) is False  # Saturday
    assert is_working_day(world.sale, date(2026, 11, 15)) is False  # Sunday
    assert is_working_day(world.sale, date(2026, 11, 16)) is True  # Monday


def test_adding_working_days_skips_independence_day(world):
    # Mon 16 Nov + 3: Tue 17 (1), Wed 18 holiday, Thu 19 (2), Fri 20 (3).
    assert add_working_days(world.sale, date(2026, 11, 16), 3) == date(2026, 11, 20)


def test_twenty_working_days_for_an_information_request_received_on_2_november_2026(world):
    # Law 31-13: skips Green March (Fri 6 Nov), Independence Day (Wed 18 Nov) and the weekends.
    assert add_working_days(world.sale, date(2026, 11, 2), 20) == date(2026, 12, 2)
    assert working_days_between(world.sale, date(2026, 11, 2), date(2026, 12, 2)) == 20


def test_adding_working_days_across_eid_al_adha_2026_with_the_estimate(world):
    # Estimate: Wed 27 and Thu 28 May are holidays. Mon 25 + 2: Tue 26 (1), Fri 29 (2).
    assert add_working_days(world.sale, date(2026, 5, 25), 2) == date(2026, 5, 29)
    # Received on Wed 27 (Eid): Thu 28 holiday, Fri 29 (1).
    assert add_working_days(world.sale, date(2026, 5, 27), 1) == date(2026, 5, 29)
    # Mon 25 + 5: 26 (1), 29 (2), 1 Jun (3), 2 Jun (4), 3 Jun (5).
    assert add_working_days(world.sale, date(2026, 5, 25), 5) == date(2026, 6, 3)


def test_adding_working_days_across_eid_al_adha_2026_moved_one_day_by_an_override(world):
    move_eid_al_adha_one_day_later()
    assert is_working_day(world.sale, date(2026, 5, 27)) is True
    assert is_working_day(world.sale, date(2026, 5, 29)) is False
    # Announced: Thu 28 and Fri 29 May. Mon 25 + 2: Tue 26 (1), Wed 27 (2).
    assert add_working_days(world.sale, date(2026, 5, 25), 2) == date(2026, 5, 27)
    # Received on Wed 27: Thu 28 and Fri 29 holidays, weekend, Mon 1 June (1).
    assert add_working_days(world.sale, date(2026, 5, 27), 1) == date(2026, 6, 1)
    holidays_2026 = public_holidays(2026, language="fr")
    assert date(2026, 5, 27) not in holidays_2026
    assert holidays_2026[date(2026, 5, 29)] == "Aïd al-Adha"


def test_an_override_can_add_a_holiday_on_a_day_the_package_does_not_know(world):
    HolidayOverride.objects.create(date=date(2026, 11, 17), is_holiday=True, name_fr="Jour exceptionnel")
    assert is_working_day(world.sale, date(2026, 11, 17)) is False
    assert is_working_day(world.temara, date(2026, 11, 17)) is False
    assert add_working_days(world.sale, date(2026, 11, 16), 1) == date(2026, 11, 19)


def test_a_closure_of_one_commune_does_not_affect_the_other(world):
    CommuneClosure.all_communes.create(commune=world.sale, start_date=date(2026, 11, 19),
                                       end_date=date(2026, 11, 20), reason_ar="جرد", reason_fr="Inventaire")
    assert is_working_day(world.sale, date(2026, 11, 19)) is False
    assert is_working_day(world.sale, date(2026, 11, 20)) is False
    assert is_working_day(world.temara, date(2026, 11, 19)) is True
    # Salé: 17 (1), 18 holiday, 19–20 closed, weekend, Mon 23 (2), Tue 24 (3). Témara: Fri 20.
    assert add_working_days(world.sale, date(2026, 11, 16), 3) == date(2026, 11, 24)
    assert add_working_days(world.temara, date(2026, 11, 16), 3) == date(2026, 11, 20)
    assert working_days_between(world.sale, date(2026, 11, 16), date(2026, 11, 24)) == 3
    assert working_days_between(world.temara, date(2026, 11, 16), date(2026, 11, 24)) == 5


def test_the_calendar_works_outside_any_tenancy_scope(world):
    # Sweeps across communes call it from the worker, with no commune activated.
    CommuneClosure.all_communes.create(commune=world.temara, start_date=date(2026, 12, 1),
                                       end_date=date(2026, 12, 1), reason_ar="x", reason_fr="x")
    assert is_working_day(world.temara, date(2026, 12, 1)) is False


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 11, 16), date(2026, 11, 16), 0),  # same day
        (date(2026, 11, 16), date(2026, 11, 17), 1),  # the next day counts, the first does not
        (date(2026, 11, 16), date(2026, 11, 20), 3),  # across Independence Day
        (date(2026, 11, 20), date(2026, 11, 16), -3),  # backwards: the opposite count
        (date(2026, 11, 13), date(2026, 11, 16), 1),  # Fri to Mon: the weekend does not count
        (date(2026, 11, 14), date(2026, 11, 15), 0),  # Sat to Sun
        (date(2026, 11, 17), date(2026, 11, 18), 0),  # into a holiday
        (date(2026, 12, 31), date(2027, 1, 4), 1),  # across the year: Fri 1 Jan 2027 is New Year's Day
    ],
)
def test_working_days_between(world, start, end, expected):
    assert working_days_between(world.sale, start, end) == expected


def test_zero_working_days_is_the_day_itself(world):
    assert add_working_days(world.sale, date(2026, 11, 18), 0) == date(2026, 11, 18)


def test_next_working_day(world):
    assert next_working_day(world.sale, date(2026, 11, 16)) == date(2026, 11, 16)
    assert next_working_day(world.sale, date(2026, 11, 14)) == date(2026, 11, 16)
    assert next_working_day(world.sale, date(2026, 5, 27)) == date(2026, 5, 29)


def test_due_date_in_calendar_days_on_a_saturday_moves_to_monday(world):
    received = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Mon 1 June, 10:00 in Morocco
    # +5 calendar days is Sat 6 June: the deadline moves to Mon 8 June.
    assert due_date(world.sale, received, 5, "calendar") == date(2026, 6, 8)


def test_due_date_in_calendar_days_on_a_holiday_moves_to_the_next_working_day(world):
    received = datetime(2026, 11, 13, 9, 0, tzinfo=UTC)  # Fri 13 Nov
    # +5 calendar days is Wed 18 Nov (Independence Day): Thu 19 Nov.
    assert due_date(world.sale, received, 5, "calendar") == date(2026, 11, 19)
    # After a Saturday, the Monday Eid of the estimate would not count either: Mon 25 May + 5 = Sat 30 → Mon 1 June.
    assert due_date(world.sale, datetime(2026, 5, 25, 9, tzinfo=UTC), 5, "calendar") == date(2026, 6, 1)


def test_due_date_in_working_days(world):
    received = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
    assert due_date(world.sale, received, 20, calendar.Unit.WORKING) == date(2026, 12, 2)


def test_receipt_near_midnight_utc_during_ramadan_time_keeps_its_day(world):
    # From 15 February to 22 March 2026 Morocco is on UTC+0: 23:30 UTC on Thu 5 March is still Thu 5 March.
    received = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    assert calendar.local_date(received) == date(2026, 3, 5)
    assert due_date(world.sale, received, 1, "working") == date(2026, 3, 6)


def test_receipt_near_midnight_utc_outside_ramadan_is_the_next_day_in_morocco(world):
    # On UTC+1, 23:30 UTC on Thu 2 April is 00:30 on Fri 3 April in Morocco: day 0 is Friday, day 1 Monday 6 April.
    received = datetime(2026, 4, 2, 23, 30, tzinfo=UTC)
    assert calendar.local_date(received) == date(2026, 4, 3)
    assert due_date(world.sale, received, 1, "working") == date(2026, 4, 6)


def test_due_date_refuses_a_naive_datetime(world):
    with pytest.raises(ValueError, match="naive"):
        due_date(world.sale, datetime(2026, 4, 2, 23, 30), 1, "working")


@pytest.mark.parametrize("amount", [-1, 2001, 10**9])
def test_absurd_numbers_of_days_are_refused(world, amount):
    with pytest.raises(ValueError):
        add_working_days(world.sale, date(2026, 1, 5), amount)
    with pytest.raises(ValueError):
        due_date(world.sale, date(2026, 1, 5), amount, "calendar")


def test_an_unknown_unit_is_refused(world):
    with pytest.raises(ValueError):
        due_date(world.sale, date(2026, 1, 5), 3, "weeks")  # type: ignore[arg-type]


def test_the_longest_deadline_is_computed(world):
    # 2000 working days is about eight years: computed without error, and consistent with the count.
    end = add_working_days(world.sale, date(2026, 1, 5), 2000)
    assert date(2033, 1, 1) < end < date(2035, 1, 1)
    assert working_days_between(world.sale, date(2026, 1, 5), end) == 2000


def test_dates_outside_the_calendar_are_refused(world):
    with pytest.raises(ValueError):
        is_working_day(world.sale, date(9999, 12, 31))
    with pytest.raises(ValueError):
        working_days_between(world.sale, date(1970, 1, 1), date(2026, 1, 1))


def test_a_commune_closed_for_ever_gives_an_error_not_a_hang(world):
    day = date(2026, 1, 1)
    for _ in range(25):
        end = date(day.year, 12, 31)
        CommuneClosure.all_communes.create(commune=world.sale, start_date=day, end_date=end, reason_ar="x",
                                           reason_fr="x")
        day = date(day.year + 1, 1, 1)
    with pytest.raises(ValueError, match="No working day"):
        add_working_days(world.sale, date(2026, 1, 5), 1)


def test_adding_working_days_reads_the_tables_once(world, django_assert_num_queries):
    # One query for the overrides and one for the closures, whatever the number of days.
    with django_assert_num_queries(2):
        add_working_days(world.sale, date(2026, 1, 5), 200)
    with django_assert_num_queries(2):
        working_days_between(world.sale, date(2026, 1, 5), date(2027, 1, 5))


def test_datetimes_are_taken_in_moroccan_time(world):
    # 23:30 UTC on Tue 17 Nov 2026 is 00:30 on Wed 18 Nov (Independence Day) in Morocco.
    late_tuesday = datetime(2026, 11, 17, 23, 30, tzinfo=UTC)
    assert is_working_day(world.sale, late_tuesday) is False
    assert add_working_days(world.sale, late_tuesday, 1) == date(2026, 11, 19)
    assert working_days_between(world.sale, datetime(2026, 11, 16, 12, tzinfo=UTC), late_tuesday) == 1
    assert next_working_day(world.sale, late_tuesday) == date(2026, 11, 19)
