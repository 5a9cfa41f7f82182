"""Open311 GeoReport v2 documents in XML and JSON, from one Python structure.

A response is built once as plain data (dicts, lists, strings, numbers, booleans, None) and written in the format the
URL asks for: JSON as is; XML under the spec's root element, each list item under its singular element name
(`<services><service>…`, `<attributes><attribute>…`, `<errors><error>…`), booleans as `true`/`false` and None as an
empty element. Both are UTF-8 (the spec requires it), JSON without escaping Arabic.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # only to write XML: nothing a client sends is parsed as XML
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The media types the discovery document lists (the spec's own spelling).
MEDIA_TYPES = ["text/xml", "application/json"]

# The element that holds each item of a list, by the list's element name.
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "errors": "error",
}

LOCAL_TIME = ZoneInfo("Africa/Casablanca")
# Characters XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF): dropped from text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def w3c_datetime(value: datetime | None) -> str | None:
    """An aware datetime as the spec's W3C/ISO 8601 text, in Moroccan local time with its offset."""
    if value is None:
        return None
    return value.astimezone(LOCAL_TIME).isoformat(timespec="seconds")


def end_of_day(day: date | None) -> str | None:
    """A date (a deadline: "by this day") as the last second of that day in Moroccan local time."""
    if day is None:
        return None
    return w3c_datetime(datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TIME))


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, (list, tuple)):
        item_name = ITEM_NAMES.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item_name), child)
    else:
        element.text = _text(value)


def to_xml(root: str, payload: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, payload)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode").encode("utf-8")


def to_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, payload: Any, *, status: int = 200) -> HttpResponse:
    """The response in `fmt` ("json" or "xml"); `root` names the XML root element (the JSON is `payload` itself)."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, payload), content_type=CONTENT_TYPES["xml"], status=status)
    return HttpResponse(to_json(payload), content_type=CONTENT_TYPES["json"], status=status)


def errors(fmt: str, status: int, descriptions: Iterable[Any]) -> HttpResponse:
    """The spec's error document: one `{code, description}` per problem, the HTTP status as the code."""
    items: Sequence[dict[str, Any]] = [{"code": status, "description": str(text)} for text in descriptions]
    return render(fmt if fmt in FORMATS else "json", "errors", list(items), status=status)
