"""Open311 through the wire, as other people's software sees it.

- `georeport` (PyPI, a GeoReport v2 client written against real city endpoints: Boston, Chicago…) reads our services,
  service definitions and requests over HTTP from the live server, in JSON and in XML (parsed with xmltodict). It does
  not file requests, so the POST is made as the spec describes it: form-encoded fields with `requests`.
- Every JSON document is checked against a JSON Schema written from the GeoReport v2 text (field names, types, the
  W3C date format with its offset, the error list), and every XML document against the spec's element names.

The live server listens on localhost; `*.localhost` names are resolved to the loopback address as browsers do
(RFC 6761), so the Host header is the commune's.
"""

from __future__ import annotations

import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
import requests
from django.core.cache import cache
from georeport import GeoReport

from jamaa.complaints.models import Complaint
from jamaa.complaints.open311_keys import open311_key_issue
from jamaa.core import tenancy

W3C = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
NULLABLE_TEXT = {"type": ["string", "null"]}

SERVICES_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "additionalProperties": False,
        "properties": {
            "service_code": {"type": "string", "minLength": 1},
            "service_name": {"type": "string", "minLength": 1},
            "description": NULLABLE_TEXT,
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": NULLABLE_TEXT,
            "group": NULLABLE_TEXT,
        },
    },
}

DEFINITION_SCHEMA = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "additionalProperties": False,
    "properties": {
        "service_code": {"type": "string"},
        "attributes": {"type": "array", "items": {
            "type": "object",
            "required": ["variable", "code", "datatype", "required", "datatype_description", "order", "description"],
            "additionalProperties": False,
            "properties": {
                "variable": {"type": "boolean"},
                "code": {"type": "string", "minLength": 1},
                "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
                "required": {"type": "boolean"},
                "datatype_description": NULLABLE_TEXT,
                "order": {"type": "integer", "minimum": 1},
                "description": {"type": "string"},
                "values": {"type": "array", "items": {
                    "type": "object", "required": ["key", "name"], "additionalProperties": False,
                    "properties": {"key": {"type": ["string", "number"]}, "name": {"type": "string"}}}},
            },
        }},
    },
}

REQUESTS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "status", "service_name", "service_code", "requested_datetime"],
        "additionalProperties": False,
        "properties": {
            "service_request_id": {"type": "string", "minLength": 1},
            "status": {"enum": ["open", "closed"]},
            "status_notes": NULLABLE_TEXT,
            "service_name": {"type": "string"},
            "service_code": {"type": "string"},
            "description": NULLABLE_TEXT,
            "agency_responsible": NULLABLE_TEXT,
            "service_notice": NULLABLE_TEXT,
            "requested_datetime": {"type": "string", "pattern": W3C},
            "updated_datetime": {"type": ["string", "null"], "pattern": W3C},
            "expected_datetime": {"type": ["string", "null"], "pattern": W3C},
            "address": NULLABLE_TEXT,
            "address_id": NULLABLE_TEXT,
            "zipcode": NULLABLE_TEXT,
            "lat": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
            "long": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
            "media_url": {"type": ["string", "null"], "pattern": "^https?://"},
        },
    },
}

CREATED_SCHEMA = {
    "type": "array", "minItems": 1, "maxItems": 1,
    "items": {
        "type": "object",
        "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
        "required": ["service_notice", "account_id"],
        "additionalProperties": False,
        "properties": {"service_request_id": {"type": "string"}, "token": NULLABLE_TEXT,
                       "service_notice": NULLABLE_TEXT, "account_id": NULLABLE_TEXT},
    },
}

TOKEN_SCHEMA = {
    "type": "array",
    "items": {"type": "object", "required": ["service_request_id", "token"], "additionalProperties": False,
              "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}}},
}

ERRORS_SCHEMA = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "required": ["code", "description"], "additionalProperties": False,
              "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}}},
}

DISCOVERY_SCHEMA = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "properties": {
        "changeset": {"type": "string", "pattern": W3C},
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["specification", "url", "changeset", "type", "formats"],
            "properties": {"specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
                           "url": {"type": "string", "pattern": "^https?://"},
                           "changeset": {"type": "string", "pattern": W3C},
                           "type": {"enum": ["production", "test"]},
                           "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}}}}},
    },
}

# The spec's XML: the root, the element of each item, and the names an item's children may have.
XML_SHAPES: dict[str, tuple[str, set[str]]] = {
    "services": ("service", set(SERVICES_SCHEMA["items"]["properties"])),  # type: ignore[index]
    "service_requests": ("request", set(REQUESTS_SCHEMA["items"]["properties"])  # type: ignore[index]
                         | set(CREATED_SCHEMA["items"]["properties"])),  # type: ignore[index]
    "errors": ("error", {"code", "description"}),
}


def conforms(schema: dict[str, Any], document: Any) -> None:
    problems = [f"{e.instance_path}: {e.message}" for e in jsonschema_rs.validator_for(schema).iter_errors(document)]
    assert not problems, problems


def xml_conforms(content: bytes) -> ET.Element:
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(content)
    if root.tag in XML_SHAPES:
        item_name, fields = XML_SHAPES[root.tag]
        for item in root:
            assert item.tag == item_name
            assert {child.tag for child in item} <= fields, {child.tag for child in item} - fields
            assert all(len(child) == 0 for child in item)  # flat records
    return root


