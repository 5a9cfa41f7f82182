"""Every string a user can see is translated: Arabic and French completely, Tamazight too, and the catalogues
are in step with the code (a new string without its translations fails here, not in front of a citizen)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "jamaa" / "locale"
LANGUAGES = ["ar", "fr", "zgh"]
# Tamazight must cover at least what every citizen meets: the navigation, the account pages and their messages.
TAMAZIGHT_REQUIRED = ("templates/base.html", "templates/components/", "templates/accounts/", "core/accounts/",
                      "core/identifiers.py", "core/django_messages.py", "notifications/verification_code",
                      "notifications/password_reset_code", "templates/core/", "templates/403.html",
                      "templates/error.html")


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def _required(language: str, entry: polib.POEntry) -> bool:
    if language != "zgh":
        return True
    return any(any(part in path for part in TAMAZIGHT_REQUIRED) for path, _line in entry.occurrences)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_of_the_catalogue_is_translated_and_none_is_fuzzy(language):
    po = _catalogue(language)
    live = [e for e in po if not e.obsolete and _required(language, e)]
    untranslated = [e.msgid for e in live if not e.translated()]
    fuzzy = [e.msgid for e in live if "fuzzy" in e.flags]
    assert live, f"the {language} catalogue is empty"
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}: {untranslated[:10]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language):
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for entry in _catalogue(language):
        if entry.obsolete or not entry.translated():
            continue
        expected = set(pattern.findall(entry.msgid))
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in translations:
            missing = {p for p in expected if p not in text}
            # A plural form may leave the number out ("one day" is "يوم واحد"); the other names must stay.
            if entry.msgid_plural:
                missing = {p for p in missing if "count" not in p and "num" not in p and p != "%d"}
            assert not missing, f"{language}: {entry.msgid!r} lost {missing}"


def test_tamazight_is_written_in_tifinagh():
    import re

    latin_word = re.compile(r"(?<![%(\w])[A-Za-z]{4,}")
    for entry in _catalogue("zgh"):
        if entry.obsolete or not entry.translated() or entry.msgid_plural:
            continue
        text = re.sub(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>|&\w+;|\S+@\S+|https?://\S+|Jamaa|CIN|SMS|TOTP|E\.164"
                      r"|FreeOTP|Aegis|Google|Microsoft|Authenticator|PDF|JPEG|PNG|JSON|API|MAD|PKCS|Bearer|Authorization"
                      r"|Open311|GeoReport|GeoJSON|Leaflet|OpenStreetMap|WGS|bbox|zoom|since|status|open|closed|token"
                      r"|\b[a-z]+(?:_[a-z]+)+\b|\b\w+\.(?:json|xml)\b|\bwest,south,east,north\b|MultiPolygon|Polygon|JavaScript"
                      # Open311 and map terms, API parameter and file names, form-definition field types.
                      r"|\b(?:text|textarea|number|choice|yesno)\b"
                      # Quoted words, glosses in brackets and tokens such as application/json or Idempotency-Key
                      # are technical names (form-definition keys, HTTP), the same in every language.
                      r"|“[^”]*”|«[^»]*»|`[^`]*`|\([^)]*\)|\S*[/-]\S*|\btrue\b|\bfalse\b|multipart", "",
                      entry.msgstr)
        assert not latin_word.search(text), f"zgh: Latin words in {entry.msgstr!r}"
        if re.search(r"[A-Za-z]{3,}", entry.msgid):
            assert re.search(r"[\u2D30-\u2D7F]", entry.msgstr), f"zgh: no Tifinagh in {entry.msgstr!r}"


def test_the_catalogues_hold_every_string_of_the_code(tmp_path, monkeypatch):
    """Extract the strings afresh from a copy of the code and compare with the committed catalogues."""
    source = Path(settings.BASE_DIR) / "jamaa"
    copy = tmp_path / "jamaa"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("locale", "static", "tests", "__pycache__",
                                                                 "migrations"))
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
        call_command("makemessages", locale=["ar"], verbosity=0, no_obsolete=True)
    fresh = polib.pofile(str(copy / "locale" / "ar" / "LC_MESSAGES" / "django.po"))
    wanted = {_key(e) for e in fresh}
    for language in LANGUAGES:
        have = {_key(e) for e in _catalogue(language) if not e.obsolete}
        missing = sorted(m for _c, m in wanted - have)
        assert not missing, f"{len(missing)} strings missing from {language} (run make messages): {missing[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_used(language):
    expected = next(e.msgstr for e in _catalogue(language) if e.msgid == "Log in" and not e.msgctxt)
    with translation.override(language):
        assert translation.gettext("Log in") == expected != "Log in"
