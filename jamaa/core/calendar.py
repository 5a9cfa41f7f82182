"""The working-day calendar: the one place where legal deadlines are computed.

A working day in a commune is a Monday to Friday that is neither a Moroccan public holiday nor a day on which
the commune's offices are closed. Public holidays come from the `holidays` package (country MA), whose Hijri
dates (the two Eids, 1 Muharram, the Mawlid) are estimates; the national `HolidayOverride` table corrects
them when the Ministry of Habous announces the sighting of the moon (is_holiday=True adds a date,
is_holiday=False removes an estimated one). `CommuneClosure` rows remove days for one commune only.

Counting convention (shared/LEGAL.md): the day of receipt is day 0 and the deadline is the n-th working (or
calendar) day after it; a deadline in calendar days that falls on a weekend or a holiday moves to the next
working day. Times are converted to Africa/Casablanca before taking the date.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jamaa.core import audit
from jamaa.core.models import Commune, CommuneClosure, HolidayOverride, User

CASABLANCA = ZoneInfo("Africa/Casablanca")

# Longest deadline the calendar computes, in days (working or calendar): about eight years of working days.
MAX_DAYS = 2000
# Longest span of dates the calendar walks through in one call (counting, searching for a working day).
MAX_SPAN_DAYS = 20 * 366
# Longest closure of a commune's offices, in days.
MAX_CLOSURE_DAYS = 366
# The years the package's estimates are asked for; outside them a date is an input error.
MIN_YEAR = 1960
MAX_YEAR = 2200

# Names of the package's holidays: Arabic and French are in the package; Tamazight falls back to Arabic
# as every other translated field does (Translated.tr), and any other language to English.
_PACKAGE_LANGUAGE = {"ar": "ar", "fr": "fr", "zgh": "ar", "en": "en_US"}


class Unit(StrEnum):
    WORKING = "working"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class PackageHoliday:
    """One date of the `holidays` package: its names per package language and whether the date is estimated."""

    names: dict[str, str]
    estimated: bool

    def name(self, language: str | None = None) -> str:
        code = _PACKAGE_LANGUAGE.get(_language_code(language), "en_US")
        return self.names.get(code) or self.names.get("ar", "")


@dataclass(frozen=True)
class HolidayEntry:
    """A line of the year's calendar page: a package holiday, an override, or both."""

    day: date
    name: str
    is_holiday: bool
    estimated: bool = False
    override: HolidayOverride | None = None

    @property
    def is_corrected(self) -> bool:
        return self.override is not None


def _language_code(language: str | None) -> str:
    return (language or get_language() or "ar").split("-")[0].lower()


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"The calendar covers the years {MIN_YEAR} to {MAX_YEAR}, not {year}.")


@functools.lru_cache(maxsize=64)
def package_holidays(year: int) -> dict[date, PackageHoliday]:
    """The `holidays` package's Moroccan public holidays of `year`, computed once per process and year."""
    _check_year(year)
    names: dict[str, dict[date, str]] = {}
    for code in ("ar", "fr", "en_US"):
        table = holidays.country_holidays("MA", years=year, language=code, islamic_show_estimated=False)
        names[code] = dict(table.items())
    marked = holidays.country_holidays("MA", years=year, language="en_US", islamic_show_estimated=True)
    return {
        day: PackageHoliday(
            names={code: names[code].get(day, "") for code in names},
            estimated="estimated" in marked.get(day, ""),
        )
        for day in sorted(names["ar"])
    }


def _override_name(override: HolidayOverride, language: str | None = None) -> str:
    code = _language_code(language)
    order = ["fr", "ar"] if code == "fr" else ["ar", "fr"]
    for candidate in order:
        value = getattr(override, f"name_{candidate}", "")
        if value:
            return value
    return ""


def _years(start: date, end: date) -> range:
    return range(start.year, end.year + 1)


def _overrides_between(start: date, end: date) -> dict[date, HolidayOverride]:
    return {o.date: o for o in HolidayOverride.objects.filter(date__gte=start, date__lte=end)}


