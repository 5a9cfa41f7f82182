"""The public map of reports: its data (grid counts at low zoom, the reports at high zoom, filters, capped, cacheable,
bad parameters answered 400 in JSON) holds only this commune's public reports and no personal data; the page works
without JavaScript with a list of the latest reports, paged by key; the queries stay few whatever the number of
reports."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from conftest import host_client
from jamaa.complaints import selectors
from jamaa.complaints.models import Category, Complaint, ComplaintState
from jamaa.complaints.tests.conftest import SALE_BOX
from jamaa.complaints.tests.public_fixtures import (
    detail_url,
    file_grievance,
    file_report,
    resolve,
    says,
    text_of,
    url,
)
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db

WEST = (34.04, -6.85)
EAST = (34.045, -6.83)
SALE_BBOX = f"{SALE_BOX[1]},{SALE_BOX[0]},{SALE_BOX[3]},{SALE_BOX[2]}"  # west,south,east,north
# A box a screen shows at zoom 17 (about 4 km across): the points are sent only for such a box.
STREETS_BBOX = "-6.86,34.03,-6.82,34.05"
WIDE_BBOX = "-7.0,33.8,-6.6,34.2"  # Salé and Témara


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    cache.clear()  # the commune's grid is kept a minute
    yield
    cache.clear()


@pytest.fixture
def many(monkeypatch: Any) -> None:
    """As if the commune had many reports: below the points' zoom, counts even for these few."""
    monkeypatch.setattr(selectors, "POINTS_WHEN_FEW", 0)


def data(client: Any, **params: Any) -> Any:
    bbox = STREETS_BBOX if int(params.get("zoom", 0)) >= selectors.POINTS_FROM_ZOOM else SALE_BBOX
    return client.get(url("reports:map_data"), {"bbox": bbox, **params})


def body(response: Any) -> Any:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


@pytest.fixture
def reports(cworld: Any) -> dict[str, Any]:
    """Three reports at one place of Salé (two of waste, one of lighting), two a little east (one resolved), and
    what must never show: a grievance given a place, a report of a hidden category, a merged duplicate, and
    Témara's (moved into the same streets, as if the outlines overlapped)."""
    west = [file_report(cworld, point=WEST), file_report(cworld, point=(34.0401, -6.8501)),
            file_report(cworld, "eclairage-panne", point=(34.0402, -6.8502))]
    east = [file_report(cworld, "dechets-conteneur", point=EAST),
            resolve(cworld, file_report(cworld, "voirie-nid-de-poule", point=(34.0451, -6.8301)))]
    grievance = file_grievance(cworld)
    with tenancy.unscoped():
        Complaint.all_communes.filter(pk=grievance.pk).update(lat=WEST[0], lon=WEST[1])
        hidden_category = cworld.category("espaces-verts-arbre")
        Category.all_communes.filter(pk=hidden_category.pk).update(is_public=False)
    hidden = file_report(cworld, "espaces-verts-arbre", point=WEST)
    duplicate = file_report(cworld, point=WEST)
    with tenancy.unscoped():
        from jamaa.complaints import services

        services.complaint_merge(duplicate=duplicate, into=west[0], actor=cworld.w.admin_sale)
    temara = file_report(cworld, "bruit", commune=cworld.w.temara)
    with tenancy.unscoped():
        Complaint.all_communes.filter(pk=temara.pk).update(lat=EAST[0], lon=EAST[1])
    return {"west": west, "east": east, "grievance": grievance, "hidden": hidden, "duplicate": duplicate,
            "temara": temara}


def test_low_zoom_gives_counts_per_area(cworld: Any, reports: dict[str, Any], many: None) -> None:
    response = data(host_client("sale.localhost"), zoom=14)

    assert response.status_code == 200
    found = body(response)
    assert found["mode"] == "clusters" and found["count"] == 5
    counts = sorted((c["count"], c["open"]) for c in found["clusters"])
    assert counts == [(2, 1), (3, 3)]
    for cluster in found["clusters"]:
        assert set(cluster) == {"lat", "lon", "count", "open"}


def test_high_zoom_gives_the_reports_without_personal_data(cworld: Any, reports: dict[str, Any]) -> None:
    response = data(host_client("sale.localhost"), zoom=17)

    found = body(response)
    assert found["mode"] == "points" and found["truncated"] is False
    refs = {p["ref"] for p in found["points"]}
    assert refs == {r.reference for r in reports["west"] + reports["east"]}
    point = next(p for p in found["points"] if p["ref"] == reports["east"][1].reference)
    assert point == {"ref": reports["east"][1].reference, "lat": 34.0451, "lon": -6.8301,
                     "state": ComplaintState.RESOLVED, "category": "voirie-nid-de-poule"}
    raw = response.content.decode()
    assert "Bennani" not in raw and "612345678" not in raw and "description" not in raw


