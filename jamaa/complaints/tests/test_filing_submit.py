"""Filing from the form: a report with its pin and a photo (stripped of its hidden data), a grievance about the
citizen's own request, anonymous filing, the receipt with the tracking code shown once, the double click, the reports
already filed nearby ("File mine anyway"), and every bad input coming back next to its field with nothing filed."""

from __future__ import annotations

import copy
import io
import threading
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections
from PIL import Image

from conftest import host_client
from jamaa.cases.models import Attachment, Case, CaseKind
from jamaa.cases.references import display_tracking_code
from jamaa.complaints import services
from jamaa.complaints.models import ComplaintKind, LocationSource
from jamaa.complaints.tests.filing_helpers import (
    complaints,
    grievance_data,
    hidden,
    not_a_photo,
    open_form,
    photo_with_gps,
    report_data,
    says,
    text_of,
    url,
)
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def citizen(cworld: Any) -> Any:
    client = host_client("sale.localhost")
    client.force_login(cworld.w.citizen_sale)
    return client


@pytest.fixture
def visitor(cworld: Any) -> Any:
    return host_client("sale.localhost")


# --- a report ---------------------------------------------------------------------------------------------------------


def test_a_citizen_reports_a_problem_with_a_pin_and_a_photo_whose_gps_is_stripped(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen)
    response = citizen.post(url("complaints:new", kind="report"),
                            {**report_data(cworld, key), "photos": [photo_with_gps()]})

    [complaint] = complaints()
    assert response.status_code == 302
    assert response["Location"] == url("complaints:filed", reference=complaint.case.reference)
    assert complaint.kind == ComplaintKind.REPORT and complaint.case.citizen == cworld.w.citizen_sale
    assert complaint.category == cworld.category("dechets-non-collectes")
    assert (round(complaint.lat, 4), round(complaint.lon, 4)) == cworld.sale_point
    assert complaint.location_source == LocationSource.PIN
    assert complaint.case.arrondissement.slug == "bab-lamrissa"
    assert complaint.case.department == cworld.sale_hygiene
    assert complaint.case.language == "ar"
    with tenancy.unscoped():
        [attachment] = Attachment.all_communes.filter(case=complaint.case)
        stored = attachment.file.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (64, 48)
        assert not image.getexif(), "no EXIF left: no GPS position, no camera"
        assert "exif" not in image.info

    receipt = citizen.get(response["Location"])
    assert receipt.status_code == 200
    assert complaint.case.reference in text_of(receipt)
    assert f'datetime="{complaint.legal_due:%Y-%m-%d}"' in receipt.content.decode()
    assert says(receipt, "Your complaint is received")
    assert display_tracking_code(complaint.case.tracking_code) in text_of(receipt)
    assert url("reports:detail", reference=complaint.case.reference) in receipt.content.decode()


def test_the_tracking_code_is_shown_once_and_only_to_the_session_that_filed(cworld: Any, visitor: Any) -> None:
    _page, key = open_form(visitor)
    response = visitor.post(url("complaints:new", kind="report"), report_data(cworld, key, follow="anonymous"))
    [complaint] = complaints()
    code = display_tracking_code(complaint.case.tracking_code)

    first = visitor.get(response["Location"])
    assert code in text_of(first)
    again = visitor.get(response["Location"])
    assert again.status_code == 200 and complaint.case.reference in text_of(again)
    assert code not in text_of(again)

    stranger = host_client("sale.localhost").get(response["Location"])
    assert stranger.status_code == 404
    other_commune = host_client("temara.localhost").get(response["Location"])
    assert other_commune.status_code == 404


def test_a_report_can_be_placed_by_its_address_alone(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen)
    citizen.post(url("complaints:new", kind="report"),
                 report_data(cworld, key, lat="", lon="", location_source="", address="Avenue Mohammed V, Tabriquet"))
    [complaint] = complaints()
    assert complaint.lat is None and complaint.address == "Avenue Mohammed V, Tabriquet"
    assert complaint.location_source == LocationSource.ADDRESS


def test_the_phones_location_is_recorded_as_such(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen)
    citizen.post(url("complaints:new", kind="report"), report_data(cworld, key, location_source="gps"))
    [complaint] = complaints()
    assert complaint.location_source == LocationSource.GPS


