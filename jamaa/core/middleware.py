"""Request-wide concerns: the commune from the Host header, the user's language, idle sessions, request logs."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation

from jamaa.core import tenancy
from jamaa.core.models import Commune, CommuneHost

logger = logging.getLogger("jamaa.request")

# Paths outside the translated page tree: no language redirect, no commune-page assumptions.
UNTRANSLATED_PREFIXES = ("/api/", "/open311/", "/healthz", "/static/", "/media/", "/admin/", "/i18n/",
                         "/.well-known/", "/commune-logo", "/favicon.ico", "/robots.txt", "/V/")


def resolve_commune(host: str) -> Commune | None:
    name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
    match = CommuneHost.objects.select_related("commune").filter(host=name, commune__is_active=True).first()
    return match.commune if match else None


class CommuneMiddleware:
    """Sets request.commune from the Host header and scopes every commune-owned query to it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        commune = resolve_commune(request.get_host())
        request.commune = commune  # type: ignore[attr-defined]
        if request.path_info.startswith("/admin/"):
            # The Django admin is for platform operators, who work across communes.
            with tenancy.unscoped():
                return self.get_response(request)
        with tenancy.scope(commune):
            return self.get_response(request)


class UserLanguageMiddleware:
    """Sends a visitor who chose French or Tamazight to that language's pages (Arabic pages are unprefixed).

    The choice is the account's language when logged in, else the language cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if request.method in ("GET", "HEAD") and not path.startswith(UNTRANSLATED_PREFIXES) \
                and translation.get_language_from_path(path) is None:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                wanted = user.language
            else:
                wanted = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            codes = {code for code, _name in settings.LANGUAGES}
            if wanted in codes and wanted != settings.LANGUAGE_CODE:
                target = f"/{wanted}{quote(path)}"
                if request.META.get("QUERY_STRING"):
                    target += "?" + request.META["QUERY_STRING"]
                return HttpResponseRedirect(target)
        return self.get_response(request)


class SessionExpiryMiddleware:
    """Staff sessions end after a shorter idle time than citizens' (SESSION_SAVE_EVERY_REQUEST renews both)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.get("jamaa_staff"):
            request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
        return self.get_response(request)


# A document's QR URL carries its signed payload, readable by anyone: the holder's name, CIN and address. The log
# keeps that it was a verification, not what was verified.
_PAYLOAD_PATH = re.compile(r"^(/(?:[a-z]{2,3}/)?(?:V|verify)/)[A-Za-z2-7]{16,}/?$")


def _loggable_path(path: str) -> str:
    return _PAYLOAD_PATH.sub(r"\1…", path)


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path_info.startswith("/static/"):
            return response
        user = getattr(request, "user", None)
        commune = getattr(request, "commune", None)
        path = _loggable_path(request.path_info)
        logger.info(
            "%s %s %s", request.method, path, response.status_code,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "commune": commune.slug if commune else None,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response
