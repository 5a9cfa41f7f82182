"""Writes on API tokens: create (the token is returned once, only its hash is kept) and revoke."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from jamaa.api.models import ApiToken
from jamaa.core.audit import record
from jamaa.core.models import Commune, User

TOKEN_PREFIX = "jamaa_"
# Enough for a person's few applications; stops a script from piling up tokens.
MAX_ACTIVE_TOKENS = 10
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6


class TooManyTokens(Exception):
    def __init__(self) -> None:
        super().__init__(_("You already have %(count)d active tokens. Revoke one you no longer use first.")
                         % {"count": MAX_ACTIVE_TOKENS})


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str, lifetime: dt.timedelta | None, commune: Commune | None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the token row and the token itself (shown once, never stored)."""
    # Lock the account row so that two requests at once cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.filter(user=user).active().count() >= MAX_ACTIVE_TOKENS:
        raise TooManyTokens
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(user=user, name=name.strip()[:80], key_hash=hash_token(raw), prefix=raw[:SHOWN_PREFIX_LENGTH],
                     created_at=now, expires_at=now + lifetime if lifetime is not None else None)
    token.full_clean()
    token.save()
    record(action="api_token.created", commune=commune, actor=user, target=token, request=request,
           details={"name": token.name, "expires_at": token.expires_at.isoformat() if token.expires_at else None})
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User, commune: Commune | None, request: HttpRequest | None = None) -> bool:
    """Revoke the token now; False when it was already revoked."""
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if changed:
        token.refresh_from_db(fields=["revoked_at"])
        record(action="api_token.revoked", commune=commune, actor=actor, target=token, request=request,
               details={"name": token.name})
    return bool(changed)


def token_touch(token: ApiToken) -> None:
    """Note when a token was last used, at most once a minute (not one write per request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
