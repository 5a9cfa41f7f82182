"""What each kind of act states: its title, its opening sentence, its key facts and how long it is valid.

One `KindSpec` per `catalog.ActKind`. The key facts are read from the case's answers (the national form
definitions of `jamaa/catalog/demo.py` name them) and go both on the PDF and, under small integer keys, into the
signed QR payload. Never renumber a fact key: printed documents carry them for years. A fact whose answer is
missing is left out (an optional question not answered).

Labels are English msgids rendered in Arabic and French (`translation.override`), so the act, the verification
page and the offline verifier all name a fact the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jamaa.catalog.models import ActKind
from jamaa.core import calendar

if TYPE_CHECKING:
    from jamaa.cases.models import Case

FactFormat = Literal["text", "code", "date", "number"]

# Sources that are not plain answers of the form.
CIN = "@cin"
ARRONDISSEMENT = "@arrondissement"


@dataclass(frozen=True)
class FactSpec:
    key: int
    label: Promise
    source: str  # an answer's name, or CIN / ARRONDISSEMENT
    format: FactFormat = "text"


@dataclass(frozen=True)
class KindSpec:
    kind: str
    code: str  # the payload's kind code, short: it is in every QR
    title: Promise
    # The act's opening sentence; %(commune)s is the commune's name in the same language.
    intro: Promise
    facts: tuple[FactSpec, ...] = ()
    validity_days: int | None = None
    # When set, the expiry comes from the answers (e.g. an occupation permit's period), not from validity_days.
    expires: Callable[[Case], date | None] | None = None
    # "Other" acts are titled by their procedure, not by the kind.
    title_from_procedure: bool = False


def _occupation_end(case: Case) -> date | None:
    start, months = case.data.get("start_date"), case.data.get("months")
    if not start or not months:
        return None
    try:
        first = date.fromisoformat(str(start))
        count = int(months)
    except (TypeError, ValueError):
        return None
    month = first.month - 1 + count
    year, month = first.year + month // 12, month % 12 + 1
    day = min(first.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31,
                          31, 30, 31, 30, 31][month - 1])
    return date(year, month, day) - timedelta(days=1)


HOLDER_CIN = FactSpec(1, _("National identity card (CIN)"), CIN, "code")

KINDS: dict[str, KindSpec] = {spec.kind: spec for spec in (
    KindSpec(
        ActKind.RESIDENCE_CERTIFICATE, "RES", _("Residence certificate"),
        _("The president of the council of %(commune)s certifies that the person named below resides at the "
          "address below, within the commune's territory."),
        (HOLDER_CIN, FactSpec(2, _("Address"), "address"), FactSpec(3, _("Arrondissement"), ARRONDISSEMENT),
         FactSpec(4, _("Resident since"), "since", "date")),
        validity_days=90,
    ),
    KindSpec(
        ActKind.LIFE_CERTIFICATE, "VIE", _("Life certificate"),
        _("The president of the council of %(commune)s certifies that the person named below is alive on the "
          "date of issue of this certificate."),
        (HOLDER_CIN,),
        validity_days=90,
    ),
    KindSpec(
        ActKind.ADMINISTRATIVE_CERTIFICATE, "ADM", _("Administrative certificate"),
        _("The president of the council of %(commune)s certifies the facts stated below, established by the "
          "commune's services."),
        (HOLDER_CIN, FactSpec(2, _("Establishment"), "establishment"), FactSpec(3, _("Address"), "address"),
         FactSpec(4, _("Staff"), "staff", "number")),
        validity_days=365,
    ),
    KindSpec(
        ActKind.BIRTH_RECORD_COPY, "NAI", _("Copy of a birth record"),
        _("Copy delivered by the civil status office of %(commune)s, in conformity with the registers."),
        (FactSpec(1, _("Person concerned"), "person_name"), FactSpec(2, _("Date of birth"), "event_date", "date"),
         FactSpec(3, _("Record number"), "record_number", "code"),
         FactSpec(4, _("Record year"), "record_year", "number")),
        validity_days=90,
    ),
    KindSpec(
        ActKind.SIGNATURE_LEGALISATION, "LEG", _("Signature legalisation"),
        _("The civil status office of %(commune)s certifies the signature of the person named below, who signed "
          "before the officer."),
        (HOLDER_CIN, FactSpec(2, _("Number of signatories"), "signatories", "number")),
    ),
    KindSpec(
        ActKind.BURIAL_PERMIT, "INH", _("Burial permit"),
        _("The president of the council of %(commune)s authorises the burial of the deceased person named below."),
        (FactSpec(1, _("Deceased"), "deceased_name"), FactSpec(2, _("Date of death"), "death_date", "date"),
         FactSpec(3, _("Cemetery"), "cemetery")),
        validity_days=30,
    ),
    KindSpec(
        ActKind.OCCUPATION_PERMIT, "ODP", _("Temporary occupation permit"),
        _("The president of the council of %(commune)s authorises the temporary occupation of the public domain "
          "described below, for the period stated."),
        (HOLDER_CIN, FactSpec(2, _("Address"), "address"), FactSpec(3, _("Surface (m²)"), "surface", "number"),
         FactSpec(4, _("From"), "start_date", "date"), FactSpec(5, _("Months"), "months", "number")),
        expires=_occupation_end,
    ),
    KindSpec(
        ActKind.COMMERCIAL_AUTHORISATION, "COM", _("Commercial activity authorisation"),
        _("The president of the council of %(commune)s authorises the commercial activity described below."),
        (HOLDER_CIN, FactSpec(2, _("Trade name"), "trade_name"), FactSpec(3, _("Address"), "address"),
         FactSpec(4, _("Shop area (m²)"), "shop_area", "number")),
    ),
    KindSpec(
        ActKind.BUILDING_PERMIT, "PC", _("Building permit"),
        _("The president of the council of %(commune)s grants the building permit described below. It lapses if "
          "the works have not started within one year."),
        (HOLDER_CIN, FactSpec(2, _("Land title"), "land_title", "code"), FactSpec(3, _("Address"), "address"),
         FactSpec(4, _("Floors"), "floors", "number"), FactSpec(5, _("Floor area (m²)"), "floor_area", "number")),
        validity_days=365,
    ),
    KindSpec(
        ActKind.HABITATION_PERMIT, "PH", _("Habitation permit"),
        _("The president of the council of %(commune)s grants the habitation permit for the building described "
          "below."),
        (HOLDER_CIN, FactSpec(2, _("Building permit number"), "permit_number", "code"),
         FactSpec(3, _("Address"), "address"), FactSpec(4, _("Housing units"), "units", "number")),
    ),
    KindSpec(
        ActKind.OTHER, "ACT", _("Act"),
        _("Act delivered by %(commune)s at the end of the request named below."),
        (HOLDER_CIN,),
        title_from_procedure=True,
    ),
)}

BY_CODE: dict[str, KindSpec] = {spec.code: spec for spec in KINDS.values()}


def spec_for(kind: str) -> KindSpec:
    return KINDS.get(kind) or KINDS[ActKind.OTHER]


def spec_for_code(code: str) -> KindSpec | None:
    return BY_CODE.get(code)


def fact_label(kind_code: str, key: int) -> Promise | str:
    """The label of a payload fact, for any verifier (a key unknown to this version is shown by its number)."""
    spec = BY_CODE.get(kind_code)
    for fact in spec.facts if spec else ():
        if fact.key == key:
            return fact.label
    return f"#{key}"


def fact_format(kind_code: str, key: int) -> FactFormat:
    spec = BY_CODE.get(kind_code)
    for fact in spec.facts if spec else ():
        if fact.key == key:
            return fact.format
    return "text"


def _protected(case: Case) -> dict[str, Any]:
    if not case.protected_data:
        return {}
    try:
        value = json.loads(case.protected_data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _answer(case: Case, fact: FactSpec) -> str | int | None:
    if fact.source == CIN:
        value: Any = _protected(case).get("cin")
    elif fact.source == ARRONDISSEMENT:
        arrondissement = case.arrondissement
        value = arrondissement.name_ar if arrondissement else None
    else:
        value = case.data.get(fact.source)
    if value is None or value == "" or isinstance(value, bool | list | dict):
        return None
    if fact.format == "number":
        try:
            return int(value)
        except (TypeError, ValueError):
            return str(value)
    if fact.format == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            return None
    return " ".join(str(value).split())[:250]


def case_facts(case: Case) -> dict[int, str | int]:
    """The key facts of the act `case` ends with, by payload key, in the spec's order."""
    spec = spec_for(case.procedure.procedure.act_kind if case.procedure else ActKind.OTHER)
    facts: dict[int, str | int] = {}
    for fact in spec.facts:
        value = _answer(case, fact)
        if value is not None:
            facts[fact.key] = value
    return facts


def expiry(case: Case, spec: KindSpec, issued_at: datetime) -> datetime | None:
    """When the act stops being valid: the end of the last valid day in Casablanca time."""
    if spec.expires is not None:
        last_day = spec.expires(case)
    elif spec.validity_days is not None:
        last_day = calendar.local_date(issued_at) + timedelta(days=spec.validity_days)
    else:
        return None
    if last_day is None:
        return None
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=calendar.CASABLANCA)
