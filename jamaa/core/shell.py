"""The page shell's links (base.html): reversed once per language and process, and the main navigation built in
Python for the visitor of the page rather than as three dozen template nodes on every page. Used through the
`shell_urls` and `shell_nav` template tags (templatetags/jamaa.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.translation import gettext as _

# The links of the page shell (base.html), by the name the template reads them under. A route that is not installed
# gives "" and its link is left out.
NAV_ROUTES = {
    "home": "home",
    "set_language": "set_language",
    "procedures": "catalog:index",
    "complaints": "complaints:start",
    "my_requests": "cases:mine",
    "my_documents": "wallet:mine",
    "profile": "accounts:profile",
    "my_data": "accounts:my_data",
    "backoffice": "backoffice:dashboard",
    "logout": "accounts:logout",
    "login": "accounts:login",
    "signup": "accounts:signup",
    "dev_outbox": "dev_outbox:list",
    "track": "cases:track",
}

_nav_cache: dict[tuple[str, str, str | None], tuple[object, dict[str, str]]] = {}


def nav_urls(language: str) -> dict[str, str]:
    """The shell's links in `language`, reversed once per process (and again whenever the URL resolver is rebuilt,
    as tests that change the URLs do): a dozen reverses cost a third of rendering a short page."""
    urlconf = get_urlconf()
    resolver = get_resolver(urlconf)
    key = (language, get_script_prefix(), urlconf if isinstance(urlconf, str) or urlconf is None else repr(urlconf))
    cached = _nav_cache.get(key)
    if cached is not None and cached[0] is resolver:
        return cached[1]
    urls: dict[str, str] = {}
    with translation.override(language):
        for name, route in NAV_ROUTES.items():
            try:
                urls[name] = reverse(route, urlconf=urlconf)
            except NoReverseMatch:
                urls[name] = ""
    _nav_cache[key] = (resolver, urls)
    return urls


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    current: bool


def nav_items(request: HttpRequest | None, *, authenticated: bool, staff: bool) -> list[NavItem]:
    """The main navigation's links for this visitor, in the active language, the current page's marked (the links
    of base.html, built here once rather than as three dozen template nodes on every page)."""
    urls = nav_urls(translation.get_language() or settings.LANGUAGE_CODE)
    match = getattr(request, "resolver_match", None)
    name, namespace = (match.url_name, match.namespace) if match is not None else ("", "")
    entries: list[tuple[str, str, bool]] = [
        ("home", _("Home"), name == "home"),
        ("procedures", _("Procedures"), namespace == "catalog" and name == "index"),
        ("complaints", _("Complaints"), namespace == "complaints"),
    ]
    if authenticated:
        entries += [
            ("my_requests", _("My requests"), namespace == "cases" and name == "mine"),
            ("my_documents", _("My documents"), namespace == "wallet"),
            ("profile", _("My account"), name == "profile"),
            ("my_data", _("My data"), name == "my_data"),
        ]
        if staff:
            entries.append(("backoffice", _("Back office"), namespace == "backoffice"))
    else:
        entries += [("login", _("Log in"), name == "login"), ("signup", _("Create an account"), name == "signup")]
    return [NavItem(urls[key], label, current) for key, label, current in entries if urls[key]]
