"""The filing pages as a citizen sees them: the start page with the categories, the report form (map, pin inputs,
address, photos), the grievance form, in Arabic (right to left), French and Tamazight, light and without inline
styles; the fragments the form asks for (suggestions, questions, nearby reports); and the commune boundaries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache

from conftest import host_client
from jamaa.complaints import services
from jamaa.complaints.tests.filing_helpers import says, text_of, url
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def visitor(cworld: Any) -> Any:
    return host_client("sale.localhost")


def report(cworld: Any, code: str = "dechets-non-collectes", lat: float = 34.0402, lon: float = -6.85) -> Any:
    with tenancy.unscoped():
        return services.complaint_submit(commune=cworld.w.sale, category=cworld.category(code),
                                         description="Tas d'ordures au coin de la rue.", lat=lat, lon=lon,
                                         anonymous=True)


# --- start ------------------------------------------------------------------------------------------------------------


def test_the_start_page_lists_both_kinds_and_their_categories_in_arabic(cworld: Any, visitor: Any) -> None:
    response = visitor.get(url("complaints:start"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in body
    assert says(response, "Report a problem in public space")
    assert says(response, "Grievance about the administration")
    assert "النفايات والنظافة" in body and "نفايات غير مجموعة" in body and "تأخر في معالجة طلب" in body
    leaf = cworld.category("dechets-non-collectes")
    assert f'href="{url("complaints:new", kind="report")}?category={leaf.pk}"' in body
    grievance = cworld.category("administration-refus")
    assert f'href="{url("complaints:new", kind="grievance")}?category={grievance.pk}"' in body
    assert url("reports:map") in body and url("reports:track") in body
    assert ' style="' not in body


def test_the_start_page_in_french(cworld: Any, visitor: Any) -> None:
    response = visitor.get(url("complaints:start", "fr"))
    body = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in body
    assert "Déchets non collectés" in body and "Nid-de-poule" in body
    assert f'href="{url("complaints:new", "fr", kind="report")}' in body
    assert url("reports:map", "fr") in body


def test_the_site_menu_and_home_lead_to_complaints(cworld: Any, visitor: Any) -> None:
    home = visitor.get(url("home"))
    assert home.content.decode().count(f'href="{url("complaints:start")}"') >= 2  # the menu and the home page
    assert says(home, "Report a problem")


# --- the report form ------------------------------------------------------------------------------------------------


def test_the_report_form_has_a_map_a_pin_an_address_and_photos(cworld: Any, visitor: Any, settings: Any) -> None:
    response = visitor.get(url("complaints:new", kind="report"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in body
    assert 'complaints/leaflet/leaflet.js' in body and "complaints/pin.js" in body
    assert re.search(r'<script src="[^"]*pin\.js" defer nonce="[^"]+">', body)  # the CSP nonce
    assert 'data-place-map hidden' in body  # shown by the script only: without it, the address is the way
    assert 'type="hidden" name="lat"' in body and 'type="hidden" name="lon"' in body
    assert 'name="location_source"' in body
    assert 'name="address"' in body
    assert re.search(r'<input type="file" name="photos"[^>]* multiple', body)
    assert 'accept="image/jpeg,image/png"' in body and "capture=" not in body  # camera or gallery
    assert 'id="commune-outline" type="application/json"' in body
    assert 'data-tiles=""' in body  # no map background in the tests: the map still works
    assert f'hx-get="{url("complaints:suggest")}"' in body
    assert f'hx-get="{url("complaints:questions")}"' in body
    assert f'hx-get="{url("complaints:nearby")}"' in body
    assert says(response, "Use my location")
    assert ' style="' not in body
    assert len(response.content) < 40_000
    # Only report categories, grouped under their parent; the grievance ones are not offered.
    rubbish = cworld.category("dechets-non-collectes").pk
    assert re.search(rf'<optgroup label="النفايات والنظافة">\s*<option value="{rubbish}"', body)
    assert f'value="{cworld.category("administration-delai").pk}"' not in body
    assert f'value="{cworld.category("dechets").pk}"' not in body  # a top category with sub-categories
    assert f'<option value="{cworld.category("bruit").pk}">' in body  # a top category without any


def test_a_category_chosen_on_the_start_page_is_preselected_with_its_questions(cworld: Any, visitor: Any) -> None:
    pothole = cworld.category("voirie-nid-de-poule")
    response = visitor.get(url("complaints:new", "fr", kind="report") + f"?category={pothole.pk}")
    body = response.content.decode()
    assert f'<option value="{pothole.pk}" selected>' in body
    assert "Ampleur du problème" in body and "Est-ce un danger pour les passants ?" in body
    assert f'name="questions_for" value="{pothole.pk}"' in body


def test_a_category_of_another_commune_or_kind_in_the_address_is_ignored(cworld: Any, visitor: Any) -> None:
    for value in (cworld.category("bruit", "temara").pk, cworld.category("administration-delai").pk, "x", "9" * 30):
        response = visitor.get(url("complaints:new", kind="report") + f"?category={value}")
        assert response.status_code == 200
        assert not re.search(r'<option value="\d+" selected>', response.content.decode())


def test_the_grievance_form_has_no_map_and_asks_for_the_request(cworld: Any, visitor: Any) -> None:
    response = visitor.get(url("complaints:new", "fr", kind="grievance"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "leaflet.js" not in body and 'name="lat"' not in body and 'name="photos"' not in body
    assert 'name="related_reference"' in body
    assert "Retard dans le traitement d&#x27;une demande" in body or "Retard dans le traitement d'une demande" in body
    assert f'value="{cworld.category("bruit").pk}"' not in body
    assert says(response, "Grievance about the administration")


def test_the_form_works_in_tamazight(cworld: Any, visitor: Any) -> None:
    response = visitor.get(url("complaints:new", "zgh", kind="report"))
    assert response.status_code == 200
    assert '<html lang="zgh" dir="ltr">' in response.content.decode()
    assert "نفايات غير مجموعة" in response.content.decode()  # no Tamazight name yet: the Arabic one


# --- fragments ------------------------------------------------------------------------------------------------------


def test_the_questions_fragment_follows_the_chosen_category(cworld: Any, visitor: Any) -> None:
    pothole = cworld.category("voirie-nid-de-poule")
    response = visitor.get(url("complaints:questions", "fr"), {"category": pothole.pk}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'name="q__size"' in body and 'name="q__danger"' in body and "Ampleur du problème" in body
    assert f'name="questions_for" value="{pothole.pk}"' in body
    for value in ("", "abc", str(cworld.category("bruit", "temara").pk), "9" * 40):
        empty = visitor.get(url("complaints:questions"), {"category": value}).content.decode()
        assert 'name="questions_for" value=""' in empty and "q__" not in empty


def test_the_nearby_fragment_lists_open_reports_of_the_category_with_a_support_form(cworld: Any,
                                                                                   visitor: Any) -> None:
    existing = report(cworld)
    report(cworld, code="bruit")
    category = cworld.category("dechets-non-collectes")
    response = visitor.get(url("complaints:nearby"), {"category": category.pk, "lat": "34.04", "lon": "-6.85"},
                           HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert says(response, "Already reported nearby")
    assert body.count('class="card"') == 1
    assert f'action="{url("reports:support", reference=existing.case.reference)}"' in body
    assert 'id="support-forms" hx-swap-oob="true"' in body and "csrfmiddlewaretoken" in body
    assert f'name="nearby_seen" value="{existing.case.reference}"' in body
    assert not says(response, "File mine anyway")  # with JavaScript the citizen just goes on

    far = visitor.get(url("complaints:nearby"), {"category": category.pk, "lat": "34.05", "lon": "-6.85"})
    assert far.content.decode().strip() == ""
    for bad in ({"category": category.pk, "lat": "abc", "lon": "-6.85"}, {"category": "x", "lat": "34", "lon": "-6"},
                {"category": category.pk}, {"category": cworld.category("dechets-non-collectes", "temara").pk,
                                            "lat": "34.04", "lon": "-6.85"}):
        answer = visitor.get(url("complaints:nearby"), bad)
        assert answer.status_code == 200 and answer.content.decode().strip() == ""


def test_the_nearby_fragment_never_shows_another_communes_reports(cworld: Any) -> None:
    report(cworld)
    temara = host_client("temara.localhost")
    category = cworld.category("dechets-non-collectes", "temara")
    response = temara.get(url("complaints:nearby"), {"category": category.pk, "lat": "34.04", "lon": "-6.85"})
    assert response.content.decode().strip() == ""


def test_the_suggestion_fragment_offers_categories_to_pick(cworld: Any, visitor: Any) -> None:
    response = visitor.get(url("complaints:suggest", "fr"), {
        "description": "Le lampadaire de ma rue est éteint depuis une semaine", "kind": "report"},
        HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    buttons = re.findall(r'<button type="button" class="chip suggestion" data-category="(\d+)">', body)
    assert 1 <= len(buttons) <= 3
    assert str(cworld.category("eclairage-panne").pk) in buttons
    assert says(response, "Is it one of these categories? Tap to choose it.", "fr")  # a fragment: no <html lang>


def test_the_suggestion_fragment_is_empty_for_short_or_strange_input(cworld: Any, visitor: Any) -> None:
    for params in ({"text": "abc", "kind": "report"}, {"text": "lampadaire éteint depuis hier", "kind": "weather"},
                   {"text": "\x00" * 50, "kind": "report"}, {"text": "x" * 100_000, "kind": "report"}, {}):
        response = visitor.get(url("complaints:suggest"), params)
        assert response.status_code == 200
        assert "suggestion" not in response.content.decode()


def test_grievance_suggestions_are_grievance_categories(cworld: Any, visitor: Any) -> None:
    response = visitor.get(url("complaints:suggest"), {"text": "retard de mon dossier, toujours en attente",
                                                       "kind": "grievance"})
    offered = {int(pk) for pk in re.findall(r'data-category="(\d+)"', response.content.decode())}
    grievances = {c.pk for c in cworld.sale_categories.values() if c.kind == "grievance"}
    assert offered and offered <= grievances


# --- the commune's boundaries -------------------------------------------------------------------------------------


def test_the_pages_exist_only_on_a_communes_site(cworld: Any) -> None:
    national = host_client("localhost")
    for path in (url("complaints:start"), url("complaints:new", kind="report"), url("complaints:suggest"),
                 url("complaints:questions"), url("complaints:nearby"),
                 url("complaints:filed", reference="SAL-2026-000001")):
        assert national.get(path).status_code == 404


def test_temara_offers_its_own_categories(cworld: Any) -> None:
    response = host_client("temara.localhost").get(url("complaints:new", kind="report"))
    body = response.content.decode()
    assert f'value="{cworld.category("bruit", "temara").pk}"' in body
    assert f'value="{cworld.category("bruit").pk}"' not in body


def test_a_receipt_is_only_for_whoever_filed(cworld: Any) -> None:
    with tenancy.unscoped():
        complaint = services.complaint_submit(
            commune=cworld.w.sale, category=cworld.category("bruit"), description="Musique la nuit.",
            lat=34.04, lon=-6.85, citizen=cworld.w.citizen_sale)
    path = url("complaints:filed", reference=complaint.case.reference)
    owner = host_client("sale.localhost")
    owner.force_login(cworld.w.citizen_sale)
    page = owner.get(path)
    assert page.status_code == 200
    assert complaint.case.reference in text_of(page)
    assert says(page, "We tell you of each step by SMS or e-mail, and you find the complaint in “My requests”.")
    other = host_client("temara.localhost")
    other.force_login(cworld.w.citizen_temara)
    assert other.get(path).status_code == 404
    staff = host_client("sale.localhost")
    staff.force_login(cworld.hygiene_agent)
    assert staff.get(path).status_code == 404  # staff read complaints in the back office, not here
    assert host_client("sale.localhost").get(path).status_code == 404
    assert owner.get(url("complaints:filed", reference="SAL-2026-999999")).status_code == 404
    assert owner.get(url("complaints:filed", reference="<script>")).status_code == 404
