"""The filer follows their complaint: with their account or with the receipt's reference and secret code, they read
the answer, rate it, and say when the problem is not solved (the complaint is reopened). Nobody else can; "My
requests" lists complaints and leads to their page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from conftest import host_client
from jamaa.cases.models import CaseEvent, EventKind
from jamaa.complaints import followup
from jamaa.complaints.models import ComplaintState
from jamaa.complaints.tests.public_fixtures import (
    citizen_client,
    detail_url,
    en,
    file_grievance,
    file_report,
    fresh,
    move,
    resolve,
    says,
    text_of,
    url,
)
from jamaa.core import tenancy
from jamaa.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    cache.clear()  # the tracking page's wrong attempts per address
    yield
    cache.clear()


def tracked_client(complaint: Any, host: str = "sale.localhost") -> Any:
    client = host_client(host)
    response = client.post(url("reports:track"), {"reference": complaint.reference,
                                                  "code": complaint.case.tracking_code})
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == detail_url(complaint)
    return client


def rating_events(complaint: Any) -> list[CaseEvent]:
    with tenancy.unscoped():
        return list(CaseEvent.all_communes.filter(case=complaint.case, kind=EventKind.RATING))


# --- rating -------------------------------------------------------------------------------------------------------


def test_the_owner_rates_the_answer_once(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld))
    owner = citizen_client(cworld.w.citizen_sale)
    page = owner.get(detail_url(report))
    assert says(page, "Rate the answer")

    response = owner.post(url("reports:rate", reference=report.reference), {"rating": "4", "comment": "Rapide."},
                          follow=True)

    assert says(response, "Thank you for rating the answer.")
    assert says(response, "You rated the answer <bdi>%(rating)s</bdi> out of 5. Thank you.", rating=4)
    case = fresh(report).case
    assert (case.rating, case.rating_comment) == (4, "Rapide.")
    [event] = rating_events(report)
    assert event.actor == cworld.w.citizen_sale and not event.is_public and "4/5" in event.internal_note
    # The public sees neither the rating nor its comment.
    assert "Rapide." not in host_client("sale.localhost").get(detail_url(report)).content.decode()

    again = owner.post(url("reports:rate", reference=report.reference), {"rating": "1"}, follow=True)
    assert says(again, "You already rated this answer. Thank you!")
    assert fresh(report).case.rating == 4


def test_a_rating_before_the_answer_is_refused(cworld: Any) -> None:
    report = file_report(cworld)
    owner = citizen_client(cworld.w.citizen_sale)
    assert url("reports:rate", reference=report.reference) not in owner.get(detail_url(report)).content.decode()

    response = owner.post(url("reports:rate", reference=report.reference), {"rating": "5"}, follow=True)

    assert says(response, "You can rate the answer once the commune has answered.")
    assert fresh(report).case.rating is None and not rating_events(report)


@pytest.mark.parametrize("value", ["", "9", "0", "abc", "4.5"])
def test_a_wrong_rating_is_explained(cworld: Any, value: str) -> None:
    report = resolve(cworld, file_report(cworld))
    response = citizen_client(cworld.w.citizen_sale).post(url("reports:rate", reference=report.reference),
                                                          {"rating": value})
    assert response.status_code == 400
    assert says(response, "Choose a rating from 1 to 5.")
    assert fresh(report).case.rating is None


def test_an_unsatisfied_rating_offers_to_reopen_at_once(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld))
    owner = citizen_client(cworld.w.citizen_sale)

    response = owner.post(url("reports:rate", reference=report.reference), {"rating": "2"})

    assert response["Location"] == detail_url(report) + "#reopen"
    page = owner.get(response["Location"])
    content = page.content.decode()
    assert 'id="reopen"' in content and url("reports:reopen", reference=report.reference) in content
    assert '<details class="report-reopen">' not in content  # open, not folded away
    assert says(page, "Thank you. If the problem is not solved, say so below: the complaint is reopened and the "
                      "commune answers again.")


# --- reopening ----------------------------------------------------------------------------------------------------


def test_the_owner_reopens_with_a_reason(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld))
    owner = citizen_client(cworld.w.citizen_sale)

    response = owner.post(url("reports:reopen", reference=report.reference),
                          {"reason": "Les ordures sont revenues le lendemain."}, follow=True)

    reopened = fresh(report)
    assert reopened.state == ComplaintState.REOPENED and reopened.reopen_count == 1
    assert says(response, "Reopened")
    assert "Les ordures sont revenues le lendemain." in text_of(response)
    assert says(response, "Reopened: the problem is not solved")


def test_reopening_needs_a_reason(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld))
    response = citizen_client(cworld.w.citizen_sale).post(url("reports:reopen", reference=report.reference),
                                                          {"reason": "  "})
    assert response.status_code == 400
    assert says(response, "Say why the problem is not solved.")
    assert fresh(report).state == ComplaintState.RESOLVED


def test_an_open_complaint_cannot_be_reopened(cworld: Any) -> None:
    report = file_report(cworld)
    response = citizen_client(cworld.w.citizen_sale).post(url("reports:reopen", reference=report.reference),
                                                          {"reason": "Rien ne bouge."}, follow=True)
    assert response.status_code == 200
    assert fresh(report).state == ComplaintState.RECEIVED
    with translation.override("ar"):
        message = str(ComplaintState.RECEIVED.label)
    assert message in text_of(response)


# --- following with the receipt's code ----------------------------------------------------------------------------


def test_a_tracked_session_rates_and_reopens_an_anonymous_report(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld, citizen=None))
    client = tracked_client(report)
    page = client.get(detail_url(report))
    assert says(page, "Rate the answer")

    client.post(url("reports:rate", reference=report.reference), {"rating": "1"})
    client.post(url("reports:reopen", reference=report.reference), {"reason": "Toujours sale."})

    reopened = fresh(report)
    assert reopened.case.rating == 1 and reopened.state == ComplaintState.REOPENED
    [event] = rating_events(report)
    assert event.actor is None


def test_the_code_opens_a_grievance_to_whoever_holds_the_receipt(cworld: Any) -> None:
    grievance = file_grievance(cworld)
    client = tracked_client(grievance)
    response = client.get(detail_url(grievance))
    assert response.status_code == 200
    assert "L'agent du guichet m'a mal reçu." in text_of(response)
    assert host_client("sale.localhost").get(detail_url(grievance)).status_code == 404


def test_a_wrong_code_is_refused_and_wrong_attempts_are_limited(cworld: Any) -> None:
    report = file_report(cworld)
    client = host_client("sale.localhost")
    wrong = "ZZZZZZZZZZ" if report.case.tracking_code != "ZZZZZZZZZZ" else "YYYYYYYYYY"
    for _attempt in range(5):
        response = client.post(url("reports:track"), {"reference": report.reference, "code": wrong})
        assert response.status_code == 400
        assert says(response, "No complaint matches this reference and code. Check both on your receipt.")
    blocked = client.post(url("reports:track"), {"reference": report.reference, "code": report.case.tracking_code})
    assert blocked.status_code == 429
    assert client.get(detail_url(report)).status_code == 200  # public report: readable, but not as its filer
    assert url("reports:rate", reference=report.reference) not in client.get(detail_url(report)).content.decode()


@pytest.mark.parametrize("data", [{}, {"reference": "<script>", "code": "x" * 500}, {"reference": "SAL-2026-1"}])
def test_malformed_tracking_input_is_explained(cworld: Any, data: dict[str, str]) -> None:
    response = host_client("sale.localhost").post(url("reports:track"), data)
    assert response.status_code == 400
    assert response.context["form"].errors


def test_another_communes_code_does_not_work_here(cworld: Any) -> None:
    temara_report = file_report(cworld, "bruit", commune=cworld.w.temara)
    response = host_client("sale.localhost").post(url("reports:track"), {
        "reference": temara_report.reference, "code": temara_report.case.tracking_code})
    assert response.status_code == 400


# --- refusals -----------------------------------------------------------------------------------------------------


def test_nobody_else_rates_or_reopens(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld))
    grievance = file_grievance(cworld)
    resolve(cworld, grievance, "Nous avons rappelé l'agent à l'ordre.")
    neighbour = User.objects.create_user("+212600000055", "x-Pass-2026-long", full_name="Voisin")
    temara_report = move(file_report(cworld, "bruit", commune=cworld.w.temara), "resolve", cworld.w.admin_temara,
                         "Fait.")

    for client in (host_client("sale.localhost"), citizen_client(neighbour)):
        assert client.post(url("reports:rate", reference=report.reference), {"rating": "5"}).status_code == 403
        assert client.post(url("reports:reopen", reference=report.reference),
                           {"reason": "x"}).status_code == 403
        assert client.post(url("reports:rate", reference=grievance.reference), {"rating": "5"}).status_code == 404
        assert client.post(url("reports:reopen", reference=grievance.reference),
                           {"reason": "x"}).status_code == 404
    # Salé's host does not know Témara's complaint, even for its filer.
    temara_owner = citizen_client(cworld.w.citizen_temara)
    assert temara_owner.post(url("reports:rate", reference=temara_report.reference),
                             {"rating": "5"}).status_code == 404
    assert fresh(report).case.rating is None and fresh(report).state == ComplaintState.RESOLVED
    assert fresh(temara_report).case.rating is None


def test_the_rating_service_refuses_others_and_bad_values(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld))
    with tenancy.unscoped(), translation.override("en"):
        with pytest.raises(PermissionDenied):
            followup.complaint_rate(complaint=report, citizen=cworld.w.citizen_temara, by_tracking=False, rating=5)
        with pytest.raises(PermissionDenied):
            followup.complaint_rate(complaint=report, citizen=None, by_tracking=False, rating=5)
        for bad in (True, 6, 0, "5"):
            with pytest.raises(ValidationError) as error:
                followup.complaint_rate(complaint=report, citizen=cworld.w.citizen_sale, by_tracking=False,
                                        rating=bad)  # type: ignore[arg-type]
            assert error.value.message_dict["rating"] == [en("Choose a rating from 1 to 5.")]
        with pytest.raises(ValidationError):
            followup.complaint_rate(complaint=report, citizen=cworld.w.citizen_sale, by_tracking=False, rating=3,
                                    comment="x" * 501)
        followup.complaint_rate(complaint=report, citizen=cworld.w.citizen_sale, by_tracking=False, rating=3)
    assert fresh(report).case.rating == 3


def test_a_new_answer_after_reopening_can_be_rated_again(cworld: Any) -> None:
    report = resolve(cworld, file_report(cworld))
    owner = citizen_client(cworld.w.citizen_sale)
    owner.post(url("reports:rate", reference=report.reference), {"rating": "1"})
    owner.post(url("reports:reopen", reference=report.reference), {"reason": "Rien n'a changé."})
    resolve(cworld, fresh(report), "Deuxième passage effectué.")

    response = owner.post(url("reports:rate", reference=report.reference), {"rating": "5"})

    assert response.status_code == 302
    assert fresh(report).case.rating == 5 and len(rating_events(report)) == 2


# --- "my requests" and the requests' pages --------------------------------------------------------------------


def test_my_requests_lists_complaints_and_leads_to_their_page(cworld: Any) -> None:
    report = file_report(cworld)
    grievance = file_grievance(cworld)
    owner = citizen_client(cworld.w.citizen_sale)

    response = owner.get(url("cases:mine"))

    assert response.status_code == 200
    content = response.content.decode()
    assert f'href="{detail_url(report)}"' in content and f'href="{detail_url(grievance)}"' in content
    assert cworld.category("dechets-non-collectes").name_ar in content
    assert says(response, "Waiting for the commune's answer")
    redirect = owner.get(url("cases:detail", reference=report.reference))
    assert redirect.status_code == 302 and redirect["Location"] == detail_url(report)


def test_the_requests_tracking_page_leads_to_the_complaint(cworld: Any) -> None:
    report = file_report(cworld, citizen=None)
    client = host_client("sale.localhost")
    response = client.post(url("cases:track"), {"reference": report.reference, "code": report.case.tracking_code},
                           follow=True)
    assert response.redirect_chain[-1][0] == detail_url(report)
    assert says(response, "Rate the answer") is False  # not answered yet, but the page is the filer's:
    assert url("reports:support", reference=report.reference) not in response.content.decode()