def closures_between(commune: Commune, start: date, end: date) -> list[CommuneClosure]:
    """The commune's closures that overlap [start, end], in date order."""
    return list(
        CommuneClosure.all_communes.filter(commune=commune, start_date__lte=end, end_date__gte=start)
        .order_by("start_date", "end_date", "pk")
    )


def holiday_entries(year: int, *, language: str | None = None) -> list[HolidayEntry]:
    """Every public holiday of `year` after the national corrections, plus the estimated dates that a correction
    removed (is_holiday False), for display."""
    _check_year(year)
    start, end = date(year, 1, 1), date(year, 12, 31)
    package = package_holidays(year)
    overrides = _overrides_between(start, end)
    entries: list[HolidayEntry] = []
    for day in sorted(set(package) | set(overrides)):
        from_package = package.get(day)
        override = overrides.get(day)
        package_name = from_package.name(language) if from_package else ""
        if override is None:
            assert from_package is not None
            entries.append(HolidayEntry(day=day, name=package_name, is_holiday=True,
                                        estimated=from_package.estimated))
        else:
            name = _override_name(override, language) or package_name
            entries.append(HolidayEntry(day=day, name=name, is_holiday=override.is_holiday, override=override))
    return entries


def public_holidays(year: int, *, language: str | None = None) -> dict[date, str]:
    """{date: name} of the public holidays of `year` (package estimates corrected by the overrides), named in
    `language` (default: the active language)."""
    return {e.day: e.name for e in holiday_entries(year, language=language) if e.is_holiday}


@dataclass
class _Window:
    """The non-working dates of one commune over a range of dates, loaded with one query per table."""

    commune: Commune
    start: date
    end: date
    closed: set[date] = field(default_factory=set)

    @classmethod
    def load(cls, commune: Commune, start: date, end: date) -> _Window:
        if (end - start).days > MAX_SPAN_DAYS:
            raise ValueError(f"The calendar does not span more than {MAX_SPAN_DAYS} days in one computation.")
        for year in _years(start, end):
            _check_year(year)
        window = cls(commune=commune, start=start, end=end)
        overrides = _overrides_between(start, end)
        for year in _years(start, end):
            for day in package_holidays(year):
                if start <= day <= end:
                    window.closed.add(day)
        for day, override in overrides.items():
            if override.is_holiday:
                window.closed.add(day)
            else:
                window.closed.discard(day)
        for closure in closures_between(commune, start, end):
            window.closed.update(_dates(max(closure.start_date, start), min(closure.end_date, end)))
        return window

    def is_working_day(self, day: date) -> bool:
        if not self.start <= day <= self.end:
            raise ValueError(f"{day} is outside the loaded range {self.start}–{self.end}.")
        return day.weekday() < 5 and day not in self.closed


