"""A retried POST creates one case, also when the two copies arrive at the same moment (real threads, each with its
own database connection, on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection

from jamaa.api.tests.conftest import bearer_client, pdf
from jamaa.cases.models import Case


@pytest.mark.django_db(transaction=True)
def test_two_posts_with_the_same_key_at_once_create_one_case(world, procedures, answers, tokens,
                                                            api_private_media):
    barrier = threading.Barrier(2)
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            client = bearer_client("sale.localhost", tokens.citizen_sale)
            barrier.wait(timeout=10)
            response = client.post("/api/v1/cases", {
                "procedure": "residence-certificate", "answers": json.dumps(answers), "doc__proof": pdf(),
            }, HTTP_IDEMPOTENCY_KEY="2f1c9a3e-retry")
            results.append((response.status_code, response.json().get("reference", "")))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(results) == 2
    assert {status for status, _reference in results} <= {200, 201}
    assert len({reference for _status, reference in results}) == 1
    assert Case.all_communes.count() == 1
    assert Case.all_communes.get().reference == results[0][1]
