"""The commune's figures on complaints, on a known set: received, answered within the category's target and within
the legal date (counts and shares), median answer time, per category and per arrondissement, for a year or the last
12 months; as a page and as CSV; each commune its own; the queries stay few."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from django.core.cache import cache

from conftest import host_client
from jamaa.complaints import selectors
from jamaa.complaints.tests.public_fixtures import file_grievance, file_report, move, says, text_of, url
from jamaa.core import tenancy
from jamaa.core.calendar import CASABLANCA

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    cache.clear()  # the figures are kept a few minutes
    yield
    cache.clear()


def at(month: int, day: int, year: int = 2025) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=CASABLANCA)


@pytest.fixture
def known(cworld: Any) -> dict[str, Any]:
    """2025 in Salé. Waste not collected (target: 2 working days; legal: 60 days), received Monday 3 March:
    A answered the next day (1 day), B after 43 days (late for the target, in time for the law), C after 91 days
    (late for both); D received 10 March and never answered (both dates passed). E, a grievance (no arrondissement),
    received 5 May and answered in 2 days. F in Tabriquet (east), a pothole, answered in 5 days.
    Not counted: a Salé complaint of 2024, a duplicate merged into A, and Témara's complaints."""
    admin = cworld.w.admin_sale
    a = file_report(cworld, now=at(3, 3))
    move(a, "resolve", admin, "Fait.", now=at(3, 4))
    b = file_report(cworld, now=at(3, 3))
    move(b, "resolve", admin, "Fait.", now=at(4, 15))
    c = file_report(cworld, now=at(3, 3))
    move(c, "reject", admin, "Hors compétence.", now=at(6, 2))
    d = file_report(cworld, now=at(3, 10))
    e = file_grievance(cworld, now=at(5, 5))
    move(e, "resolve", admin, "Excuses présentées.", now=at(5, 7))
    f = file_report(cworld, "voirie-nid-de-poule", point=cworld.sale_east_point, now=at(6, 2))
    move(f, "resolve", admin, "Rebouché.", now=at(6, 7))
    old = file_report(cworld, now=at(12, 1, 2024))
    duplicate = file_report(cworld, now=at(3, 5))
    with tenancy.unscoped():
        from jamaa.complaints import services

        services.complaint_merge(duplicate=duplicate, into=a, actor=admin, now=at(3, 6))
    temara = file_report(cworld, "bruit", commune=cworld.w.temara, now=at(3, 3))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "old": old, "temara": temara}


def figures(cworld: Any, key: str = "2025") -> selectors.Figures:
    with tenancy.unscoped():
        period = selectors.period_for(key)
        assert period is not None
        return selectors.figures(cworld.w.sale, period)


def test_the_figures_of_a_year_on_a_known_set(cworld: Any, known: dict[str, Any]) -> None:
    found = figures(cworld)
    total = found.total

    assert total.received == 6 and total.answered == 5
    # In time for the target: A (1 day), E (2 days; grievances: 10 working days); F took 5 days for a 10-day target.
    assert (total.within_target, total.target_due, total.within_target_share) == (3, 6, 50)
    # In time for the law: A, B, E, F; C was answered late and D never.
    assert (total.within_legal, total.legal_due, total.within_legal_share) == (4, 6, 67)
    # Answer times 1, 43, 91, 2, 5 days: the median is 5.
    assert total.median_days == 5.0


def test_the_figures_per_category_and_per_arrondissement(cworld: Any, known: dict[str, Any]) -> None:
    found = figures(cworld)

    by_category = {row.key: row for row in found.by_category}
    assert set(by_category) == {"dechets", "voirie", "administration"}
    waste = by_category["dechets"]  # sub-categories count in their top category
    assert (waste.received, waste.answered, waste.within_target, waste.within_legal) == (4, 3, 1, 2)
    assert waste.median_days == 43.0
    assert by_category["administration"].median_days == 2.0
    assert found.by_category[0].key == "dechets"  # the busiest first

    by_area = {row.key: row for row in found.by_arrondissement}
    assert by_area["bab-lamrissa"].received == 4 and by_area["tabriquet"].received == 1
    assert by_area["tabriquet"].median_days == 5.0
    outside = found.by_arrondissement[-1]
    assert outside.key == "" and outside.received == 1  # the grievance


def test_the_last_12_months_and_other_years(cworld: Any, known: dict[str, Any]) -> None:
    assert figures(cworld, "2024").total.received == 1
    # Today is later than 2025 in these tests' world: the last 12 months hold nothing of the set.
    file_report(cworld)
    last = figures(cworld, "12m").total
    assert last.received == 1 and last.answered == 0 and last.median_days is None
    assert last.target_due == 0 and last.within_target_share is None  # its dates have not come yet


