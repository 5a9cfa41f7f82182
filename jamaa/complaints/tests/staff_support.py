"""Helpers of the back-office tests (test_staff_*.py): complaints filed through the services, logged-in staff
clients, and reading a page's text in its own language."""

from __future__ import annotations

import html as htmllib
import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from conftest import host_client, login_staff
from jamaa.complaints import services
from jamaa.complaints.models import Complaint
from jamaa.core import tenancy

BASE = "/backoffice/complaints/"


def staff(user: Any, host: str = "sale.localhost") -> Client:
    return login_staff(host_client(host), user)


def text_of(response: Any) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def language_of(response: Any) -> str:
    match = re.search(r'<html lang="([\w-]+)"', response.content.decode())
    return match.group(1) if match else "ar"


def says(response: Any, msgid: str, **params: Any) -> bool:
    """Whether the page shows `msgid` (with `params`) in the page's own language (its <html lang>)."""
    with translation.override(language_of(response)):
        text = gettext(msgid) % params if params else gettext(msgid)
    return " ".join(text.split()) in text_of(response)


def english(msgid: str, **params: Any) -> str:
    with translation.override("en"):
        return gettext(msgid) % params if params else gettext(msgid)


def png(name: str = "photo.png", colour: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def file_report(cworld: Any, code: str = "dechets-non-collectes", point: tuple[float, float] | None = None,
                **extra: Any) -> Complaint:
    """A report filed by Salé's citizen (hygiene department by default), through the filing service."""
    extra.setdefault("citizen", cworld.w.citizen_sale)
    lat, lon = point or cworld.sale_point
    with tenancy.unscoped():
        return services.complaint_submit(commune=cworld.w.sale, category=cworld.category(code),
                                         description=extra.pop("description", "Les ordures ne sont pas ramassées."),
                                         lat=lat, lon=lon, **extra)


def file_grievance(cworld: Any, code: str = "administration-delai", **extra: Any) -> Complaint:
    extra.setdefault("citizen", cworld.w.citizen_sale)
    with tenancy.unscoped():
        return services.complaint_submit(commune=cworld.w.sale, category=cworld.category(code),
                                         description=extra.pop("description", "Mon dossier attend depuis 3 mois."),
                                         **extra)


def fresh(complaint: Complaint) -> Complaint:
    with tenancy.unscoped():
        return Complaint.all_communes.select_related("case").get(pk=complaint.pk)


def url(complaint: Complaint, action: str = "") -> str:
    return f"{BASE}{complaint.case.reference}/" + (f"{action}/" if action else "")
