"""Who may do what: commune pages, citizens, staff roles (with two-factor authentication)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from jamaa.core.models import Membership, Role

P = ParamSpec("P")
View = Callable[..., HttpResponse]

ALL_STAFF_ROLES = (Role.AGENT, Role.HEAD, Role.ADMIN, Role.LEADERSHIP)


def membership_for(request: HttpRequest) -> Membership | None:
    """The logged-in user's active staff membership in the request's commune, if any (cached per request)."""
    if hasattr(request, "_jamaa_membership"):
        return request._jamaa_membership  # type: ignore[attr-defined]
    membership = None
    user = getattr(request, "user", None)
    commune = getattr(request, "commune", None)
    if user is not None and user.is_authenticated and commune is not None:
        membership = (
            Membership.objects.select_related("department")
            .filter(user=user, is_active=True, accepted_at__isnull=False)
            .first()
        )
    request._jamaa_membership = membership  # type: ignore[attr-defined]
    return membership


def commune_required(view: View) -> View:
    """Commune pages do not exist on the national landing host."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "commune", None) is None:
            raise Http404(_("This page belongs to a commune's site."))
        return view(request, *args, **kwargs)

    return wrapper


def login_required(view: View) -> View:
    @wraps(view)
    @commune_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        return view(request, *args, **kwargs)

    return wrapper


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def staff_required(*roles: str) -> Callable[[View], View]:
    """Staff of the request's commune with one of `roles`, verified with a TOTP code this session."""
    allowed = tuple(roles) or ALL_STAFF_ROLES

    def decorator(view: View) -> View:
        @wraps(view)
        @commune_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
            membership = membership_for(request)
            if membership is None:
                return forbidden(request, _("This page is for the staff of this commune."))
            if not user.is_verified():  # type: ignore[attr-defined]
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse('backoffice:two_factor')}?{query}")
            request.session["jamaa_staff"] = True
            if membership.role not in allowed:
                return forbidden(request, _("Your role does not give access to this page."))
            request.membership = membership  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
