"""Open311 GeoReport v2 as an application sees it: every resource in JSON and XML, the spec's errors with the right
HTTP status, filing with an API key (idempotent, limited per key), public reports only and no personal data, and
each commune's host serving only its own commune."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from conftest import host_client
from jamaa.complaints import services
from jamaa.complaints.models import Category, Complaint, ComplaintChannel, ComplaintState
from jamaa.complaints.open311_keys import open311_key_issue, open311_key_revoke
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    cache.clear()  # the per-key POST counters of an earlier test
    yield
    cache.clear()


# --- helpers --------------------------------------------------------------------------------------------------------


def get(client: Any, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
    return client.get(f"{BASE}/{path}", params, headers=headers or {})


def body(response: Any) -> Any:
    """The document: JSON as Python data, XML as its root element."""
    if response["Content-Type"].startswith("text/xml"):
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        return ET.fromstring(response.content)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def says(language: str, msgid: str, **params: Any) -> str:
    with translation.override(language):
        text = gettext(msgid)
    return text % params if params else text


def error_lines(response: Any) -> list[tuple[int, str]]:
    data = body(response)
    if isinstance(data, ET.Element):
        assert data.tag == "errors"
        return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in data.findall("error")]
    assert isinstance(data, list)
    return [(item["code"], item["description"]) for item in data]


def assert_error(response: Any, status: int, *fragments: str) -> list[str]:
    assert response.status_code == status, response.content
    lines = error_lines(response)
    assert lines and all(code == status for code, _d in lines)
    descriptions = [d for _c, d in lines]
    for fragment in fragments:
        assert any(fragment in d for d in descriptions), (fragment, descriptions)
    return descriptions


def sale_key(cworld: Any, name: str = "Salé app") -> str:
    return open311_key_issue(commune=cworld.w.sale, name=name, actor=cworld.w.admin_sale)[1]


def file_report(cworld: Any, code: str = "dechets-non-collectes", commune: str = "sale", **extra: Any) -> Complaint:
    w = cworld.w
    point = cworld.sale_point if commune == "sale" else cworld.temara_point
    with tenancy.unscoped():
        return services.complaint_submit(
            commune=w.sale if commune == "sale" else w.temara, category=cworld.category(code, commune),
            description=extra.pop("description", "Les ordures ne sont pas ramassées."),
            lat=point[0], lon=point[1], citizen=extra.pop("citizen", w.citizen_sale if commune == "sale"
                                                          else w.citizen_temara), **extra)


def file_grievance(cworld: Any) -> Complaint:
    with tenancy.unscoped():
        return services.complaint_submit(
            commune=cworld.w.sale, category=cworld.category("administration-delai"),
            description="Mon dossier attend depuis trois mois.", citizen=cworld.w.citizen_sale)


def post(client: Any, fmt: str = "json", headers: dict[str, str] | None = None, **data: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data, headers=headers or {})


def good_report(key: str, cworld: Any, **extra: Any) -> dict[str, Any]:
    lat, lon = cworld.sale_point
    return {"api_key": key, "service_code": "voirie-nid-de-poule", "lat": str(lat), "long": str(lon),
            "description": "Un trou profond devant l'école.", **extra}


# --- discovery ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_names_the_endpoint_its_formats_and_who_to_ask_for_a_key(cworld: Any, sale_client: Any,
                                                                           fmt: str) -> None:
    response = get(sale_client, f"discovery.{fmt}")
    assert response.status_code == 200
    data = body(response)
    if fmt == "json":
        endpoint = data["endpoints"][0]
        assert data["changeset"].endswith("Z") and "contact@sale.ma" in data["contact"]
        assert "contact@sale.ma" in data["key_service"]
        assert endpoint == {"specification": "http://wiki.open311.org/GeoReport_v2",
                            "url": "http://sale.localhost/open311/v2", "changeset": data["changeset"],
                            "type": "production", "formats": ["text/xml", "application/json"]}
    else:
        assert data.tag == "discovery"
        assert "contact@sale.ma" in (data.findtext("contact") or "")
        endpoint_xml = data.find("endpoints/endpoint")
        assert endpoint_xml is not None
        assert endpoint_xml.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint_xml.findtext("url") == "http://sale.localhost/open311/v2"
        assert endpoint_xml.findtext("type") == "production"
        assert [f.text for f in endpoint_xml.findall("formats/format")] == ["text/xml", "application/json"]


# --- services -------------------------------------------------------------------------------------------------------


def test_services_are_the_communes_report_categories_in_arabic_by_default(cworld: Any, sale_client: Any) -> None:
    response = get(sale_client, "services.json")
    assert response.status_code == 200
    services_ = body(response)
    codes = [s["service_code"] for s in services_]
    assert "dechets-non-collectes" in codes and "eau" in codes and "bruit" in codes
    # Parents with sub-categories are groups, not services; grievances are not services at all.
    assert "dechets" not in codes and "voirie" not in codes
    assert not [c for c in codes if c.startswith("administration")]
    pothole = next(s for s in services_ if s["service_code"] == "voirie-nid-de-poule")
    assert pothole == {"service_code": "voirie-nid-de-poule", "service_name": "حفرة في الطريق",
                       "description": "", "metadata": True, "type": "realtime",
                       "keywords": pothole["keywords"], "group": "الطرق والأرصفة"}
    assert "nid, de, poule" in pothole["keywords"] or "trou" in pothole["keywords"]
    water = next(s for s in services_ if s["service_code"] == "eau")
    assert water["metadata"] is False and water["group"] == "تسرب الماء"
    # Groups stay together: every sub-category of "voirie" follows the previous one.
    voirie = [i for i, c in enumerate(codes) if c.startswith("voirie-")]
    assert voirie == list(range(voirie[0], voirie[0] + len(voirie)))


def test_services_follow_the_locale_parameter_then_accept_language(cworld: Any, sale_client: Any) -> None:
    by_param = body(get(sale_client, "services.json", locale="fr_MA"))
    by_header = body(get(sale_client, "services.json", headers={"Accept-Language": "en;q=1, fr-FR;q=0.8, ar;q=0.5"}))
    for services_ in (by_param, by_header):
        pothole = next(s for s in services_ if s["service_code"] == "voirie-nid-de-poule")
        assert pothole["service_name"] == "Nid-de-poule" and pothole["group"] == "Voirie et trottoirs"
    arabic = body(get(sale_client, "services.json", headers={"Accept-Language": "de, xx;q=0.9"}))
    assert next(s for s in arabic if s["service_code"] == "eau")["service_name"] == "تسرب الماء"


def test_services_in_xml_carry_the_same_list(cworld: Any, sale_client: Any) -> None:
    as_json = body(get(sale_client, "services.json"))
    root = body(get(sale_client, "services.xml"))
    assert root.tag == "services"
    items = root.findall("service")
    assert [s.findtext("service_code") for s in items] == [s["service_code"] for s in as_json]
    pothole = next(s for s in items if s.findtext("service_code") == "voirie-nid-de-poule")
    assert pothole.findtext("metadata") == "true" and pothole.findtext("type") == "realtime"
    assert pothole.findtext("service_name") == "حفرة في الطريق"
    assert pothole.findtext("group") == "الطرق والأرصفة"


def test_an_inactive_category_is_no_longer_a_service(cworld: Any, sale_client: Any) -> None:
    with tenancy.unscoped():
        Category.all_communes.filter(pk=cworld.category("bruit").pk).update(is_active=False)
    codes = [s["service_code"] for s in body(get(sale_client, "services.json"))]
    assert "bruit" not in codes
    assert_error(get(sale_client, "services/bruit.json"), 404)


# --- service definitions --------------------------------------------------------------------------------------------


def test_a_service_definition_describes_the_extra_questions(cworld: Any, sale_client: Any) -> None:
    response = get(sale_client, "services/voirie-nid-de-poule.json", locale="fr")
    assert response.status_code == 200
    definition = body(response)
    assert definition["service_code"] == "voirie-nid-de-poule"
    size, danger = definition["attributes"]
    assert size == {"variable": True, "code": "size", "datatype": "singlevaluelist", "required": False,
                    "datatype_description": None, "order": 1, "description": "Ampleur du problème",
                    "values": [{"key": "small", "name": "Petit"}, {"key": "medium", "name": "Moyen"},
                               {"key": "large", "name": "Grand"}]}
    assert danger["code"] == "danger" and danger["datatype"] == "singlevaluelist" and danger["order"] == 2
    assert [v["key"] for v in danger["values"]] == ["yes", "no"]
    assert [v["name"] for v in danger["values"]] == [says("fr", "Yes"), says("fr", "No")]


def test_text_and_number_questions_become_string_text_and_number(cworld: Any, sale_client: Any) -> None:
    with tenancy.unscoped():
        Category.all_communes.filter(pk=cworld.category("eau").pk).update(questions=[
            {"name": "meter", "type": "text", "required": True, "label": {"ar": "رقم العداد", "fr": "Compteur"},
             "help": {"ar": "على العداد", "fr": "Sur le compteur"}},
            {"name": "details", "type": "textarea", "required": False, "label": {"ar": "تفاصيل", "fr": "Détails"}},
            {"name": "floors", "type": "number", "required": False, "label": {"ar": "طوابق", "fr": "Étages"}},
        ])
    root = body(get(sale_client, "services/eau.xml", locale="fr"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "eau"
    attributes = root.findall("attributes/attribute")
    assert [(a.findtext("code"), a.findtext("datatype"), a.findtext("required"), a.findtext("order"))
            for a in attributes] == [("meter", "string", "true", "1"), ("details", "text", "false", "2"),
                                     ("floors", "number", "false", "3")]
    assert attributes[0].findtext("datatype_description") == "Sur le compteur"
    assert attributes[0].findtext("description") == "Compteur" and attributes[0].findtext("variable") == "true"
    assert attributes[0].find("values") is None
    services_ = body(get(sale_client, "services.json"))
    assert next(s for s in services_ if s["service_code"] == "eau")["metadata"] is True


def test_a_service_without_questions_has_no_attributes(cworld: Any, sale_client: Any) -> None:
    assert body(get(sale_client, "services/bruit.json")) == {"service_code": "bruit", "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("code", ["no-such-thing", "voirie", "administration-delai", "temara-only"])
def test_an_unknown_group_grievance_or_other_communes_service_code_is_404(cworld: Any, sale_client: Any, fmt: str,
                                                                          code: str) -> None:
    with tenancy.unscoped():
        Category.all_communes.create(commune=cworld.w.temara, code="temara-only", name_ar="تمارة", name_fr="Témara",
                                     department=cworld.category("bruit", "temara").department)
    response = get(sale_client, f"services/{code}.{fmt}")
    assert_error(response, 404, code)


# --- filing ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_application_files_a_report_with_its_key(cworld: Any, sale_client: Any, fmt: str) -> None:
    key = sale_key(cworld)
    response = post(sale_client, fmt, **good_report(
        key, cworld, email="Amina@Example.MA", phone="0612345679", first_name="Amina", last_name="Alaoui",
        address_string="Avenue Hassan II", **{"attribute[size]": "large", "attribute[danger]": "yes",
                                              "attribute[unknown]": "ignored"},
        media_url="https://app.example/photo.jpg", device_id="abc", account_id="42"),
        headers={"Accept-Language": "fr"})
    assert response.status_code == 200, response.content
    with tenancy.unscoped():
        complaint = Complaint.all_communes.select_related("case", "api_key").get()
    case = complaint.case
    assert complaint.channel == ComplaintChannel.OPEN311 and complaint.api_key is not None
    assert complaint.api_key.name == "Salé app" and complaint.api_key.last_used_at is not None
    assert case.applicant_name == "Amina Alaoui" and case.applicant_phone == "+212612345679"
    assert case.applicant_email == "Amina@example.ma" and case.language == "fr"
    assert complaint.answers == {"size": "large", "danger": True}
    assert complaint.address == "Avenue Hassan II"
    assert (complaint.lat, complaint.lon) == cworld.sale_point
    assert case.department == cworld.sale_voirie and case.arrondissement.slug == "bab-lamrissa"
    assert len(complaint.open311_token) == 16
    notice = says("fr", "Complaint received. The commune answers by %(date)s.", date=complaint.legal_due.isoformat())
    data = body(response)
    if fmt == "json":
        assert data == [{"service_request_id": case.reference, "token": complaint.open311_token,
                         "service_notice": notice, "account_id": None}]
    else:
        assert data.tag == "service_requests"
        (item,) = data.findall("request")
        assert item.findtext("service_request_id") == case.reference
        assert item.findtext("token") == complaint.open311_token
        assert item.findtext("service_notice") == notice
        account = item.find("account_id")
        assert account is not None and not account.text


def test_a_report_may_be_placed_by_its_address_only(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    response = post(sale_client, api_key=key, service_code="eclairage-panne", description="Lampadaire éteint.",
                    address_string="Rue 12, Hay Salam")
    assert response.status_code == 200
    with tenancy.unscoped():
        complaint = Complaint.all_communes.get()
    assert complaint.lat is None and complaint.address == "Rue 12, Hay Salam"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_unknown_or_revoked_key_is_403(cworld: Any, sale_client: Any, fmt: str) -> None:
    key = sale_key(cworld)
    temara_key = open311_key_issue(commune=cworld.w.temara, name="Témara app", actor=cworld.w.admin_temara)[1]
    data = good_report(key, cworld)
    for api_key in ("", "o311_nope", temara_key):
        assert_error(post(sale_client, fmt, **{**data, "api_key": api_key}), 403, "api_key")
    with tenancy.unscoped():
        revoked, raw = open311_key_issue(commune=cworld.w.sale, name="Old app", actor=cworld.w.admin_sale)
        open311_key_revoke(key=revoked, actor=cworld.w.admin_sale)
    assert_error(post(sale_client, fmt, **{**data, "api_key": raw}), 403, "api_key")
    with tenancy.unscoped():
        assert not Complaint.all_communes.exists()


def test_a_salé_key_is_refused_on_témaras_host(cworld: Any, temara_client: Any) -> None:
    key = sale_key(cworld)
    lat, lon = cworld.temara_point
    response = post(temara_client, api_key=key, service_code="bruit", lat=lat, long=lon, description="Bruit.")
    assert_error(response, 403, "api_key")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_refused_report_lists_every_problem_with_400(cworld: Any, sale_client: Any, fmt: str) -> None:
    key = sale_key(cworld)
    response = post(sale_client, fmt, api_key=key, service_code="voirie-nid-de-poule", description="  ",
                    **{"attribute[size]": "enormous"}, headers={"Accept-Language": "fr"})
    lines = assert_error(response, 400)
    assert f"description: {says('fr', 'Describe the problem.')}" in lines
    assert f"lat/long: {says('fr', 'Pin the place on the map or type its address.')}" in lines
    assert f"attribute[size]: {says('fr', 'Choose one of the proposed answers.')}" in lines
    with tenancy.unscoped():
        assert not Complaint.all_communes.exists()


def test_a_place_outside_the_commune_or_nonsense_coordinates_are_400(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    lat, lon = cworld.outside_point
    outside = post(sale_client, **good_report(key, cworld, lat=lat, long=lon), headers={"Accept-Language": "fr"})
    assert_error(outside, 400, "lat/long: " + says("fr", "This place is outside the commune of %(commune)s.",
                                                    commune="Salé"))
    for lat_, lon_ in (("abc", "-6.85"), ("34.04", ""), ("nan", "nan"), ("91", "0"), ("1e999", "0")):
        response = post(sale_client, **good_report(key, cworld, lat=lat_, long=lon_),
                        headers={"Accept-Language": "fr"})
        assert_error(response, 400, "lat/long: " + says("fr", "These coordinates are not valid."))
    with tenancy.unscoped():
        assert not Complaint.all_communes.exists()


def test_a_missing_or_unknown_service_code_is_refused(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    assert_error(post(sale_client, **good_report(key, cworld, service_code="")), 400, "service_code")
    assert_error(post(sale_client, **good_report(key, cworld, service_code="nope")), 404, "nope")
    # A grievance about the administration is not filed through Open311.
    assert_error(post(sale_client, **good_report(key, cworld, service_code="administration-delai")), 404)
    assert_error(post(sale_client, **good_report(key, cworld, service_code="voirie")), 404)


def test_a_bad_email_or_phone_is_400(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    assert_error(post(sale_client, **good_report(key, cworld, email="not-an-address")), 400, "email: ")
    assert_error(post(sale_client, **good_report(key, cworld, phone="12")), 400, "phone: ")
    assert_error(post(sale_client, **good_report(key, cworld, phone="+33612345678")), 400, "phone: ")


def test_the_jurisdiction_may_be_named_and_must_be_this_commune(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    for mine in ("sale", "SALE", "sale.localhost"):
        assert post(sale_client, **good_report(key, cworld, jurisdiction_id=mine)).status_code == 200
    for other in ("temara", "temara.localhost", "casablanca"):
        assert_error(post(sale_client, **good_report(key, cworld, jurisdiction_id=other)), 400, "jurisdiction_id")
        assert_error(get(sale_client, "services.xml", jurisdiction_id=other), 400, "jurisdiction_id")
        assert_error(get(sale_client, "requests.json", jurisdiction_id=other), 400, "jurisdiction_id")
    with tenancy.unscoped():
        assert Complaint.all_communes.count() == 3


def test_a_retried_post_with_the_same_idempotency_key_files_one_report(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    other_key = sale_key(cworld, "Another app")
    first = body(post(sale_client, **good_report(key, cworld), headers={"Idempotency-Key": "retry-7"}))
    again = body(post(sale_client, **good_report(key, cworld), headers={"Idempotency-Key": "retry-7"}))
    assert first == again
    # Another application that happens to use the same value files its own report.
    other = body(post(sale_client, **good_report(other_key, cworld), headers={"Idempotency-Key": "retry-7"}))
    assert other[0]["service_request_id"] != first[0]["service_request_id"]
    # Without the header, each POST is a new report.
    post(sale_client, **good_report(key, cworld))
    with tenancy.unscoped():
        assert Complaint.all_communes.count() == 3


def test_posts_are_limited_per_key_with_429(cworld: Any, sale_client: Any, settings: Any) -> None:
    settings.COMPLAINT_OPEN311_POSTS_PER_HOUR = 2
    key, other = sale_key(cworld), sale_key(cworld, "Other")
    assert post(sale_client, **good_report(key, cworld)).status_code == 200
    assert post(sale_client, **good_report(key, cworld)).status_code == 200
    refused = post(sale_client, "xml", **good_report(key, cworld), headers={"Accept-Language": "fr"})
    assert_error(refused, 429, says("fr", "Too many requests with this api_key: try again in an hour."))
    assert refused["Retry-After"] == "3600"
    assert post(sale_client, **good_report(other, cworld)).status_code == 200
    with tenancy.unscoped():
        assert Complaint.all_communes.count() == 3


def test_a_photo_sent_as_media_is_kept_and_a_file_that_is_no_photo_is_400(cworld: Any, sale_client: Any) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    key = sale_key(cworld)
    buffer = io.BytesIO()
    Image.new("RGB", (16, 8), "blue").save(buffer, "JPEG")
    photo = SimpleUploadedFile("hole.jpg", buffer.getvalue(), "image/jpeg")
    assert post(sale_client, **good_report(key, cworld, media=photo)).status_code == 200
    with tenancy.unscoped():
        stored = Complaint.all_communes.get().photos.get()
    assert (stored.width, stored.height) == (16, 8)
    text = SimpleUploadedFile("notes.txt", b"just text", "text/plain")
    assert_error(post(sale_client, **good_report(key, cworld, media=text)), 400, "media: ")
    with tenancy.unscoped():
        assert Complaint.all_communes.count() == 1


def test_the_key_and_jurisdiction_may_also_come_in_the_query_string(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    data = good_report(key, cworld)
    del data["api_key"]
    assert sale_client.post(f"{BASE}/requests.json?api_key={key}", data).status_code == 200
    assert_error(sale_client.post(f"{BASE}/requests.json?api_key={key}&jurisdiction_id=temara", data), 400)


def test_odd_input_gets_an_answer_never_a_server_error(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    nul = "\x00"
    # NUL characters (PostgreSQL refuses them in text) are dropped wherever they are.
    filed = post(sale_client, **good_report(key, cworld, description=f"Trou{nul} profond", address_string=f"Rue{nul} 5",
                                            first_name=f"A{nul}", **{f"attribute[size{nul}]": f"large{nul}"}))
    assert filed.status_code == 200, filed.content
    with tenancy.unscoped():
        complaint = Complaint.all_communes.select_related("case").get()
    assert complaint.description == "Trou profond" and complaint.answers == {"size": "large"}
    for params in ({"service_code": nul}, {"service_request_id": f"SAL{nul}"}, {"jurisdiction_id": nul},
                   {"status": nul}, {"start_date": nul}, {"locale": nul}):
        assert get(sale_client, "requests.json", **params).status_code in (200, 400)
    assert_error(post(sale_client, **good_report(key, cworld, email="a" * 250 + "@example.ma")), 400, "email")
    assert_error(post(sale_client, **good_report(key, cworld, jurisdiction_id=f"x{nul}")), 400, "jurisdiction_id")
    # Repeated and list-shaped attributes, long names, many of them.
    many = {f"attribute[{'x' * 300}{i}]": "v" for i in range(50)}
    listed = post(sale_client, **good_report(key, cworld, **many, **{"attribute[size][]": ["small", "large"]}))
    assert_error(listed, 400, "attribute[size]")
    assert post(sale_client, **good_report(key, cworld, **{"attribute[danger]": ["yes", "no"]})).status_code == 200
    long_text = post(sale_client, **good_report(key, cworld, description="x" * 50_000))
    assert_error(long_text, 400, "description")
    # A body that is not what it claims to be.
    broken = sale_client.generic("POST", f"{BASE}/requests.json", b"--nope\r\nbroken",
                                 content_type="multipart/form-data; boundary=")
    assert_error(broken, 400)
    unrelated = sale_client.generic("POST", f"{BASE}/requests.xml", b"--zzz\r\nbroken",
                                    content_type="multipart/form-data; boundary=zzz")
    assert_error(unrelated, 403, "api_key")  # read as no field at all
    broken_404 = sale_client.generic("POST", f"{BASE}/nope.json", b"--nope", content_type="multipart/form-data")
    assert broken_404.status_code in (400, 404)
    assert get(sale_client, "requests.json", headers={"Accept-Language": "fr;q=nan, ar;q=x, ;;;,"}).status_code \
        == 200


def test_head_answers_like_get_without_a_body(cworld: Any, sale_client: Any) -> None:
    response = sale_client.head(f"{BASE}/services.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert response.content == b""


def test_posting_needs_no_csrf_token_and_other_methods_are_405(cworld: Any) -> None:
    from django.test import Client

    client = Client(HTTP_HOST="sale.localhost", enforce_csrf_checks=True)
    assert post(client, **good_report(sale_key(cworld), cworld)).status_code == 200
    refused = client.post(f"{BASE}/services.json", {})
    assert_error(refused, 405)
    assert refused["Allow"] == "GET, HEAD"
    assert_error(client.delete(f"{BASE}/requests.json"), 405)


# --- reading requests -----------------------------------------------------------------------------------------------


def test_requests_list_public_reports_with_their_public_fields(cworld: Any, sale_client: Any) -> None:
    report = file_report(cworld)
    with tenancy.unscoped():
        services.complaint_transition(complaint=report, name="resolve", actor=cworld.hygiene_agent,
                                      text="Collecte faite ce matin.", internal_note="Note interne de Rachid")
    open_one = file_report(cworld, "voirie-nid-de-poule", description="Trou devant le n° 5.")
    response = get(sale_client, "requests.json", locale="fr")
    assert response.status_code == 200
    items = {item["service_request_id"]: item for item in body(response)}
    assert set(items) == {report.reference, open_one.reference}
    done, pending = items[report.reference], items[open_one.reference]
    assert done["status"] == "closed" and done["status_notes"] == "Collecte faite ce matin."
    assert done["expected_datetime"] is None and done["service_notice"] is None
    assert done["service_name"] == "Déchets non collectés" and done["service_code"] == "dechets-non-collectes"
    assert done["agency_responsible"] == "Hygiène et propreté"
    assert pending["status"] == "open" and pending["status_notes"] is None
    assert pending["description"] == "Trou devant le n° 5."
    assert pending["agency_responsible"] == "Voirie et réseaux"
    assert pending["lat"] == cworld.sale_point[0] and pending["long"] == cworld.sale_point[1]
    assert pending["expected_datetime"] == f"{open_one.legal_due.isoformat()}T23:59:59+01:00" or \
        pending["expected_datetime"].startswith(f"{open_one.legal_due.isoformat()}T23:59:59")
    assert pending["requested_datetime"] == timezone.localtime(open_one.received_at).isoformat(timespec="seconds")
    assert pending["service_notice"] == says("fr", "The commune answers by %(date)s.",
                                             date=open_one.legal_due.isoformat())
    assert pending["media_url"] is None
    assert list(pending) == ["service_request_id", "status", "status_notes", "service_name", "service_code",
                             "description", "agency_responsible", "service_notice", "requested_datetime",
                             "updated_datetime", "expected_datetime", "address", "lat", "long", "media_url"]


def test_requests_never_show_personal_data_or_staff(cworld: Any, sale_client: Any) -> None:
    key = sale_key(cworld)
    post(sale_client, **good_report(key, cworld, first_name="Amina", last_name="Alaoui", email="amina@example.ma",
                                    phone="0612345679"))
    report = file_report(cworld)
    with tenancy.unscoped():
        services.complaint_transition(complaint=report, name="acknowledge", actor=cworld.hygiene_agent,
                                      internal_note="Vu par Rachid")
    for fmt in ("json", "xml"):
        listing = get(sale_client, f"requests.{fmt}").content.decode()
        single = get(sale_client, f"requests/{report.reference}.{fmt}").content.decode()
        for text in (listing, single):
            for secret in ("Amina", "Alaoui", "amina@example.ma", "612345679", "Fatima", "Bennani",
                           "+212612345678", "Rachid", "Hygiène@", "hygiene@sale", "Vu par", "token"):
                assert secret not in text, (secret, fmt)
    assert len(body(get(sale_client, "requests.json"))) == 2


def test_grievances_other_communes_and_hidden_reports_are_never_listed(cworld: Any, sale_client: Any,
                                                                       temara_client: Any) -> None:
    grievance = file_grievance(cworld)
    hidden = file_report(cworld, "bruit")
    with tenancy.unscoped():
        Complaint.all_communes.filter(pk=hidden.pk).update(is_public=False)
    sale_report = file_report(cworld)
    temara_report = file_report(cworld, "bruit", commune="temara")
    sale_ids = [i["service_request_id"] for i in body(get(sale_client, "requests.json"))]
    temara_ids = [i["service_request_id"] for i in body(get(temara_client, "requests.json"))]
    assert sale_ids == [sale_report.reference]
    assert temara_ids == [temara_report.reference]
    for reference in (grievance.reference, hidden.reference, temara_report.reference):
        assert_error(get(sale_client, f"requests/{reference}.json"), 404)
        assert body(get(sale_client, "requests.json", service_request_id=reference)) == []
    assert_error(get(temara_client, f"requests/{sale_report.reference}.xml"), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_one_request_by_its_id(cworld: Any, sale_client: Any, fmt: str) -> None:
    report = file_report(cworld)
    response = get(sale_client, f"requests/{report.reference.lower()}.{fmt}")
    assert response.status_code == 200
    data = body(response)
    if fmt == "json":
        assert [i["service_request_id"] for i in data] == [report.reference]
    else:
        assert data.tag == "service_requests"
        (item,) = data.findall("request")
        assert item.findtext("service_request_id") == report.reference
        assert item.findtext("status") == "open"
        assert item.findtext("lat") == str(cworld.sale_point[0])
        assert item.findtext("long") == str(cworld.sale_point[1])
        status_notes = item.find("status_notes")
        assert status_notes is not None and not status_notes.text
    assert_error(get(sale_client, f"requests/SAL-2020-999999.{fmt}"), 404, "SAL-2020-999999")


def test_a_merged_report_asked_by_id_points_to_the_one_that_goes_on(cworld: Any, sale_client: Any) -> None:
    kept = file_report(cworld)
    duplicate = file_report(cworld, citizen=cworld.w.citizen_temara)
    with tenancy.unscoped():
        services.complaint_merge(duplicate=duplicate, into=kept, actor=cworld.hygiene_agent)
    (item,) = body(get(sale_client, f"requests/{duplicate.reference}.json", locale="fr"))
    assert item["status"] == "closed"
    assert item["status_notes"] == says(
        "fr", "This complaint reports the same problem as %(reference)s; it is followed there.",
        reference=kept.reference)
    assert [i["service_request_id"] for i in body(get(sale_client, "requests.json"))] == [kept.reference]


def test_requests_are_filtered_by_ids_code_status_and_dates(cworld: Any, sale_client: Any) -> None:
    now = timezone.now()
    trash = file_report(cworld)
    pothole = file_report(cworld, "voirie-nid-de-poule")
    old = file_report(cworld, "bruit", now=now - timedelta(days=120))
    with tenancy.unscoped():
        services.complaint_transition(complaint=trash, name="reject", actor=cworld.hygiene_agent,
                                      text="Hors compétence.")

    def ids(**params: Any) -> set[str]:
        response = get(sale_client, "requests.json", **params)
        assert response.status_code == 200, response.content
        return {i["service_request_id"] for i in body(response)}

    assert ids() == {trash.reference, pothole.reference}  # the last 90 days
    assert ids(status="open") == {pothole.reference}
    assert ids(status="closed") == {trash.reference}
    assert ids(status="open,closed") == {trash.reference, pothole.reference}
    assert ids(service_code="voirie-nid-de-poule,bruit") == {pothole.reference}
    old_day = (now - timedelta(days=120)).astimezone(timezone.get_current_timezone())
    start = (old_day - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (old_day + timedelta(days=1)).isoformat(timespec="seconds")
    assert ids(start_date=start, end_date=end) == {old.reference}
    assert ids(start_date=start) == {old.reference}  # 90 days from the start
    assert ids(end_date=end) == {old.reference}  # 90 days up to the end
    assert ids(start_date=(now - timedelta(days=1)).date().isoformat()) == {trash.reference, pothole.reference}
    # Ids override every other filter (even the 90 days).
    assert ids(service_request_id=f"{old.reference}, {pothole.reference},nope", status="closed",
               service_code="eau") == {old.reference, pothole.reference}


@pytest.mark.parametrize("params, fragment", [
    ({"status": "pending"}, "status"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-45T99:00:00Z"}, "end_date"),
    ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
    ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "90"),
    ({"end_date": "0001-01-01T00:00:00+01:00"}, "1900"),
    ({"start_date": "9999-12-31"}, "2999"),
    ({"start_date": "2026-02-30"}, "start_date"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_filters_are_400(cworld: Any, sale_client: Any, params: dict[str, str], fragment: str, fmt: str) -> None:
    assert_error(get(sale_client, f"requests.{fmt}", **params), 400, fragment)


def test_the_list_costs_the_same_queries_for_one_or_many_reports(cworld: Any, sale_client: Any) -> None:
    file_report(cworld)
    with CaptureQueriesContext(connection) as one:
        assert len(body(get(sale_client, "requests.json"))) == 1
    for _i in range(4):
        file_report(cworld, "voirie-nid-de-poule")
    with CaptureQueriesContext(connection) as five:
        assert len(body(get(sale_client, "requests.json"))) == 5
    assert len(five.captured_queries) <= 2 * len(one.captured_queries)
    with CaptureQueriesContext(connection) as again:
        get(sale_client, "requests.json")
    assert len(again.captured_queries) == len(one.captured_queries)


def test_a_public_photo_is_linked_by_its_public_address(cworld: Any, sale_client: Any) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    report = file_report(cworld, photos=[SimpleUploadedFile("p.png", buffer.getvalue(), "image/png")])
    with tenancy.unscoped():
        photo = report.photos.get()
    (item,) = body(get(sale_client, "requests.json", locale="fr"))
    assert item["media_url"] == (f"http://sale.localhost/complaints/{report.reference}/photos/"
                                 f"{photo.attachment.token}/")
    image = sale_client.get(item["media_url"].removeprefix("http://sale.localhost"))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    root = body(get(sale_client, f"requests/{report.reference}.xml"))
    assert root.findtext("request/media_url") == item["media_url"]
    # Staff hid the photo (a face, a plate): no link any more.
    with tenancy.unscoped():
        type(photo).all_communes.filter(pk=photo.pk).update(is_public=False)
    assert body(get(sale_client, "requests.json"))[0]["media_url"] is None


# --- tokens ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_maps_to_its_request(cworld: Any, sale_client: Any, temara_client: Any, fmt: str) -> None:
    (filed,) = body(post(sale_client, **good_report(sale_key(cworld), cworld)))
    response = get(sale_client, f"tokens/{filed['token']}.{fmt}")
    assert response.status_code == 200
    data = body(response)
    if fmt == "json":
        assert data == [{"service_request_id": filed["service_request_id"], "token": filed["token"]}]
    else:
        item = data.find("request")
        assert data.tag == "service_requests" and item is not None
        assert item.findtext("service_request_id") == filed["service_request_id"]
        assert item.findtext("token") == filed["token"]
    assert_error(get(sale_client, f"tokens/0000000000000000.{fmt}"), 404)
    assert_error(get(temara_client, f"tokens/{filed['token']}.{fmt}"), 404)


# --- addresses, hosts, languages ------------------------------------------------------------------------------------


def test_the_platform_host_serves_no_commune(cworld: Any, platform_client: Any) -> None:
    for path in ("discovery.json", "services.xml", "requests.json", "tokens/abc.json"):
        assert_error(get(platform_client, path), 404)
    assert_error(host_client("rabat.localhost").post(f"{BASE}/requests.json", {"api_key": "x"}), 404)


def test_unknown_resources_and_formats_are_404_in_the_spec_format(cworld: Any, sale_client: Any) -> None:
    for path in ("services.csv", "requests", "", "nope.xml", "services/eau.html", "requests/x/y.json"):
        response = sale_client.get(f"{BASE}/{path}")
        assert_error(response, 404)
    assert sale_client.get(f"{BASE}/nope.xml")["Content-Type"].startswith("text/xml")
    assert_error(sale_client.post(f"{BASE}/nope.json", {}), 404)


def test_a_language_cookie_does_not_send_the_api_to_a_page_address(cworld: Any, sale_client: Any) -> None:
    from django.conf import settings

    sale_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = get(sale_client, "services.json")
    assert response.status_code == 200
    assert next(s for s in body(response) if s["service_code"] == "eau")["service_name"] == "تسرب الماء"


def test_any_origin_may_read_the_api_and_the_answer_names_its_language(cworld: Any, sale_client: Any) -> None:
    response = get(sale_client, "services.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Accept-Language" in response["Vary"]
    assert response["Content-Language"] == "ar"
    assert get(sale_client, "services.json", locale="fr")["Content-Language"] == "fr"
    assert get(sale_client, "nope.json", headers={"Accept-Language": "zgh"})["Content-Language"] == "zgh"


def test_text_that_xml_cannot_carry_is_dropped_and_arabic_stays_readable(cworld: Any, sale_client: Any) -> None:
    file_report(cworld, description="حفرة\x0b كبيرة\x01")
    root = body(get(sale_client, "requests.xml"))
    assert root.findtext("request/description") == "حفرة كبيرة"
    assert "حفرة".encode() in get(sale_client, "requests.json").content


def test_a_state_label_never_leaks_into_the_status(cworld: Any, sale_client: Any) -> None:
    report = file_report(cworld)
    with tenancy.unscoped():
        services.complaint_transition(complaint=report, name="start", actor=cworld.hygiene_agent)
        assert Complaint.all_communes.get(pk=report.pk).state == ComplaintState.IN_PROGRESS
    assert body(get(sale_client, "requests.json"))[0]["status"] == "open"
