"""Migration 0003: counter requests already filed twice with one form key keep both cases; the constraint applies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cases", "0002_attachments_in_private_storage")]
AFTER = [("cases", "0003_counter_submission_key_and_state_due_id")]


@pytest.mark.django_db(transaction=True)
def test_duplicate_counter_keys_are_forgotten_except_the_first(world):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Case = old.get_model("cases", "Case")
        first = Case.objects.create(commune_id=world.sale.pk, state="submitted", submission_key="k1")
        second = Case.objects.create(commune_id=world.sale.pk, state="submitted", submission_key="k1")
        other = Case.objects.create(commune_id=world.temara.pk, state="submitted", submission_key="k1")
        citizen = Case.objects.create(commune_id=world.sale.pk, state="submitted", submission_key="k1",
                                      citizen_id=world.citizen_sale.pk)
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        keys = dict(Case.objects.values_list("pk", "submission_key"))
        assert keys == {first.pk: "k1", second.pk: "", other.pk: "k1", citizen.pk: "k1"}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
