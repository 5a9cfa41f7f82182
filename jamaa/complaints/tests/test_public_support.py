"""Supporting a report instead of filing a duplicate: anyone may, once per person (an account once, a visitor without
one once a day from an address), only an open public report, and never its own filer."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from conftest import host_client
from jamaa.complaints.models import ComplaintState
from jamaa.complaints.tests.public_fixtures import (
    citizen_client,
    detail_url,
    file_grievance,
    file_report,
    fresh,
    resolve,
    says,
    says_plural,
    url,
)
from jamaa.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def support(client: Any, complaint: Any, **extra: Any) -> Any:
    return client.post(url("reports:support", reference=complaint.reference), follow=True, **extra)


def test_a_visitor_supports_once_and_the_count_shows_on_the_page(cworld: Any) -> None:
    report = file_report(cworld)
    visitor = host_client("sale.localhost")

    response = support(visitor, report, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == detail_url(report) + "#support"
    assert says(response, "Thank you: your support is counted.")
    assert says(response, "You support this report.")
    assert says_plural(response, "<bdi>%(counter)s</bdi> person supports this report.",
                       "<bdi>%(counter)s</bdi> people support this report.", 1)

    again = support(visitor, report, REMOTE_ADDR="198.51.100.7")
    assert says(again, "You already support this report.")
    assert fresh(report).supporters == 1

    support(host_client("sale.localhost"), report, REMOTE_ADDR="203.0.113.9")
    assert fresh(report).supporters == 2


def test_a_citizen_supports_once_whatever_the_address(cworld: Any) -> None:
    report = file_report(cworld)
    neighbour = User.objects.create_user("+212600000077", "x-Pass-2026-long", full_name="Voisin")
    client = citizen_client(neighbour)

    support(client, report, REMOTE_ADDR="198.51.100.7")
    second = support(client, report, REMOTE_ADDR="203.0.113.50")

    assert says(second, "You already support this report.")
    assert fresh(report).supporters == 1
    assert "Voisin" not in host_client("sale.localhost").get(detail_url(report)).content.decode()


def test_the_filer_does_not_support_their_own_report(cworld: Any) -> None:
    report = file_report(cworld)
    response = support(citizen_client(cworld.w.citizen_sale), report)
    assert says(response, "You filed this report: it already counts.")
    assert fresh(report).supporters == 0


def test_an_answered_report_can_no_longer_be_supported(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld))
    assert report.state == ComplaintState.RESOLVED
    page = host_client("sale.localhost").get(detail_url(report))
    assert url("reports:support", reference=report.reference) not in page.content.decode()

    response = support(host_client("sale.localhost"), report)
    assert response.status_code == 200
    assert says(response, "This report can no longer be supported.")
    assert fresh(report).supporters == 0


def test_a_grievance_or_another_communes_report_cannot_be_supported(cworld: Any) -> None:
    grievance = file_grievance(cworld)
    temara_report = file_report(cworld, "bruit", commune=cworld.w.temara)

    assert host_client("sale.localhost").post(url("reports:support", reference=grievance.reference)).status_code == 404
    assert host_client("sale.localhost").post(
        url("reports:support", reference=temara_report.reference)).status_code == 404
    assert fresh(temara_report).supporters == 0


def test_support_is_a_post(cworld: Any) -> None:
    report = file_report(cworld)
    assert host_client("sale.localhost").get(url("reports:support", reference=report.reference)).status_code == 405
