"""Reads on API tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from jamaa.api.models import ApiToken
from jamaa.api.services import TOKEN_PREFIX, hash_token
from jamaa.core.models import User

MAX_TOKEN_LENGTH = 200


def active_token(raw: str) -> ApiToken | None:
    """The active token (not revoked, not expired) of an active account, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = ApiToken.objects.active().select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    return token


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def token_of(user: User, pk: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=pk).first()
