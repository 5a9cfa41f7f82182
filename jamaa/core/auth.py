"""Login throttling hooks for django-axes: count failures per normalised identifier and address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import AllowAllUsersModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jamaa.core.identifiers import parse_identifier


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    try:
        return parse_identifier(str(raw)).value
    except ValidationError:
        return str(raw).strip().lower()[:254]


def lockout_response(request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any,
                     **kwargs: Any) -> HttpResponse:
    minutes = int(float(settings.AXES_COOLOFF_TIME) * 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


class ModelBackend(AllowAllUsersModelBackend):
    """Checks the password of deactivated accounts too, so that the login form can say "this account has been
    deactivated" instead of "wrong password"; but a deactivated account's existing session is worth nothing."""

    def get_user(self, user_id: Any) -> Any:
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None
