"""Reference numbers: SAL-2026-000123, unique per commune and year, without gaps or duplicates under concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from jamaa.cases.models import ReferenceCounter
from jamaa.cases.references import (
    TRACKING_ALPHABET,
    allocate_reference,
    allocate_reference_now,
    display_tracking_code,
    new_tracking_code,
    normalize_tracking_code,
)

pytestmark = pytest.mark.django_db


def test_references_count_up_per_commune_with_the_commune_prefix(world):
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    first = allocate_reference_now(commune=world.sale, at=at)
    second = allocate_reference_now(commune=world.sale, at=at)
    other = allocate_reference_now(commune=world.temara, at=at)
    assert (first.text, second.text, other.text) == ("SAL-2026-000001", "SAL-2026-000002", "TEM-2026-000001")


def test_the_year_is_taken_in_morocco_and_starts_again_at_one(world):
    # 31 December 2025 at 23:30 UTC is already 1 January 2026 in Casablanca (UTC+1).
    late = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    allocate_reference_now(commune=world.sale, at=datetime(2025, 6, 1, tzinfo=UTC))
    assert allocate_reference_now(commune=world.sale, at=late).text == "SAL-2026-000001"
    assert allocate_reference_now(commune=world.sale, at=datetime(2025, 12, 31, 12, tzinfo=UTC)).text == \
        "SAL-2025-000002"


def test_a_rolled_back_transaction_gives_its_number_back(world):
    at = datetime(2026, 3, 2, tzinfo=UTC)
    allocate_reference_now(commune=world.sale, at=at)
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_reference(commune=world.sale, at=at)
        raise RuntimeError("the submission failed after taking a number")
    assert allocate_reference_now(commune=world.sale, at=at).number == 2


@pytest.mark.django_db(transaction=True)
def test_allocation_outside_a_transaction_is_refused(world):
    with pytest.raises(RuntimeError):
        allocate_reference(commune=world.sale, at=datetime(2026, 3, 2, tzinfo=UTC))


def test_tracking_codes_are_ten_unambiguous_characters_shown_in_two_groups():
    code = new_tracking_code()
    assert len(code) == 10 and set(code) <= set(TRACKING_ALPHABET)
    assert not set("0O1IL") & set(TRACKING_ALPHABET)
    assert display_tracking_code("ABCDEFGHJK") == "ABCDE-FGHJK"
    assert normalize_tracking_code(" abcde-fghjk ") == "ABCDEFGHJK"
    assert len({new_tracking_code() for _ in range(200)}) == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_give_every_number_once_without_gaps(world):
    # The threads must really share one database (not one connection): a file database on SQLite.
    assert connection.vendor == "postgresql" or not connection.is_in_memory_db()
    threads_count, per_thread = 8, 6
    at = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def work() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                numbers.append(allocate_reference_now(commune=world.sale, at=at).number)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = threads_count * per_thread
    assert sorted(numbers) == list(range(1, total + 1))
    assert ReferenceCounter.objects.get(commune=world.sale, year=2026).last_number == total