def test_a_double_click_files_one_complaint(cworld: Any, visitor: Any) -> None:
    _page, key = open_form(visitor)
    data = report_data(cworld, key, follow="anonymous")
    first = visitor.post(url("complaints:new", kind="report"), data)
    second = visitor.post(url("complaints:new", kind="report"), data)
    [complaint] = complaints()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == url("complaints:filed", reference=complaint.case.reference)


def test_the_category_questions_are_answered_and_kept(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen, category=cworld.category("voirie-nid-de-poule").pk)
    citizen.post(url("complaints:new", kind="report"), report_data(
        cworld, key, category_code="voirie-nid-de-poule", q__size="large", q__danger="yes"))
    [complaint] = complaints()
    assert complaint.answers == {"size": "large", "danger": True}


def test_without_javascript_a_category_with_questions_asks_them_before_filing(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen)
    data = report_data(cworld, key, category_code="voirie-nid-de-poule", questions_for="")
    step = citizen.post(url("complaints:new", kind="report"), data)
    assert step.status_code == 200
    assert complaints() == []
    assert says(step, "This category has a few more questions. Answer them, then send your complaint.")
    page = step.content.decode()
    assert 'name="q__size"' in page and 'name="q__danger"' in page
    assert "Les ordures ne sont pas ramassées" in page  # what was typed is kept
    assert hidden(step, "questions_for") == str(cworld.category("voirie-nid-de-poule").pk)

    done = citizen.post(url("complaints:new", kind="report"), {**data, "questions_for": hidden(step, "questions_for"),
                                                               "q__size": "small"})
    assert done.status_code == 302
    [complaint] = complaints()
    assert complaint.answers == {"size": "small"}


# --- a grievance ------------------------------------------------------------------------------------------------------


def test_a_grievance_names_one_of_the_citizens_own_requests(cworld: Any, citizen: Any) -> None:
    with tenancy.unscoped():
        report = services.complaint_submit(
            commune=cworld.w.sale, category=cworld.category("eclairage-panne"), description="Lampe éteinte.",
            lat=cworld.sale_point[0], lon=cworld.sale_point[1], citizen=cworld.w.citizen_sale)
    page, key = open_form(citizen, kind="grievance")
    body = page.content.decode()
    assert f'<option value="{report.case.reference}">' in body  # the citizen's own requests are offered
    response = citizen.post(url("complaints:new", kind="grievance"),
                            grievance_data(cworld, key, related_reference=report.case.reference))
    assert response.status_code == 302
    grievance = complaints(kind=ComplaintKind.GRIEVANCE)[0]
    assert grievance.related_reference == report.case.reference
    assert grievance.is_public is False and grievance.lat is None
    assert grievance.case.department == cworld.sale_relations


def test_a_grievance_cannot_name_someone_elses_request_from_the_list(cworld: Any, citizen: Any) -> None:
    with tenancy.unscoped():
        services.complaint_submit(
            commune=cworld.w.sale, category=cworld.category("bruit"), description="Musique la nuit.",
            lat=cworld.sale_point[0], lon=cworld.sale_point[1], citizen=cworld.w.citizen_sale)
        other = services.complaint_submit(
            commune=cworld.w.sale, category=cworld.category("eclairage-panne"), description="Lampe éteinte.",
            lat=cworld.sale_point[0], lon=cworld.sale_point[1], anonymous=True)
    _page, key = open_form(citizen, kind="grievance")
    response = citizen.post(url("complaints:new", kind="grievance"),
                            grievance_data(cworld, key, related_reference=other.case.reference))
    assert response.status_code == 400
    assert "related_reference" in response.context["form"].errors
    assert says(response, "Choose one of your requests.")
    assert complaints(kind=ComplaintKind.GRIEVANCE) == []


def test_without_an_account_a_grievance_types_the_reference(cworld: Any, visitor: Any) -> None:
    page, key = open_form(visitor, kind="grievance")
    assert 'name="related_reference" ' in page.content.decode() and "<select name=\"related_reference\"" not in \
        page.content.decode()
    bad = visitor.post(url("complaints:new", kind="grievance"),
                       grievance_data(cworld, key, related_reference="SAL-2026-999999", follow="anonymous"))
    assert bad.status_code == 400
    assert says(bad, "No request of the commune has this reference.")
    assert 'value="SAL-2026-999999"' in bad.content.decode()
    assert complaints() == []


# --- anonymous --------------------------------------------------------------------------------------------------------


