"""The complaints list and map of the back office: what each role sees, the filters, the late marks, keyset pages,
a constant number of queries, and the map's JSON with its cap."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jamaa.complaints import services, staff_views
from jamaa.complaints.models import Complaint, ComplaintState
from jamaa.complaints.tests.staff_support import BASE, file_grievance, file_report, says, staff
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db

MAP_DATA = f"{BASE}map/data.json"


def references(body: str) -> list[str]:
    return re.findall(r'<bdi dir="ltr" class="ref">([A-Z]+-\d+-\d+)</bdi>', body)


def set_dates(complaint: Complaint, **dates: Any) -> None:
    with tenancy.unscoped():
        Complaint.all_communes.filter(pk=complaint.pk).update(**dates)


def today() -> datetime.date:
    return timezone.localdate()


def resolve(cworld: Any, complaint: Complaint) -> None:
    with tenancy.unscoped():
        services.complaint_transition(complaint=complaint, name="resolve", actor=cworld.w.admin_sale, text="Fait.")


def test_the_list_shows_the_open_complaints_of_the_agents_department(cworld: Any) -> None:
    waste = file_report(cworld)
    road = file_report(cworld, "voirie-nid-de-poule")
    done = file_report(cworld, "dechets-conteneur")
    resolve(cworld, done)
    response = staff(cworld.hygiene_agent).get(BASE)
    assert response.status_code == 200
    shown = references(response.content.decode())
    assert shown == [waste.reference]  # not the road department's, not the resolved one
    assert road.reference not in shown and done.reference not in shown
    assert says(response, "Complaints")


def test_an_administrator_sees_every_department_and_all_states_on_demand(cworld: Any) -> None:
    waste = file_report(cworld)
    road = file_report(cworld, "voirie-nid-de-poule")
    done = file_report(cworld, "dechets-conteneur")
    resolve(cworld, done)
    client = staff(cworld.w.admin_sale)
    body = client.get(BASE).content.decode()
    assert set(references(body)) == {waste.reference, road.reference}
    assert cworld.sale_voirie.name_ar in body  # the department column
    assert set(references(client.get(BASE, {"state": "all"}).content.decode())) == {
        waste.reference, road.reference, done.reference}
    assert references(client.get(BASE, {"state": "resolved"}).content.decode()) == [done.reference]


def test_the_filters_narrow_the_list(cworld: Any) -> None:
    west = file_report(cworld)
    east = file_report(cworld, "dechets-conteneur", point=cworld.sale_east_point)
    road = file_report(cworld, "voirie-nid-de-poule")
    grievance = file_grievance(cworld)
    client = staff(cworld.w.admin_sale)

    def shown(**params: Any) -> set[str]:
        return set(references(client.get(BASE, params).content.decode()))

    assert shown(kind="grievance") == {grievance.reference}
    assert shown(kind="report") == {west.reference, east.reference, road.reference}
    # A top category takes in its sub-categories.
    assert shown(category=cworld.category("dechets").pk) == {west.reference, east.reference}
    assert shown(category=cworld.category("dechets-conteneur").pk) == {east.reference}
    assert shown(department=cworld.sale_voirie.pk) == {road.reference}
    assert shown(arrondissement=east.case.arrondissement_id) == {east.reference}
    assert shown(q=east.reference.lower()) == {east.reference}
    assert shown(q=east.reference[-6:]) == {east.reference}


def test_late_complaints_are_marked_and_can_be_filtered(cworld: Any) -> None:
    late = file_report(cworld)
    near = file_report(cworld, "dechets-conteneur")
    calm = file_report(cworld, "dechets-depot-sauvage")
    set_dates(late, target_due=today() - datetime.timedelta(days=3), legal_due=today() - datetime.timedelta(days=1),
              ack_due=today() - datetime.timedelta(days=10))
    set_dates(near, legal_due=today() + datetime.timedelta(days=1))
    client = staff(cworld.hygiene_agent)
    response = client.get(BASE)
    assert references(response.content.decode())[0] == late.reference  # the nearest target first
    for label in ("Late: target passed", "Late: legal date passed", "Legal date near", "Acknowledgement late"):
        assert says(response, label), label
    assert set(references(client.get(BASE, {"late": "target"}).content.decode())) == {late.reference}
    assert set(references(client.get(BASE, {"late": "legal"}).content.decode())) == {late.reference, near.reference}
    assert calm.reference in references(response.content.decode())


def test_an_answered_complaint_has_no_late_mark(cworld: Any) -> None:
    done = file_report(cworld)
    set_dates(done, target_due=today() - datetime.timedelta(days=3))
    resolve(cworld, done)
    response = staff(cworld.hygiene_agent).get(BASE, {"state": "all"})
    assert done.reference in references(response.content.decode())
    assert not says(response, "Late: target passed")


def test_bad_filter_values_are_reported_not_a_500(cworld: Any) -> None:
    file_report(cworld)
    client = staff(cworld.w.admin_sale)
    for params in ({"state": "nope"}, {"category": "abc"}, {"category": "999999"}, {"department": "x"},
                   {"arrondissement": "-1"}, {"late": "soon"}, {"cursor": "garbage"}, {"cursor": "2026-13-40_5"},
                   {"cursor": "2026-01-01_" + "9" * 30}, {"q": "x" * 500}):
        assert client.get(BASE, params).status_code == 200, params
        assert client.get(MAP_DATA, params).status_code == 200, params


def test_pages_follow_each_other_without_overlap(cworld: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff_views, "PAGE_SIZE", 2)
    made = [file_report(cworld) for _ in range(5)]
    for i, complaint in enumerate(made):
        set_dates(complaint, target_due=today() + datetime.timedelta(days=i // 2))  # ties on the date
    client = staff(cworld.hygiene_agent)
    seen: list[str] = []
    path: str | None = BASE
    while path:
        body = client.get(path).content.decode()
        seen += references(body)
        found = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', body)
        path = BASE + found.group(1).replace("&amp;", "&") if found else None
    assert seen == [c.reference for c in made]


def test_the_list_runs_a_constant_number_of_queries(cworld: Any) -> None:
    file_report(cworld)
    client = staff(cworld.w.admin_sale)
    client.get(BASE)
    with CaptureQueriesContext(connection) as one:
        assert client.get(BASE).status_code == 200
    codes = ["dechets-conteneur", "voirie-nid-de-poule", "eclairage-panne", "espaces-verts-arbre", "bruit"]
    for i in range(10):
        point = cworld.sale_east_point if i % 2 else cworld.sale_point
        file_report(cworld, codes[i % len(codes)], point=point)
    file_grievance(cworld)
    with CaptureQueriesContext(connection) as many:
        body = client.get(BASE).content.decode()
    assert len(references(body)) == 12
    assert len(many.captured_queries) == len(one.captured_queries)


# --- the map ----------------------------------------------------------------------------------------------------


def test_the_map_data_has_the_reports_with_a_place_and_their_state(cworld: Any) -> None:
    report = file_report(cworld)
    file_grievance(cworld)  # no place: not on the map
    data = staff(cworld.w.admin_sale).get(MAP_DATA).json()
    assert [p["ref"] for p in data["points"]] == [report.reference]
    point = data["points"][0]
    assert (point["lat"], point["lon"]) == cworld.sale_point
    assert point["state"] == ComplaintState.RECEIVED
    assert point["url"] == f"{BASE}{report.reference}/"
    assert data["truncated"] is False


def test_the_map_data_follows_the_filters(cworld: Any) -> None:
    west = file_report(cworld)
    east = file_report(cworld, "dechets-conteneur", point=cworld.sale_east_point)
    client = staff(cworld.w.admin_sale)
    data = client.get(MAP_DATA, {"arrondissement": east.case.arrondissement_id}).json()
    assert [p["ref"] for p in data["points"]] == [east.reference]
    resolve(cworld, west)
    assert [p["ref"] for p in client.get(MAP_DATA).json()["points"]] == [east.reference]
    assert {p["ref"] for p in client.get(MAP_DATA, {"state": "all"}).json()["points"]} == {
        west.reference, east.reference}


def test_the_map_is_capped_and_says_so(cworld: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff_views, "MAP_MAX_POINTS", 2)
    made = [file_report(cworld) for _ in range(3)]
    data = staff(cworld.w.admin_sale).get(MAP_DATA).json()
    assert data["truncated"] is True and len(data["points"]) == 2
    assert [p["ref"] for p in data["points"]] == [c.reference for c in made[:2]]  # the most urgent
    assert "2" in data["message"]


def test_the_map_page_loads_leaflet_and_keeps_the_filters(cworld: Any) -> None:
    file_report(cworld)
    response = staff(cworld.w.admin_sale).get(f"{BASE}map/", {"kind": "report"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "complaints/leaflet/leaflet.js" in body and "complaints/staff-map.js" in body
    assert f'data-url="{BASE}map/data.json?kind=report"' in body
    assert 'data-tiles=""' in body  # no background in the tests
    assert 'id="staff-map-outline"' in body and "data-lat=" in body
    assert " style=" not in re.sub(r"<style nonce=", "", body)
    assert says(response, "The same complaints as a list")