def test_grievances_hidden_merged_and_other_communes_reports_never_show(cworld: Any,
                                                                        reports: dict[str, Any]) -> None:
    never = {reports[k].reference for k in ("grievance", "hidden", "duplicate", "temara")}
    points = body(data(host_client("sale.localhost"), zoom=17))
    assert not never & {p["ref"] for p in points["points"]}
    assert points["count"] == 5
    for zoom in (12, 5):
        found = body(host_client("sale.localhost").get(url("reports:map_data"), {"bbox": WIDE_BBOX, "zoom": zoom}))
        assert found["count"] == 5 and found["mode"] == "points"
        assert not never & {p["ref"] for p in found["points"]}
    temara = body(data(host_client("temara.localhost"), zoom=17))
    assert [p["ref"] for p in temara["points"]] == [reports["temara"].reference]


def test_few_reports_show_one_by_one_at_any_zoom(cworld: Any, reports: dict[str, Any]) -> None:
    found = body(data(host_client("sale.localhost"), zoom=11))
    assert found["mode"] == "points" and found["count"] == 5


def test_filters_by_category_state_and_date(cworld: Any, reports: dict[str, Any], monkeypatch: Any) -> None:
    client = host_client("sale.localhost")

    def refs(**params: Any) -> set[str]:
        return {p["ref"] for p in body(data(client, zoom=17, **params))["points"]}

    west, east = reports["west"], reports["east"]
    # A top category takes its sub-categories.
    assert refs(category="dechets") == {west[0].reference, west[1].reference, east[0].reference}
    assert refs(category="eclairage-panne") == {west[2].reference}
    assert refs(state="resolved") == {east[1].reference}
    assert refs(since=(timezone.localdate() + timedelta(days=1)).isoformat()) == set()
    assert len(refs(since=timezone.localdate().isoformat())) == 5
    monkeypatch.setattr(selectors, "POINTS_WHEN_FEW", 0)
    clusters = body(data(client, zoom=10, state="received"))
    assert clusters["mode"] == "clusters" and clusters["count"] == 4


@pytest.mark.parametrize("params", [
    {"bbox": "", "zoom": 12},
    {"bbox": "1,2,3", "zoom": 12},
    {"bbox": "a,b,c,d", "zoom": 12},
    {"bbox": "nan,33,-6,34", "zoom": 12},
    {"bbox": "-6,34,-7,33", "zoom": 12},  # west east of east
    {"bbox": "-200,33,-6,34", "zoom": 12},
    {"bbox": SALE_BBOX, "zoom": ""},
    {"bbox": SALE_BBOX, "zoom": "-1"},
    {"bbox": SALE_BBOX, "zoom": "99"},
    {"bbox": SALE_BBOX, "zoom": "1e3"},
    {"bbox": SALE_BBOX, "zoom": 12, "category": "nope"},
    {"bbox": SALE_BBOX, "zoom": 12, "category": "administration"},  # grievances are not on the map
    {"bbox": SALE_BBOX, "zoom": 12, "state": "lost"},
    {"bbox": SALE_BBOX, "zoom": 12, "since": "yesterday"},
    {"bbox": SALE_BBOX, "zoom": 12, "since": "2026-13-45"},
    {"bbox": SALE_BBOX, "zoom": 12, "since": "0001-01-01"},
])
def test_bad_parameters_are_a_400_with_a_message(cworld: Any, params: dict[str, Any]) -> None:
    response = host_client("sale.localhost").get(url("reports:map_data"), params)
    assert response.status_code == 400
    found = body(response)
    assert found["error"] == "bad_request" and found["message"] and found["field"] in params


def test_a_box_too_wide_for_its_zoom_gets_counts(cworld: Any, reports: dict[str, Any], many: None) -> None:
    found = body(host_client("sale.localhost").get(url("reports:map_data"), {"bbox": WIDE_BBOX, "zoom": 18}))
    assert found["mode"] == "clusters" and found["count"] == 5


def test_the_grid_is_shared_by_every_box_at_a_zoom(cworld: Any, reports: dict[str, Any], many: None,
                                                   django_assert_max_num_queries: Any) -> None:
    client = host_client("sale.localhost")
    data(client, zoom=13)
    with django_assert_max_num_queries(2):  # each request's commune only: the grid comes from the cache
        moved = client.get(url("reports:map_data"), {"bbox": "-6.87,34.0,-6.80,34.06", "zoom": 13})
        coarser = client.get(url("reports:map_data"), {"bbox": WIDE_BBOX, "zoom": 8})
    assert body(moved)["count"] == 5 and body(coarser)["count"] == 5


@pytest.mark.parametrize("zoom", [15, 14, 12, 9, 3])
def test_each_zoom_s_cells_are_those_of_a_grid_drawn_at_that_zoom(cworld: Any, reports: dict[str, Any],
                                                                  zoom: int) -> None:
    import math
    from collections import Counter

    cell = selectors.cell_size(zoom)
    points = [r for r in reports["west"] + reports["east"]]
    expected = Counter((math.floor((r.lat + 360) / cell), math.floor((r.lon + 360) / cell)) for r in points)
    with tenancy.unscoped():
        grid = selectors.commune_grid(cworld.w.sale, selectors.ReportFilters(), zoom)
    assert sorted(n for _lat, _lon, n, _open, _last in grid) == sorted(expected.values())