def test_an_anonymous_report_is_told_how_it_is_followed(cworld: Any, visitor: Any) -> None:
    page, key = open_form(visitor)
    assert says(page, "Anonymously, nobody can tell you of the answer: you follow your complaint only with its "
                      "reference and the tracking code shown once after you send it, and on its public page for a "
                      "problem in public space.")
    response = visitor.post(url("complaints:new", kind="report"), report_data(cworld, key, follow="anonymous"))
    [complaint] = complaints()
    assert complaint.is_anonymous and complaint.case.citizen is None
    assert complaint.case.applicant_phone == "" and complaint.case.applicant_email == ""
    receipt = visitor.get(response["Location"])
    assert says(receipt, "You filed anonymously: nobody can tell you of the answer. Follow the complaint with its "
                         "reference and the tracking code.")


def test_without_an_account_the_form_asks_how_to_follow(cworld: Any, visitor: Any) -> None:
    _page, key = open_form(visitor)
    response = visitor.post(url("complaints:new", kind="report"), report_data(cworld, key))
    assert response.status_code == 400
    assert says(response, "Give a phone number or an e-mail address for follow-up, or file anonymously.")
    assert complaints() == []


# --- reports already filed nearby -------------------------------------------------------------------------------------


def _existing_report(cworld: Any, code: str = "dechets-non-collectes", point: tuple[float, float] | None = None) -> Any:
    lat, lon = point or cworld.sale_point
    with tenancy.unscoped():
        return services.complaint_submit(commune=cworld.w.sale, category=cworld.category(code),
                                         description="Tas d'ordures au coin de la rue.", lat=lat + 0.0002, lon=lon,
                                         anonymous=True)


def test_reports_already_filed_nearby_are_shown_before_filing_and_mine_can_be_filed_anyway(cworld: Any,
                                                                                          citizen: Any) -> None:
    existing = _existing_report(cworld)
    _page, key = open_form(citizen)
    data = report_data(cworld, key)
    step = citizen.post(url("complaints:new", kind="report"), {**data, "photos": [photo_with_gps()]})
    assert step.status_code == 200
    assert len(complaints()) == 1
    body = step.content.decode()
    assert says(step, "Already reported nearby")
    assert says(step, "The same problem may already be reported near this place: see below, under “Where is it?”. "
                      "Support that report, or file yours anyway.")
    assert "Tas d&#x27;ordures au coin de la rue." in body or "Tas d'ordures au coin de la rue." in body
    assert url("reports:support", reference=existing.case.reference) in body
    assert f'form="support-{existing.case.reference}"' in body
    assert url("reports:detail", reference=existing.case.reference) in body
    assert says(step, "File mine anyway")
    assert says(step, "The photos you chose were not kept because the form came back to you: choose them again "
                      "before sending.")

    anyway = citizen.post(url("complaints:new", kind="report"), {**data, "confirm_new": "1"})
    assert anyway.status_code == 302
    assert len(complaints()) == 2


def test_nearby_reports_of_another_category_or_far_away_do_not_stop_the_filing(cworld: Any, citizen: Any) -> None:
    _existing_report(cworld, code="bruit")
    _existing_report(cworld, point=(34.06, -6.85))
    _page, key = open_form(citizen)
    response = citizen.post(url("complaints:new", kind="report"), report_data(cworld, key))
    assert response.status_code == 302


def test_nearby_reports_seen_while_typing_need_no_second_confirmation(cworld: Any, citizen: Any) -> None:
    existing = _existing_report(cworld)
    _page, key = open_form(citizen)
    response = citizen.post(url("complaints:new", kind="report"),
                            report_data(cworld, key, nearby_seen=existing.case.reference))
    assert response.status_code == 302


