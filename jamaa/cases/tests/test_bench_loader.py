"""The benchmark loader (bench/load_cases.py) on a small volume: what it writes is what the pages expect."""

from __future__ import annotations

from collections import defaultdict

from bench.load_cases import ensure_citizens, load_cases
from jamaa.cases.models import Case, CaseEvent, ReferenceCounter
from jamaa.core import tenancy


def test_the_bench_loader_writes_cases_with_unique_gapless_references_and_a_timeline_event_each(world, procedures):
    with tenancy.unscoped():
        citizens = ensure_citizens(world.sale, 5)
        stats = load_cases(commune=world.sale, total=200, heavy_citizen=world.citizen_sale, heavy_count=40,
                           citizens=citizens, staff=[world.agent_sale], batch_size=64)
        cases = list(Case.all_communes.filter(commune=world.sale))
        submitted = [c for c in cases if c.state != "draft"]
        events = CaseEvent.all_communes.filter(commune=world.sale)

        assert stats.cases == len(cases) == 200
        assert events.count() == len(submitted) == stats.events
        assert set(events.values_list("case_id", flat=True)) == {c.pk for c in submitted}
        assert sum(1 for c in cases if c.citizen_id == world.citizen_sale.pk) == 40
        assert {c.state for c in cases} >= {"submitted", "in_review", "closed"}
        assert all(c.due_date and c.reference and c.tracking_code for c in submitted)
        assert all(not c.reference and c.number is None for c in cases if c.state == "draft")

        references = [c.reference for c in submitted]
        assert len(references) == len(set(references))
        numbers: dict[int, list[int]] = defaultdict(list)
        for case in submitted:
            assert case.reference == f"SAL-{case.year}-{case.number:06d}"
            numbers[case.year].append(case.number)
        counters = {c.year: c.last_number for c in ReferenceCounter.objects.filter(commune=world.sale)}
        for year, taken in numbers.items():
            assert sorted(taken) == list(range(1, len(taken) + 1))  # gapless from 1
            assert counters[year] == len(taken)  # the next case submitted through the services continues
        # Numbered in the order of submission, as the services would have.
        by_number = sorted(submitted, key=lambda c: (c.year, c.number))
        assert [c.submitted_at for c in by_number] == sorted(c.submitted_at for c in submitted)

        assert not Case.all_communes.filter(commune=world.temara).exists()


def test_a_second_load_continues_the_reference_numbers(world, procedures):
    with tenancy.unscoped():
        load_cases(commune=world.sale, total=30, heavy_citizen=world.citizen_sale, heavy_count=5, citizens=[])
        load_cases(commune=world.sale, total=30, heavy_citizen=world.citizen_sale, heavy_count=5, citizens=[],
                   seed=7)
        references = list(Case.all_communes.filter(commune=world.sale).exclude(reference="")
                          .values_list("reference", flat=True))
        assert len(references) == len(set(references))
        counters = {c.year: c.last_number for c in ReferenceCounter.objects.filter(commune=world.sale)}
        assert sum(counters.values()) == len(references)


def test_the_benchmark_bare_view_does_not_exist_without_the_bench_flag():
    import os

    from django.urls import Resolver404, resolve

    assert os.environ.get("JAMAA_BENCH") != "1"
    try:
        resolve("/bench/bare")
    except Resolver404:
        pass
    else:
        raise AssertionError("/bench/bare is routed although JAMAA_BENCH is not set")
