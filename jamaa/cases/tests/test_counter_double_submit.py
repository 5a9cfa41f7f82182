"""A counter request (no account) sent twice, one after the other or at the same moment, is filed once."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from jamaa.cases.models import Case, CaseChannel, ReferenceCounter
from jamaa.cases.tests.service_fixtures import private_root, submit_sale  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]


def counter(world, procedures, key: str, **kwargs: object) -> Case:
    options: dict[str, object] = {
        "citizen": None, "channel": CaseChannel.COUNTER, "actor": world.agent_sale, "applicant_name": "Ahmed Amrani",
        "applicant_phone": "0612345679", "submission_key": key,
    }
    options.update(kwargs)
    return submit_sale(world, procedures, **options)


def test_the_same_counter_form_sent_twice_files_one_request(world, procedures):
    first = counter(world, procedures, "counter-form-1")
    again = counter(world, procedures, "counter-form-1")
    assert again.pk == first.pk
    assert Case.all_communes.filter(commune=world.sale).count() == 1
    assert ReferenceCounter.objects.get(commune=world.sale).last_number == 1


def test_two_counter_forms_file_two_requests(world, procedures):
    assert counter(world, procedures, "form-a").pk != counter(world, procedures, "form-b").pk


def test_a_counter_request_without_a_form_key_is_never_merged(world, procedures):
    assert counter(world, procedures, "").pk != counter(world, procedures, "").pk


def test_a_counter_key_never_returns_a_citizens_request(world, procedures):
    mine = submit_sale(world, procedures, submission_key="same-key")
    filed = counter(world, procedures, "same-key")
    assert filed.pk != mine.pk and filed.citizen_id is None


def test_the_database_refuses_a_second_counter_request_with_the_same_key(world, procedures):
    first = counter(world, procedures, "raw-key")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.all_communes.create(commune=world.sale, state="submitted", submission_key=first.submission_key)
    # Another commune may use the same key.
    Case.all_communes.create(commune=world.temara, state="submitted", submission_key=first.submission_key)


@pytest.mark.django_db(transaction=True)
def test_the_same_counter_form_sent_at_the_same_moment_files_one_request(world, procedures, private_root):  # noqa: F811
    assert connection.vendor == "postgresql" or not connection.is_in_memory_db()
    results: list[int] = []
    errors: list[Exception] = []
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            results.append(counter(world, procedures, "double-click-at-the-counter").pk)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 4 and len(set(results)) == 1
    assert Case.all_communes.filter(commune=world.sale).count() == 1
    assert ReferenceCounter.objects.get(commune=world.sale).last_number == 1
