"""Token authentication for a citizen's endpoints, and POST /auth/token (password login for applications).

Failed logins are counted by django-axes exactly like the login page's (per identifier and address), so the API is
no way around the lock-out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer

from jamaa.api import services
from jamaa.api.common import request_commune
from jamaa.api.schemas import COMMUNE_ERRORS, Error
from jamaa.api.selectors import active_token
from jamaa.core.identifiers import parse_identifier
from jamaa.core.models import User
from jamaa.core.selectors import user_by_identifier

router = Router(tags=["authentication"])

# A token made with a password lives 90 days; the account page lets the citizen choose.
PASSWORD_TOKEN_LIFETIME = dt.timedelta(days=90)
# PostgreSQL text cannot hold NUL characters.
NO_NUL = r"^[^\x00]*$"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: an active token of an active account. The account is national, so the
    token works on every commune's host; what an endpoint shows is still that commune's."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = active_token(token.strip())
        if found is None:
            return None
        services.token_touch(found)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


token_auth = TokenAuth()


class TokenIn(Schema):
    username: str = Field(..., max_length=254, pattern=NO_NUL,
                          description="The account's mobile number or e-mail address.")
    password: str = Field(..., max_length=4096, pattern=NO_NUL)
    name: str = Field("", max_length=80, pattern=NO_NUL, description="To recognise the token on the account page.")


class TokenOut(Schema):
    token: str
    token_type: str
    name: str
    expires_at: dt.datetime | None


def _username(raw: str) -> str:
    """The identifier as accounts store it (and as django-axes counts failures)."""
    user = user_by_identifier(raw)
    if user is not None:
        return user.username
    try:
        return parse_identifier(raw.strip()).value
    except DjangoValidationError:
        return raw.strip()


@router.post("/auth/token", response={201: TokenOut, 401: Error, 403: Error, 429: Error, **COMMUNE_ERRORS},
             summary="A token for the account, in exchange for its password")
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    commune = request_commune(request)
    user = authenticate(request, username=_username(payload.username), password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # django-axes would swap our answer for the login page's HTML: answer in JSON ourselves.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        return Status(429, {"detail": _("Too many failed attempts. Try again later.")})
    if user is None:
        return Status(401, {"detail": _("The mobile number or e-mail address, or the password, is not "
                                        "right.")})
    if not user.is_active:
        return Status(403, {"detail": _("This account has been deactivated.")})
    if not user.contact_verified:
        return Status(403, {"detail": _("This account is not confirmed yet: log in on the website to "
                                        "confirm it.")})
    try:
        token, raw = services.token_create(user=user, name=payload.name or _("Application"),
                                           lifetime=PASSWORD_TOKEN_LIFETIME, commune=commune, request=request)
    except services.TooManyTokens as exc:
        return Status(403, {"detail": str(exc)})
    return Status(201, {"token": raw, "token_type": "Bearer", "name": token.name, "expires_at": token.expires_at})