@pytest.fixture
def root(live_server: Any, cworld: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "localhost"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    cache.clear()
    port = live_server.url.rsplit(":", 1)[1]
    yield f"http://sale.localhost:{port}/open311/v2"
    cache.clear()


@pytest.fixture
def api_key(cworld: Any) -> str:
    return open311_key_issue(commune=cworld.w.sale, name="Field app", actor=cworld.w.admin_sale)[1]


def file(root: str, api_key: str, cworld: Any, fmt: str = "json", **extra: Any) -> requests.Response:
    lat, lon = cworld.sale_point
    headers = extra.pop("headers", None) or {}
    data = {"api_key": api_key, "service_code": "voirie-nid-de-poule", "lat": lat, "long": lon,
            "description": "Nid-de-poule dangereux au rond-point.", "attribute[size]": "medium",
            "attribute[danger]": "no", "first_name": "Hind", "last_name": "Berrada", "email": "hind@example.ma",
            **extra}
    return requests.post(f"{root}/requests.{fmt}", data=data, timeout=30, headers=headers)


def test_a_georeport_client_reads_services_and_definitions_in_json_and_xml(root: str) -> None:
    as_json = GeoReport(root).get_service_list()
    conforms(SERVICES_SCHEMA, as_json)
    as_xml = GeoReport(root, output_format="xml").get_service_list()
    assert [s["service_code"] for s in as_xml] == [s["service_code"] for s in as_json]
    pothole = next(s for s in as_xml if s["service_code"] == "voirie-nid-de-poule")
    assert pothole["metadata"] == "true" and pothole["service_name"] == "حفرة في الطريق"
    xml_conforms(requests.get(f"{root}/services.xml", timeout=30).content)

    definition = GeoReport(root).get_service_definition("voirie-nid-de-poule")
    conforms(DEFINITION_SCHEMA, definition)
    assert [a["code"] for a in definition["attributes"]] == ["size", "danger"]
    definition_xml = GeoReport(root, output_format="xml").get_service_definition("voirie-nid-de-poule")
    size = definition_xml["attributes"]["attribute"][0]
    assert size["code"] == "size" and size["datatype"] == "singlevaluelist"
    assert [v["key"] for v in size["values"]["value"]] == ["small", "medium", "large"]


def test_a_request_filed_as_the_spec_says_is_then_read_by_the_client(root: str, api_key: str, cworld: Any) -> None:
    created = file(root, api_key, cworld)
    assert created.status_code == 200, created.text
    conforms(CREATED_SCHEMA, created.json())
    reference = created.json()[0]["service_request_id"]
    token = created.json()[0]["token"]

    as_xml = file(root, api_key, cworld, "xml", description="Un deuxième trou.")
    assert as_xml.headers["Content-Type"] == "text/xml; charset=utf-8"
    second = xml_conforms(as_xml.content).find("request")
    assert second is not None and second.findtext("service_request_id", "").startswith("SAL-")

    client = GeoReport(root)
    one = client.get_service_request(reference)
    conforms(REQUESTS_SCHEMA, [one])
    assert one["status"] == "open" and one["service_code"] == "voirie-nid-de-poule"
    assert one["description"] == "Nid-de-poule dangereux au rond-point."
    listed = client.get_service_requests(service_code="voirie-nid-de-poule", status="open")
    conforms(REQUESTS_SCHEMA, listed)
    assert {r["service_request_id"] for r in listed} == {reference, second.findtext("service_request_id")}
    one_xml = GeoReport(root, output_format="xml").get_service_request(reference)
    assert one_xml["service_request_id"] == reference and one_xml["status"] == "open"
    for text in (requests.get(f"{root}/requests.json", timeout=30).text,
                 requests.get(f"{root}/requests.xml", timeout=30).text):
        assert "Hind" not in text and "Berrada" not in text and "hind@example.ma" not in text
    xml_conforms(requests.get(f"{root}/requests.xml", timeout=30).content)

    mapped = requests.get(f"{root}/tokens/{token}.json", timeout=30)
    conforms(TOKEN_SCHEMA, mapped.json())
    assert mapped.json()[0]["service_request_id"] == reference


def test_discovery_and_errors_follow_the_spec_over_http(root: str, api_key: str, cworld: Any) -> None:
    discovery = requests.get(f"{root}/discovery.json", timeout=30)
    conforms(DISCOVERY_SCHEMA, discovery.json())
    assert discovery.json()["endpoints"][0]["url"] == root
    cases = [
        (requests.get(f"{root}/services/nope.json", timeout=30), 404),
        (requests.get(f"{root}/requests/SAL-1999-000001.json", timeout=30), 404),
        (requests.get(f"{root}/requests.json", params={"status": "maybe"}, timeout=30), 400),
        (file(root, "wrong-key", cworld), 403),
        (file(root, api_key, cworld, description=""), 400),
        (file(root, api_key, cworld, jurisdiction_id="temara"), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        conforms(ERRORS_SCHEMA, response.json())
        assert all(e["code"] == status for e in response.json())
    xml_error = requests.get(f"{root}/services/nope.xml", timeout=30)
    assert xml_error.status_code == 404
    errors = xml_conforms(xml_error.content)
    assert errors.tag == "errors" and errors.findtext("error/code") == "404"
    with pytest.raises(requests.HTTPError):
        GeoReport(root, jurisdiction="temara").get_service_list()
    assert GeoReport(root, jurisdiction="sale").get_service_list()


def test_the_same_idempotency_key_sent_twice_at_once_files_one_request(root: str, api_key: str,
                                                                       cworld: Any) -> None:
    answers: list[requests.Response] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        answers.append(file(root, api_key, cworld, headers={"Idempotency-Key": "tap-tap"}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    with tenancy.unscoped():
        assert Complaint.all_communes.count() == 1