def _dates(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise ValueError(f"{day} plus {days} days is outside the calendar.") from None


def _check_amount(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("The number of days must be an integer.")
    if n < 0:
        raise ValueError("The number of days cannot be negative.")
    if n > MAX_DAYS:
        raise ValueError(f"A deadline of more than {MAX_DAYS} days is not supported.")


def is_working_day(commune: Commune, day: date | datetime) -> bool:
    """Whether `day` (a date, or an aware datetime taken in Africa/Casablanca) is a working day in the commune."""
    day = local_date(day)
    return _Window.load(commune, day, day).is_working_day(day)


def _first_working_day_from(commune: Commune, day: date, *, skip: int) -> date:
    """The `skip`-th working day strictly after `day` (skip ≥ 1), or `day`'s first working day on or after it when
    skip is 0. Loads the calendar in windows sized for the search, so normally with one query per table."""
    chunk = max(31, skip * 2 + 31)
    remaining = skip
    cursor = day if skip == 0 else _shift(day, 1)
    walked = 0
    while True:
        end = _shift(cursor, chunk - 1)
        window = _Window.load(commune, cursor, end)
        for current in _dates(cursor, end):
            if window.is_working_day(current):
                if remaining <= 1:
                    return current
                remaining -= 1
        walked += chunk
        if walked > MAX_SPAN_DAYS:
            raise ValueError("No working day was found in the calendar's range: check the commune's closures.")
        cursor = _shift(end, 1)
        chunk = min(chunk * 2, MAX_SPAN_DAYS)


def add_working_days(commune: Commune, start: date | datetime, n: int) -> date:
    """The n-th working day after `start` (start is day 0 and need not be a working day); `start` itself if n is 0."""
    _check_amount(n)
    start = local_date(start)
    if n == 0:
        return start
    return _first_working_day_from(commune, start, skip=n)


def next_working_day(commune: Commune, day: date | datetime) -> date:
    """`day` if it is a working day, else the first working day after it."""
    return _first_working_day_from(commune, local_date(day), skip=0)


def working_days_between(commune: Commune, start: date | datetime, end: date | datetime) -> int:
    """The working days in (start, end]: how many working days after `start` the date `end` is, so that
    working_days_between(c, d, add_working_days(c, d, n)) == n. Negative (the opposite count) when end < start."""
    start, end = local_date(start), local_date(end)
    if end < start:
        return -working_days_between(commune, end, start)
    if end == start:
        return 0
    first = _shift(start, 1)
    window = _Window.load(commune, first, end)
    return sum(1 for day in _dates(first, end) if window.is_working_day(day))


def local_date(moment: datetime | date) -> date:
    """The date in Morocco of an aware datetime (a `date` is returned as is)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("A naive datetime has no date in Morocco: pass an aware datetime.")
        return moment.astimezone(CASABLANCA).date()
    return moment


def due_date(
    commune: Commune, received_at: datetime | date, amount: int, unit: Unit | Literal["working", "calendar"]
) -> date:
    """The deadline of something received at `received_at` (day 0, taken in Africa/Casablanca), `amount` working or
    calendar days later; a calendar-day deadline that is not a working day moves to the next working day."""
    unit = Unit(unit)
    _check_amount(amount)
    day0 = local_date(received_at)
    if unit is Unit.WORKING:
        return add_working_days(commune, day0, amount)
    return next_working_day(commune, _shift(day0, amount))


# Writes: the commune's closures, changed by its administrators in the back office.


@transaction.atomic
def closure_create(
    *,
    commune: Commune,
    actor: User,
    start_date: date,
    end_date: date,
    reason_ar: str,
    reason_fr: str,
    reason_zgh: str = "",
    request: HttpRequest | None = None,
) -> CommuneClosure:
    closure = CommuneClosure(
        commune=commune, start_date=start_date, end_date=end_date,
        reason_ar=reason_ar.strip(), reason_fr=reason_fr.strip(), reason_zgh=reason_zgh.strip(),
    )
    closure.full_clean()
    if (end_date - start_date).days >= MAX_CLOSURE_DAYS:
        raise ValidationError({"end_date": _("A closure lasts at most %(days)s days.") % {"days": MAX_CLOSURE_DAYS}})
    closure.save()
    audit.record(
        action="calendar.closure_added", commune=commune, actor=actor, target=closure, request=request,
        details={"start_date": start_date.isoformat(), "end_date": end_date.isoformat(), "reason": closure.reason_fr},
    )
    return closure


@transaction.atomic
def closure_delete(
    *, commune: Commune, actor: User, closure: CommuneClosure, request: HttpRequest | None = None
) -> None:
    if closure.commune_id != commune.pk:
        raise ValueError("This closure belongs to another commune.")
    details = {
        "start_date": closure.start_date.isoformat(), "end_date": closure.end_date.isoformat(),
        "reason": closure.reason_fr,
    }
    audit.record(action="calendar.closure_removed", commune=commune, actor=actor, target=closure, request=request,
                 details=details)
    CommuneClosure.all_communes.filter(pk=closure.pk).delete()
