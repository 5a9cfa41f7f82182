"""Reads shared by several parts of the core."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from jamaa.core.identifiers import parse_identifier
from jamaa.core.models import User


def user_by_identifier(raw: str) -> User | None:
    """The account a person names by phone number or e-mail address, typed in any usual form."""
    text = (raw or "").strip()
    try:
        username = parse_identifier(text).value
    except ValidationError:
        username = text
    return User.objects.filter(username=username).first()
