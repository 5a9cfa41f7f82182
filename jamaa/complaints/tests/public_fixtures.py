"""Helpers of the public side's tests (test_public_*.py): reports filed through the real services, clients, and the
page's text in its own language."""

from __future__ import annotations

import html as htmllib
import io
import re
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext
from PIL import Image

from conftest import host_client, login_staff
from jamaa.complaints import services
from jamaa.complaints.models import Complaint
from jamaa.core import tenancy

DESCRIPTION = "Les ordures ne sont pas ramassées depuis une semaine devant l'école."


def url(name: str, language: str = "ar", **kwargs: Any) -> str:
    """A page's path in a language (Arabic pages are unprefixed)."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def detail_url(complaint: Complaint, language: str = "ar") -> str:
    return url("reports:detail", language, reference=complaint.reference)


def file_report(cworld: Any, code: str = "dechets-non-collectes", *, point: tuple[float, float] | None = None,
                commune: Any = None, citizen: Any = "default", description: str = DESCRIPTION,
                now: datetime | None = None, **extra: Any) -> Complaint:
    commune = commune or cworld.w.sale
    which = "sale" if commune == cworld.w.sale else "temara"
    if citizen == "default":
        citizen = cworld.w.citizen_sale if which == "sale" else cworld.w.citizen_temara
    if point is None:
        point = cworld.sale_point if which == "sale" else cworld.temara_point
    with tenancy.unscoped():
        return services.complaint_submit(
            commune=commune, category=cworld.category(code, which), description=description,
            lat=point[0], lon=point[1], citizen=citizen, anonymous=citizen is None, now=now, **extra)


def file_grievance(cworld: Any, *, citizen: Any = "default", now: datetime | None = None) -> Complaint:
    with tenancy.unscoped():
        return services.complaint_submit(
            commune=cworld.w.sale, category=cworld.category("administration-accueil"),
            description="L'agent du guichet m'a mal reçu.",
            citizen=cworld.w.citizen_sale if citizen == "default" else citizen, now=now)


def move(complaint: Complaint, name: str, actor: Any, text: str = "", **extra: Any) -> Complaint:
    with tenancy.unscoped():
        return services.complaint_transition(complaint=complaint, name=name, actor=actor, text=text, **extra)


def resolve(cworld: Any, complaint: Complaint, text: str = "Collecte faite ce matin.", **extra: Any) -> Complaint:
    return move(complaint, "resolve", cworld.w.admin_sale, text, **extra)


def fresh(complaint: Complaint) -> Complaint:
    with tenancy.unscoped():
        return Complaint.all_communes.select_related("case").get(pk=complaint.pk)


def citizen_client(user: Any, host: str = "sale.localhost") -> Client:
    client = host_client(host)
    client.force_login(user)
    return client


def staff_client(user: Any, host: str = "sale.localhost") -> Client:
    return login_staff(host_client(host), user)


def text_of(response: Any) -> str:
    content = response.content.decode()
    content = re.sub(r"<script\b.*?</script>", " ", content, flags=re.S)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", content)).split())


def page_language(response: Any) -> str:
    match = re.search(r'<html lang="([\w-]+)"', response.content.decode())
    return match.group(1) if match else "ar"


def says(response: Any, msgid: str, **params: Any) -> bool:
    """Whether the page shows `msgid` (with `params`) in the page's own language (its <html lang>)."""
    with translation.override(page_language(response)):
        text = gettext(msgid) % params if params else gettext(msgid)
    # Tags become spaces, as in text_of (a translation may glue a word to its <bdi>).
    return " ".join(re.sub(r"<[^>]+>", " ", text).split()) in text_of(response)


def says_plural(response: Any, singular: str, plural: str, count: int) -> bool:
    with translation.override(page_language(response)):
        text = ngettext(singular, plural, count) % {"counter": count}
    return " ".join(re.sub(r"<[^>]+>", "", text).split()) in text_of(response)


def flash(response: Any) -> str:
    """The flash messages of a followed redirect, as text."""
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def en(msgid: str, **params: Any) -> str:
    with translation.override("en"):
        text = gettext(msgid)
    return text % params if params else text


def jpeg(size: tuple[int, int] = (1200, 900), colour: str = "orange", name: str = "photo.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", quality=95)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
