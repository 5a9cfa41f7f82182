"""Template helpers of the design system: `{% load jamaa %}`.

- `readable_brand`: the commune's brand colour, darkened just enough to carry white text (header, buttons) and to be
  read as link text on the light surfaces of the stylesheet (WCAG 2.1 AA, 4.5:1).
- `hex_colour`: a #RRGGBB value or a fallback, for colours written into the page's <style>.
- `badge_tone`: the colour class of a status badge (see components/badge.html).
- `shell_urls`: the links of the page shell in the active language (`{% shell_urls as nav %}`, base.html).
- `shell_nav`: the main navigation's links for this visitor, the current page's marked (base.html).

For query strings use Django's built-in `{% querystring %}` tag (components/pagination.html does).
"""

from __future__ import annotations

import functools
import re

from django import template
from django.conf import settings
from django.utils import translation

from jamaa.core.shell import NavItem, nav_items, nav_urls

register = template.Library()


DEFAULT_BRAND = "#0b5d3b"
AA_NORMAL_TEXT = 4.5
# The light backgrounds of jamaa.css that brand-coloured text (links, secondary buttons) can sit on: white, the page
# canvas, table headers and the flash/badge backgrounds. White text sits on the brand colour itself (header, buttons).
LIGHT_SURFACES = ("#ffffff", "#f5f6f4", "#eef1ee", "#e6f1f8", "#e7f4ea", "#fdecea", "#fff4d6")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a #RRGGBB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = _channels(colour)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio between two #RRGGBB colours (1 to 21)."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def _worst_contrast(colour: str) -> float:
    return min(contrast_ratio(colour, surface) for surface in LIGHT_SURFACES)


@register.filter
def readable_brand(colour: object) -> str:
    """The commune's colour if it reaches AA against every light surface, else the same hue darkened until it does.

    A commune may choose a light colour (a pale green, a yellow); white header text and brand-coloured links would then
    be unreadable. Darkening keeps the commune's hue while guaranteeing the contrast, whatever the administrator typed.
    Anything that is not #RRGGBB gives the platform's default colour."""
    if not isinstance(colour, str) or not _HEX.match(colour):
        return DEFAULT_BRAND
    return _readable(colour.lower())


@functools.lru_cache(maxsize=256)
def _readable(colour: str) -> str:
    """readable_brand of a valid lower-case colour, computed once per colour (every page's header asks for it)."""
    if _worst_contrast(colour) >= AA_NORMAL_TEXT:
        return colour
    r, g, b = _channels(colour)
    # Mix with black in small steps: the first mix that reaches the ratio is the lightest readable shade of the hue.
    for step in range(1, 101):
        keep = 1 - step / 100
        candidate = f"#{round(r * keep):02x}{round(g * keep):02x}{round(b * keep):02x}"
        if _worst_contrast(candidate) >= AA_NORMAL_TEXT:
            return candidate
    return "#000000"  # pragma: no cover - black always reaches the ratio


@register.filter
def hex_colour(colour: object, fallback: str = "#b8860b") -> str:
    """`colour` if it is #RRGGBB, else `fallback`: only a plain colour may reach the page's <style>."""
    return colour.lower() if isinstance(colour, str) and _HEX.match(colour) else fallback


# Status values used across the apps, by the colour that tells their meaning at a glance. The badge always shows the
# status in words too: colour is never the only signal.
BADGE_TONES: dict[str, str] = {
    **dict.fromkeys(
        ("active", "sent", "delivered", "done", "completed", "issued", "approved", "accepted", "resolved",
         "confirmed", "verified", "valid", "published", "answered", "ok"),
        "success",
    ),
    **dict.fromkeys(
        ("failed", "rejected", "refused", "revoked", "overdue", "expired", "error", "blocked", "locked"),
        "danger",
    ),
    **dict.fromkeys(
        ("pending", "queued", "waiting", "retrying", "awaiting", "incomplete", "due_soon", "on_hold"),
        "warning",
    ),
    **dict.fromkeys(
        ("new", "invited", "submitted", "received", "open", "in_progress", "assigned", "scheduled", "booked",
         "under_review"),
        "info",
    ),
}
TONES = ("success", "danger", "warning", "info", "neutral")


@register.filter
def badge_tone(status: object) -> str:
    """success, danger, warning, info or neutral for a status value (neutral when the status is not known)."""
    key = str(status or "").strip().lower().replace("-", "_").replace(" ", "_")
    return BADGE_TONES.get(key, "neutral")


@register.simple_tag
def shell_urls() -> dict[str, str]:
    """The page shell's links in the active language, reversed once per process (shell.nav_urls)."""
    return nav_urls(translation.get_language() or settings.LANGUAGE_CODE)


@register.simple_tag(takes_context=True)
def shell_nav(context: template.Context) -> list[NavItem]:
    """The main navigation's links for the visitor of this page (shell.nav_items)."""
    user = context.get("user")
    return nav_items(context.get("request"), authenticated=bool(user is not None and user.is_authenticated),
                     staff=bool(context.get("membership")))