def test_too_many_reports_are_capped_and_flagged(cworld: Any, reports: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "MAX_POINTS", 3)
    found = body(data(host_client("sale.localhost"), zoom=17))
    assert found["truncated"] is True and len(found["points"]) == 3
    # The newest first.
    assert found["points"][0]["ref"] == reports["east"][1].reference


def test_the_data_is_cacheable_and_revalidated(cworld: Any, reports: dict[str, Any], many: None) -> None:
    client = host_client("sale.localhost")
    first = data(client, zoom=12)
    assert "public" in first["Cache-Control"] and "max-age=" in first["Cache-Control"]
    assert first["ETag"] and first["Last-Modified"]

    again = client.get(url("reports:map_data"), {"bbox": SALE_BBOX, "zoom": 12}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304

    file_report(cworld, point=EAST)
    cache.clear()  # a minute later: the commune's grid is computed again
    changed = client.get(url("reports:map_data"), {"bbox": SALE_BBOX, "zoom": 12}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and body(changed)["count"] == 6


def test_the_data_queries_stay_few_whatever_the_number_of_reports(cworld: Any, reports: dict[str, Any], many: None,
                                                                  django_assert_max_num_queries: Any) -> None:
    client = host_client("sale.localhost")
    for _ in range(10):
        file_report(cworld, point=EAST)
    with django_assert_max_num_queries(2):  # the commune of the host, the reports
        assert data(client, zoom=17).status_code == 200
    with django_assert_max_num_queries(2):
        assert data(client, zoom=12).status_code == 200
    with django_assert_max_num_queries(3):  # and the categories
        assert data(client, zoom=12, category="dechets").status_code == 200


def test_the_national_host_has_no_map(cworld: Any) -> None:
    assert host_client("localhost").get(url("reports:map_data"), {"bbox": SALE_BBOX, "zoom": 12}).status_code == 404
    assert host_client("localhost").get(url("reports:map")).status_code == 404


# --- the page ----------------------------------------------------------------------------------------------------


def test_the_page_lists_the_latest_reports_without_javascript(cworld: Any, reports: dict[str, Any]) -> None:
    response = host_client("sale.localhost").get(url("reports:map"))

    assert response.status_code == 200
    content = response.content.decode()
    for report in reports["west"] + reports["east"]:
        assert f'href="{detail_url(report)}"' in content
    for key in ("grievance", "hidden", "duplicate", "temara"):
        assert reports[key].reference not in content
    # The legend says each state in words (the markers' colours only repeat them).
    for state in ComplaintState:
        assert says(response, str(state.label))
    assert "Bennani" not in content
    assert ' style="' not in content
    assert 'data-report-map="reports"' in content and "report-map-config" in content


def test_the_list_follows_the_filters_and_pages_by_key(cworld: Any, reports: dict[str, Any],
                                                       monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "LIST_PAGE_SIZE", 2)
    client = host_client("sale.localhost")
    first = client.get(url("reports:map"))
    assert first.context["older"] is not None
    shown = [row["complaint"].reference for row in first.context["rows"]]
    assert shown == [reports["east"][1].reference, reports["east"][0].reference]
    second = client.get(url("reports:map"), {"before": first.context["older"]})
    assert [row["complaint"].reference for row in second.context["rows"]] == [
        reports["west"][2].reference, reports["west"][1].reference]

    filtered = client.get(url("reports:map"), {"state": "resolved"})
    assert [row["complaint"].reference for row in filtered.context["rows"]] == [reports["east"][1].reference]
    by_category = client.get(url("reports:map"), {"category": "eclairage"})
    assert [row["complaint"].reference for row in by_category.context["rows"]] == [reports["west"][2].reference]


@pytest.mark.parametrize("params", [{"state": "lost"}, {"category": "<b>"}, {"period": "7"},
                                    {"before": "9" * 40}, {"before": "-1"}])
def test_wrong_filters_on_the_page_are_explained_not_a_500(cworld: Any, reports: dict[str, Any],
                                                           params: dict[str, str]) -> None:
    response = host_client("sale.localhost").get(url("reports:map"), params)
    assert response.status_code in (200, 400)
    if "before" not in params:
        assert response.status_code == 400 and response.context["form"].errors


def test_the_page_queries_stay_few_whatever_the_number_of_reports(cworld: Any, reports: dict[str, Any],
                                                                  django_assert_max_num_queries: Any) -> None:
    client = host_client("sale.localhost")
    client.get(url("reports:map"))
    with django_assert_max_num_queries(6) as few:
        client.get(url("reports:map"))
    for _ in range(8):
        file_report(cworld, "eclairage-panne", point=EAST)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("reports:map"))
    assert len(response.context["rows"]) == 13


def test_the_page_reads_in_french(cworld: Any, reports: dict[str, Any]) -> None:
    response = host_client("sale.localhost").get(url("reports:map", "fr"))
    assert response.status_code == 200
    assert '<html lang="fr" dir="ltr">' in response.content.decode()
    assert says(response, "Reports on the map")
    assert cworld.category("eclairage-panne").name_fr in text_of(response)
