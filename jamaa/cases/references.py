"""Reference numbers (`SAL-2026-000123`) and tracking codes.

A reference is unique per commune and year, and the numbers have neither gaps nor duplicates, even when many
requests are submitted at the same time. `allocate_reference` runs inside the submission's transaction, so a
submission that fails gives its number back (the counter's update rolls back with it):
- PostgreSQL: the counter row is locked (`SELECT … FOR UPDATE`) until the transaction ends; concurrent submissions
  wait for it, then read the number the previous one committed.
- SQLite: every transaction starts with `BEGIN IMMEDIATE` (settings), so writers are already serialised.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from jamaa.cases.models import ReferenceCounter
from jamaa.core.calendar import local_date
from jamaa.core.models import Commune

# No 0/O, 1/I/L: a code is read on paper and typed on a phone.
TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKING_LENGTH = 10


@dataclass(frozen=True)
class Reference:
    year: int
    number: int
    text: str


def format_reference(commune: Commune, year: int, number: int) -> str:
    return f"{commune.code}-{year}-{number:06d}"


def allocate_reference(*, commune: Commune, at: datetime) -> Reference:
    """The next reference of `commune` for the year of `at` in Morocco. Call it inside the transaction that saves
    the case: the number is taken only if that transaction commits."""
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_reference() must run inside the transaction that saves the case.")
    year = local_date(at).year
    # get_or_create survives the race of two first submissions of the year: the loser's INSERT fails on the unique
    # constraint inside its own savepoint and it reads the winner's row.
    ReferenceCounter.objects.get_or_create(commune=commune, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(commune=commune, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return Reference(year=year, number=counter.last_number, text=format_reference(commune, year, counter.last_number))


@transaction.atomic
def allocate_reference_now(*, commune: Commune, at: datetime) -> Reference:
    """`allocate_reference` in a transaction of its own (tests, and tools that number something else)."""
    return allocate_reference(commune=commune, at=at)


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalize_tracking_code(raw: str) -> str:
    return "".join(raw.split()).replace("-", "").upper()


def display_tracking_code(code: str) -> str:
    """`ABCDEFGHJK` -> `ABCDE-FGHJK`, as printed on the receipt."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if code else ""