# --- bad input --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"description": "   "}, "description", "Describe the problem."),
    ({"description": "x" * 4001}, "description", "The description is too long: at most %(count)d characters."),
    ({"category": ""}, "category", "Choose a category from the list."),
    ({"category": "999999"}, "category", "Choose a category from the list."),
    ({"category": "abc"}, "category", "Choose a category from the list."),
    ({"lat": "", "lon": ""}, "address", "Pin the place on the map or type its address."),
    ({"lat": "91", "lon": "-6.85"}, "address", "These coordinates are not valid."),
    ({"lat": "nan", "lon": "x"}, "address", "These coordinates are not valid."),
    ({"lat": "34.05", "lon": "-6.95"}, "address", "This place is outside the commune of %(commune)s."),
    ({"q__size": "enormous"}, "q__size", "Choose one of the proposed answers."),
])
def test_bad_input_comes_back_next_to_its_field_with_what_was_typed(cworld: Any, citizen: Any, change: dict[str, str],
                                                                   field: str, message: str) -> None:
    _page, key = open_form(citizen)
    data = report_data(cworld, key, category_code="voirie-nid-de-poule", address="", **change)
    response = citizen.post(url("complaints:new", kind="report"), data)
    assert response.status_code == 400
    assert complaints() == []
    form = response.context["form"]
    assert field in form.errors, form.errors
    params = {"count": 4000} if "count" in message else {"commune": "سلا"} if "commune" in message else {}
    assert says(response, message, **params), form.errors
    assert f'id="id_{field}_error"' in response.content.decode()
    if change.get("description", "").strip():
        assert change["description"][:50] in response.content.decode()


def test_a_file_that_is_not_a_photo_is_refused_and_must_be_chosen_again(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen)
    response = citizen.post(url("complaints:new", kind="report"),
                            {**report_data(cworld, key), "photos": [not_a_photo("rubbish.jpg")]})
    assert response.status_code == 400
    assert complaints() == []
    assert says(response, "%(name)s is not a photo: send a JPEG or PNG image.", name="rubbish.jpg")
    assert says(response, "The photos you chose were not kept because the form came back to you: choose them again "
                          "before sending.")
    assert "Les ordures ne sont pas ramassées" in response.content.decode()


def test_more_photos_than_allowed_are_refused(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen)
    response = citizen.post(url("complaints:new", kind="report"), {
        **report_data(cworld, key), "photos": [photo_with_gps(f"p{i}.jpg") for i in range(4)]})
    assert response.status_code == 400
    assert says(response, "At most %(count)d photos.", count=3)
    assert complaints() == []


def test_a_category_of_the_other_kind_is_refused(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen)
    data = report_data(cworld, key)
    data["category"] = str(cworld.category("administration-delai").pk)
    response = citizen.post(url("complaints:new", kind="report"), data)
    assert response.status_code == 400
    assert "category" in response.context["form"].errors
    assert complaints() == []


def test_the_other_communes_host_refuses_sales_category(cworld: Any) -> None:
    client = host_client("temara.localhost")
    client.force_login(cworld.w.citizen_temara)
    _page, key = open_form(client)
    data = report_data(cworld, key, point=cworld.temara_point)  # Salé's category id, a place in Témara
    response = client.post(url("complaints:new", kind="report"), data)
    assert response.status_code == 400
    assert says(response, "Choose a category from the list.")
    assert complaints() == []


def test_a_top_category_with_sub_categories_cannot_be_chosen(cworld: Any, citizen: Any) -> None:
    _page, key = open_form(citizen)
    data = report_data(cworld, key)
    data["category"] = str(cworld.category("dechets").pk)
    response = citizen.post(url("complaints:new", kind="report"), data)
    assert response.status_code == 400
    assert complaints() == []


def test_an_unknown_kind_is_not_found(cworld: Any, citizen: Any) -> None:
    assert citizen.get("/complaints/new/suggestion/").status_code == 404
    assert citizen.post("/complaints/new/suggestion/", {}).status_code == 404


def test_a_garbage_submission_key_still_files_once(cworld: Any, citizen: Any) -> None:
    _page, _key = open_form(citizen)
    response = citizen.post(url("complaints:new", kind="report"), report_data(cworld, "<script>"))
    assert response.status_code == 302
    [complaint] = complaints()
    with tenancy.unscoped():
        assert Case.all_communes.get(pk=complaint.case_id).kind == CaseKind.COMPLAINT


@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_at_the_same_moment_files_one_complaint(cworld: Any) -> None:
    assert connection.vendor == "postgresql" or not connection.is_in_memory_db()
    first = host_client("sale.localhost")
    _page, key = open_form(first)
    data = report_data(cworld, key, follow="anonymous")
    locations: list[str] = []
    errors: list[Exception] = []
    start = threading.Barrier(3)

    def work() -> None:
        try:
            client = host_client("sale.localhost")
            client.cookies = copy.copy(first.cookies)  # the same browser, one click too many
            start.wait()
            response = client.post(url("complaints:new", kind="report"), data)
            assert response.status_code == 302, response.status_code
            locations.append(response["Location"])
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [complaint] = complaints()
    assert locations == [url("complaints:filed", reference=complaint.case.reference)] * 3
