"""Public pages shared by every commune: the home page, the national landing page, errors, health."""

from __future__ import annotations

import mimetypes
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from jamaa.core.models import Arrondissement, Commune, Heartbeat


def home(request: HttpRequest) -> HttpResponse:
    commune = getattr(request, "commune", None)
    if commune is None:
        communes = Commune.objects.filter(is_active=True).prefetch_related("hosts")
        return render(request, "core/landing.html", {"communes": communes})
    return render(request, "core/home.html", {"arrondissements": Arrondissement.objects.all()})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, plus: the choice is remembered on the account (and used for its messages)."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if request.user.is_authenticated and code in dict(settings.LANGUAGES) and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    return response


def commune_logo(request: HttpRequest, slug: str) -> FileResponse:
    commune = Commune.objects.filter(slug=slug, is_active=True).first()
    if commune is None or not commune.logo:
        raise Http404
    content_type = mimetypes.guess_type(commune.logo.name)[0] or "application/octet-stream"
    if content_type not in {"image/svg+xml", "image/png", "image/jpeg", "image/webp"}:
        raise Http404
    response = FileResponse(commune.logo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and the task worker ran a job recently; 503 otherwise."""
    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    if checks["database"] == "ok":
        beat = Heartbeat.objects.filter(name="worker").first()
        max_age = timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS)
        if beat is None:
            checks["worker"] = "never seen"
            healthy = False
        elif timezone.now() - beat.seen_at > max_age:
            checks["worker"] = f"stale: last seen {beat.seen_at.isoformat()}"
            healthy = False
        else:
            checks["worker"] = "ok"
    return JsonResponse({"status": "ok" if healthy else "unhealthy", "checks": checks},
                        status=200 if healthy else 503)


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    try:
        return render(request, "error.html", {"title": title, "message": message, "status": status}, status=status)
    except Exception:  # noqa: BLE001 - an error page must never fail
        return HttpResponse(f"{status} {title}", status=status, content_type="text/plain; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood. Go back and try again."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"message": str(exception) if exception and str(exception) else ""},
                  status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Page not found"),
                  _("This page does not exist here. It may belong to another commune, or it was moved."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, _("Something went wrong"),
                  _("The platform could not complete your request. Nothing you typed was saved; please try again."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, 403, _("Your session has expired"),
                  _("For your security the form could not be accepted. Go back, reload the page and send it again."))