def test_in_time_means_by_the_end_of_the_day_in_morocco_also_in_ramadan(cworld: Any) -> None:
    """Morocco is on UTC+1 but on UTC+0 during Ramadan (24 February – 6 April 2025): an answer at 23:30 UTC on the
    target date is in time in March (23:30 there) and late in May (00:30 the next day there), on both databases."""
    utc = datetime.fromisoformat
    cases = [("2025-03-03", "2025-03-10", "2025-03-10T23:30:00+00:00"),  # Ramadan: 23:30 in Morocco, in time
             ("2025-05-05", "2025-05-12", "2025-05-12T23:30:00+00:00"),  # 00:30 on the 13th in Morocco: late
             ("2025-05-05", "2025-05-12", "2025-05-12T22:30:00+00:00")]  # 23:30 in Morocco: in time
    with tenancy.unscoped():
        from jamaa.complaints.models import Complaint

        for received, target, answered in cases:
            complaint = file_report(cworld, now=datetime.fromisoformat(f"{received}T10:00:00+01:00"))
            Complaint.all_communes.filter(pk=complaint.pk).update(
                target_due=target, answered_at=utc(answered), state="resolved")
    total = figures(cworld).total
    assert (total.answered, total.within_target, total.target_due) == (3, 2, 3)


@pytest.mark.parametrize("key", ["1999", "3000", "abcd", "2025-01", "-1"])
def test_an_unknown_period_is_refused(key: str) -> None:
    assert selectors.period_for(key) is None


def test_the_page_shows_the_figures(cworld: Any, known: dict[str, Any]) -> None:
    response = host_client("sale.localhost").get(url("reports:stats"), {"period": "2025"})

    assert response.status_code == 200
    page = text_of(response)
    assert says(response, "Answered within the legal 60 days")
    assert "67%" in page and "50%" in page
    assert cworld.category("dechets").name_ar in page
    assert says(response, "By arrondissement")
    content = response.content.decode()
    assert 'class="table-wrap"' in content and "<caption" not in content.split("by-category-title")[0]
    assert f'href="{url("reports:stats_csv")}?period=2025"' in content
    # French.
    french = host_client("sale.localhost").get(url("reports:stats", "fr"), {"period": "2025"})
    assert cworld.category("dechets").name_fr in text_of(french)


@pytest.mark.parametrize("period", ["1999", "<script>", "9" * 50])
def test_a_wrong_period_on_the_page_is_explained(cworld: Any, period: str) -> None:
    response = host_client("sale.localhost").get(url("reports:stats"), {"period": period})
    assert response.status_code == 400
    assert says(response, "This period is not available: here are the last 12 months.")


def test_the_figures_download_as_csv(cworld: Any, known: dict[str, Any]) -> None:
    response = host_client("sale.localhost").get(url("reports:stats_csv"), {"period": "2025"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "complaints-sale-2025.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    commune = rows[0]
    assert commune["group"] == "commune" and commune["code"] == "sale"
    assert (commune["received"], commune["answered"], commune["answered_within_target"],
            commune["within_target_percent"], commune["answered_within_legal"], commune["within_legal_percent"],
            commune["median_answer_days"]) == ("6", "5", "3", "50", "4", "67", "5.0")
    assert (commune["period_start"], commune["period_end"]) == ("2025-01-01", "2025-12-31")
    waste = next(r for r in rows if r["group"] == "category" and r["code"] == "dechets")
    assert waste["received"] == "4" and waste["median_answer_days"] == "43.0"
    assert any(r["group"] == "arrondissement" and r["code"] == "tabriquet" for r in rows)
    assert host_client("sale.localhost").get(url("reports:stats_csv"), {"period": "x"}).status_code == 400


def test_each_commune_has_its_own_figures(cworld: Any, known: dict[str, Any]) -> None:
    response = host_client("temara.localhost").get(url("reports:stats_csv"), {"period": "2025"})
    commune = next(csv.DictReader(io.StringIO(response.content.decode())))
    assert commune["code"] == "temara" and commune["received"] == "1" and commune["answered"] == "0"
    assert host_client("localhost").get(url("reports:stats")).status_code == 404


def test_the_page_queries_stay_few(cworld: Any, known: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    client = host_client("sale.localhost")
    with django_assert_max_num_queries(10):
        assert client.get(url("reports:stats"), {"period": "2025"}).status_code == 200
    with django_assert_max_num_queries(4):  # the figures are kept a few minutes
        assert client.get(url("reports:stats"), {"period": "2025"}).status_code == 200
