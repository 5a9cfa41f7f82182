"""The design system: the stylesheet's rules, the components' markup, the brand colour's contrast, light pages."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.base import Message
from django.template import engines
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from django.utils import timezone, translation

from jamaa.core.templatetags.jamaa import (
    DEFAULT_BRAND,
    LIGHT_SURFACES,
    badge_tone,
    contrast_ratio,
    hex_colour,
    readable_brand,
)

STYLESHEET = Path(settings.BASE_DIR) / "jamaa" / "core" / "static" / "jamaa" / "jamaa.css"
TEMPLATES = Path(settings.BASE_DIR) / "jamaa" / "core" / "templates"


def css_declarations() -> list[tuple[str, str]]:
    """(property, value) of every declaration inside a rule block, comments removed."""
    text = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(encoding="utf-8"), flags=re.S)
    declarations = []
    for block in re.findall(r"\{([^{}]*)\}", text):
        for declaration in block.split(";"):
            if ":" in declaration:
                prop, value = declaration.split(":", 1)
                declarations.append((prop.strip().lower(), value.strip().lower()))
    return declarations


def render(template: str, context: dict[str, Any], query: str = "") -> str:
    request = RequestFactory().get(f"/list/{query}")
    return engines["django"].from_string(template).render(context, request)


# --- the stylesheet ----------------------------------------------------------------------------------------------

PHYSICAL = re.compile(
    r"^(?:margin|padding|border|scroll-margin|scroll-padding)-(?:left|right|top|bottom)(?:-|$)"
    r"|^(?:left|right|top|bottom)$"
    r"|^(?:min-|max-)?(?:width|height)$"
    r"|^border-(?:top|bottom)-(?:left|right)-radius$"
)


def test_the_stylesheet_uses_logical_properties_only() -> None:
    offending = [f"{prop}: {value}" for prop, value in css_declarations() if PHYSICAL.match(prop)]
    offending += [f"{prop}: {value}" for prop, value in css_declarations()
                  if prop in ("float", "clear", "text-align") and value in ("left", "right")]
    # A four-value margin/padding shorthand names left and right separately: asymmetric ones break in RTL.
    for prop, value in css_declarations():
        parts = value.split()
        if prop in ("margin", "padding", "inset", "border-width", "border-radius") and len(parts) == 4 \
                and parts[1] != parts[3]:
            offending.append(f"{prop}: {value}")
    assert offending == []


def test_the_stylesheet_is_mobile_first_and_loads_no_web_font() -> None:
    text = STYLESHEET.read_text(encoding="utf-8")
    assert "@font-face" not in text
    assert "url(" not in text
    assert "@import" not in text
    assert re.findall(r"@media\s*\((max-width)", text) == [], "mobile-first: widen with min-width queries only"


def test_tamazight_text_is_set_in_a_font_that_has_tifinagh() -> None:
    text = STYLESHEET.read_text(encoding="utf-8")
    stack = re.search(r"--font-tifinagh:([^;]+);", text)
    assert stack is not None
    assert stack.group(1).strip().startswith('"Noto Sans Tifinagh"')
    assert "Ebrima" in stack.group(1)  # the Windows font that has Tifinagh
    assert re.search(r'\[lang="zgh"\]\s*\{\s*font-family:\s*var\(--font-tifinagh\)', text)


def test_focus_is_always_visible() -> None:
    text = STYLESHEET.read_text(encoding="utf-8")
    rule = re.search(r"^:focus-visible\s*\{([^}]*)\}", text, flags=re.M)
    assert rule is not None
    assert "outline: 3px solid" in rule.group(1)
    assert "outline: none" not in text and "outline: 0" not in text


# --- the commune's colour ----------------------------------------------------------------------------------------


def test_the_default_brand_colour_is_readable_as_it_is() -> None:
    assert readable_brand(DEFAULT_BRAND) == DEFAULT_BRAND
    assert contrast_ratio(DEFAULT_BRAND, "#ffffff") >= 4.5


@pytest.mark.parametrize("light", ["#ffeb3b", "#8fd694", "#87ceeb", "#ff9f1c", "#ffffff", "#c0c0c0"])
def test_a_too_light_brand_colour_is_darkened_until_white_text_and_links_are_readable(light: str) -> None:
    brand = readable_brand(light)

    assert brand != light
    for surface in LIGHT_SURFACES:
        assert contrast_ratio(brand, surface) >= 4.5, (brand, surface)
    assert contrast_ratio(brand, "#ffffff") < 5.5, "darkened more than needed: the commune's colour is lost"


def test_darkening_keeps_the_communes_hue() -> None:
    r, g, b = (int(readable_brand("#ffeb3b")[i:i + 2], 16) for i in (1, 3, 5))
    assert r > g > b  # still a yellow-brown, not a grey


@pytest.mark.parametrize("value", ["", None, "red", "#fff", "#12345g", "#123456;}body{display:none"])
def test_anything_but_a_hex_colour_gives_the_default(value: Any) -> None:
    assert readable_brand(value) == DEFAULT_BRAND
    assert hex_colour(value) == "#b8860b"


@pytest.mark.django_db
def test_a_commune_with_a_pale_colour_gets_a_readable_header(world: Any, sale_client: Any) -> None:
    from jamaa.core.models import Commune

    Commune.objects.filter(pk=world.sale.pk).update(primary_colour="#FFEB3B", accent_colour="red}*{x")

    body = sale_client.get("/").content.decode()

    brand = re.search(r"--brand:(#[0-9a-f]{6})", body)
    assert brand is not None
    assert contrast_ratio(brand.group(1), "#ffffff") >= 4.5
    assert "red}*{x" not in body
    assert "--accent:#b8860b" in body


# --- components --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "tone"), [
    ("sent", "success"), ("active", "success"), ("failed", "danger"), ("overdue", "danger"),
    ("queued", "warning"), ("pending", "warning"), ("invited", "info"), ("in_progress", "info"),
    ("In progress", "info"), ("deactivated", "neutral"), ("something-else", "neutral"), (None, "neutral"),
])
def test_a_status_gets_the_badge_colour_of_its_meaning(status: Any, tone: str) -> None:
    assert badge_tone(status) == tone


def test_a_badge_shows_the_status_in_words_with_its_colour() -> None:
    html = render('{% include "components/badge.html" with status="failed" label="Échec" %}', {})
    assert html.strip() == '<span class="badge badge--danger">Échec</span>'
    forced = render('{% include "components/badge.html" with label="En retard" tone="warning" %}', {})
    assert 'class="badge badge--warning">En retard<' in forced


def test_older_and_newer_links_keep_the_filters_and_move_the_cursor() -> None:
    html = render('{% include "components/pagination.html" with older=40 newer=61 label="Pages of the log" %}', {},
                  query="?action=login&before=62")

    assert '<nav class="pagination" aria-label="Pages of the log">' in html
    assert 'href="?action=login&amp;before=40" rel="next"' in html
    assert 'href="?action=login&amp;after=61" rel="prev"' in html


def test_a_list_paged_backwards_links_back_to_its_newest_page() -> None:
    html = render('{% include "components/pagination.html" with newest=True %}', {}, query="?q=x&before=9")

    assert 'href="?q=x"' in html
    assert "rel=\"next\"" not in html


def test_a_list_that_fits_on_one_page_has_no_pagination() -> None:
    assert render('{% include "components/pagination.html" with older=None newer="" %}', {}).strip() == ""


def test_the_timeline_shows_times_in_moroccan_time() -> None:
    events = [
        {"time": datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC), "title": "Request received",
         "text": "Reference SAL-2026-000123\nwith two documents"},
        {"time": datetime.datetime(2026, 1, 16, 8, 30, tzinfo=datetime.UTC), "title": "Assigned"},
    ]
    with timezone.override("UTC"), translation.override("fr"):
        html = render('{% include "components/timeline.html" with events=events label="History" %}',
                      {"events": events})

    assert '<ol class="timeline" aria-label="History">' in html
    assert 'datetime="2026-01-15T13:00:00+01:00"' in html  # Africa/Casablanca is UTC+1 outside Ramadan
    assert "13:00" in html
    assert "Reference SAL-2026-000123<br>with two documents" in html
    assert html.count('class="timeline__item"') == 2


def test_an_empty_timeline_says_so() -> None:
    html = render('{% include "components/timeline.html" with events=None empty_text="No event yet" %}', {})
    assert "No event yet" in html
    assert "<ol" not in html


def test_an_empty_state_states_what_is_missing_and_offers_the_action() -> None:
    html = render('{% include "components/empty.html" with title="No request yet" text="They will be listed here." '
                  'action_url="/new/" action_label="Make a request" %}', {})
    assert '<h2 class="empty-state__title">No request yet</h2>' in html
    assert "<p>They will be listed here.</p>" in html
    assert '<a class="button" href="/new/">Make a request</a>' in html
    bare = render('{% include "components/empty.html" with title="Nothing" level=3 %}', {})
    assert "<h3" in bare and "<a" not in bare


class SampleForm(forms.Form):
    phone = forms.CharField(label="Mobile number", help_text="A Moroccan number.")
    accept = forms.BooleanField(label="I accept")
    channel = forms.ChoiceField(label="Channel", choices=[("sms", "SMS"), ("email", "E-mail")],
                                widget=forms.RadioSelect)


def test_a_field_in_error_keeps_the_typed_value_and_links_its_message() -> None:
    form = SampleForm({"phone": "06 12", "channel": "pigeon"})
    form.add_error("phone", "This is not a Moroccan mobile number.")
    html = render('{% include "components/field.html" with field=form.phone %}', {"form": form})

    assert 'value="06 12"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in html
    assert 'id="id_phone_error"' in html and 'id="id_phone_helptext"' in html
    assert "This is not a Moroccan mobile number." in html


def test_a_group_of_choices_is_a_fieldset_with_a_legend() -> None:
    form = SampleForm({"channel": "pigeon"})
    form.is_valid()
    html = render('{% include "components/field.html" with field=form.channel %}', {"form": form})

    assert "<fieldset" in html and "<legend>Channel</legend>" in html
    assert 'aria-describedby="id_channel_error"' in html
    checkbox = render('{% include "components/field.html" with field=form.accept %}', {"form": form})
    assert 'class="field field--error field--checkbox"' in checkbox
    assert '<label for="id_accept"><input' in checkbox


def test_flash_errors_are_announced_at_once_and_others_politely() -> None:
    html = render_to_string("components/messages.html", {"messages": [
        Message(message_levels.ERROR, "The code is wrong."), Message(message_levels.SUCCESS, "Saved."),
    ]})
    assert '<p class="flash flash--error" role="alert">The code is wrong.</p>' in html
    assert '<p class="flash flash--success" role="status">Saved.</p>' in html


def test_every_component_documents_its_use_at_the_top() -> None:
    for path in sorted((TEMPLATES / "components").glob("*.html")):
        head = path.read_text(encoding="utf-8")[:400]
        assert "{% comment %}" in head and "Usage" in head, path.name


# --- light pages -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_citizen_pages_do_not_load_htmx_unless_they_use_it(world: Any, sale_client: Any) -> None:
    for path in ("/", "/accounts/signup/", "/accounts/login/", "/fr/", "/zgh/"):
        body = sale_client.get(path).content.decode()
        assert "htmx.min.js" not in body, path


def test_a_page_that_declares_htmx_gets_it_with_the_csp_nonce() -> None:
    request = RequestFactory().get("/")
    request.commune = None  # type: ignore[attr-defined]
    request.user = AnonymousUser()
    request._csp_nonce = "n0nce"  # type: ignore[attr-defined]
    template = engines["django"].from_string(
        '{% extends "base.html" %}{% block htmx %}{% include "components/htmx.html" %}{% endblock %}'
    )
    html = template.render({}, request)

    assert re.search(r'<script src="/static/jamaa/htmx\.min\.js" defer nonce="[^"]+"></script>', html)
    assert '"includeIndicatorStyles":false' in html


def test_production_serves_compressed_static_files() -> None:
    env = {
        **os.environ, "JAMAA_ENV": "production", "DJANGO_SETTINGS_MODULE": "jamaa.settings",
        "SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEY": "ZGV2LW9ubHktaW5zZWN1cmUtZmllbGQta2V5LTMyYnk=",
        "DATABASE_URL": "sqlite:////tmp/jamaa-design-check.sqlite3", "ALLOWED_HOSTS": "sale.example.ma",
        "SMS_GATEWAY_URL": "https://sms.example.ma/send", "DEBUG": "false",
    }
    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.STORAGES['staticfiles']['BACKEND']); print(settings.MIDDLEWARE[1])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=settings.BASE_DIR).stdout.split()

    assert out == ["whitenoise.storage.CompressedManifestStaticFilesStorage",
                   "whitenoise.middleware.WhiteNoiseMiddleware"]


def test_whitenoise_answers_a_gzip_capable_browser_with_the_compressed_stylesheet(tmp_path: Path) -> None:
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.test import RequestFactory as Factory
    from whitenoise.middleware import WhiteNoiseMiddleware

    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages, WHITENOISE_USE_FINDERS=False,
                           WHITENOISE_AUTOREFRESH=False, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        assert (tmp_path / "jamaa" / "jamaa.css.gz").exists()
        middleware = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
        response = middleware(Factory().get("/static/jamaa/jamaa.css", HTTP_ACCEPT_ENCODING="gzip, deflate, br"))

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert int(response["Content-Length"]) < STYLESHEET.stat().st_size / 2
