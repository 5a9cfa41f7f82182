"""Helpers of the filing pages' tests (test_filing_*.py): page paths in a language, texts as the page shows them,
the form's hidden values, a phone photo with its GPS position in EXIF, and the posts a citizen's browser makes."""

from __future__ import annotations

import html as htmllib
import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from jamaa.complaints.models import Complaint, ContactCheck
from jamaa.core import tenancy


def url(name: str, language: str = "ar", **kwargs: Any) -> str:
    """A page's path in a language (Arabic pages are unprefixed)."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def text_of(response: Any) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    page = re.sub(r"</?(?:bdi|a|strong|em|b|i|span|time|code)\b[^>]*>", "", page)  # inline: no space added
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def page_language(response: Any) -> str:
    match = re.search(r'<html lang="([\w-]+)"', response.content.decode())
    return match.group(1) if match else "ar"


def tr(msgid: str, language: str = "ar", **params: Any) -> str:
    with translation.override(language):
        text = gettext(msgid)
    return " ".join((text % params if params else text).split())


def says(response: Any, msgid: str, language: str | None = None, **params: Any) -> bool:
    """Whether the page (or fragment) shows `msgid` in its own language (<html lang>, else the one given, else
    Arabic); markup inside the message (<bdi>, links) is compared as text."""
    expected = htmllib.unescape(re.sub(r"<[^>]+>", "", tr(msgid, language or page_language(response), **params)))
    return " ".join(expected.split()) in text_of(response)


def hidden(response: Any, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match, f"the page carries {name}"
    return match.group(1)


def photo_with_gps(name: str = "street.jpg", size: tuple[int, int] = (64, 48)) -> SimpleUploadedFile:
    """A JPEG as a phone takes it: with EXIF (camera, and the GPS position of where it was taken)."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (34.0, 2.0, 24.0)
    gps[3] = "W"
    gps[4] = (6.0, 51.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(0x8825), "the test photo carries a GPS position"
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def not_a_photo(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
                              content_type="image/jpeg")


def complaints(**filters: Any) -> list[Complaint]:
    with tenancy.unscoped():
        return list(Complaint.all_communes.select_related("case", "category").filter(**filters).order_by("id"))


def checks(**filters: Any) -> list[ContactCheck]:
    with tenancy.unscoped():
        return list(ContactCheck.all_communes.filter(**filters).order_by("id"))


def open_form(client: Any, kind: str = "report", language: str = "ar", **query: Any) -> tuple[Any, str]:
    path = url("complaints:new", language, kind=kind)
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    response = client.get(path)
    assert response.status_code == 200
    return response, hidden(response, "submission_key")


def report_data(cworld: Any, key: str, category_code: str = "dechets-non-collectes",
                point: tuple[float, float] | None = None, **extra: Any) -> dict[str, Any]:
    """What the report form posts once the pin is set (questions seen, no nearby report to confirm)."""
    category = cworld.category(category_code)
    lat, lon = point or cworld.sale_point
    return {
        "submission_key": key, "description": "Les ordures ne sont pas ramassées depuis une semaine.",
        "category": str(category.pk), "questions_for": str(category.pk), "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
        "location_source": "pin", "address": "", "action": "submit", **extra,
    }


def grievance_data(cworld: Any, key: str, category_code: str = "administration-delai", **extra: Any
                   ) -> dict[str, Any]:
    category = cworld.category(category_code)
    return {
        "submission_key": key, "description": "Ma demande de certificat attend depuis trois mois.",
        "category": str(category.pk), "questions_for": str(category.pk), "action": "submit", **extra,
    }


def sms_code(recipient: str) -> str:
    """The code in the last SMS sent to `recipient`."""
    from jamaa.notifications.models import OutboundMessage

    message = OutboundMessage.objects.filter(recipient=recipient).order_by("-id").first()
    assert message is not None, f"a message was sent to {recipient}"
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, "the message carries a 6-digit code"
    return match.group(1)
