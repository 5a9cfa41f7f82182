"""Open311 API keys: the commune administrator issues one per application (a city app, a newspaper's reporting tool);
the application sends it as `api_key` when it POSTs a request.

The key is shown once: only its SHA-256 is stored, with a short prefix that names it in lists. Checking a key costs one
indexed lookup on the hash; a revoked key, or a key of another commune, is no key.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamaa.complaints.models import Open311Key
from jamaa.complaints.services import staff_membership
from jamaa.core import audit
from jamaa.core.models import Commune, Role, User

KEY_PREFIX = "o311_"
SHOWN_PREFIX_LENGTH = 8  # Open311Key.prefix: "o311_" and three characters of the secret part
NAME_MAX = 100
# last_used_at is written at most this often (not one write per request).
TOUCH_EVERY = timedelta(minutes=1)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _require_admin(commune_id: int, actor: User | None) -> None:
    membership = staff_membership(commune_id, actor)
    if membership is None or membership.role != Role.ADMIN:
        raise PermissionDenied(_("Only the commune's administrators manage Open311 keys."))


@transaction.atomic
def open311_key_issue(*, commune: Commune, name: str, actor: User | None) -> tuple[Open311Key, str]:
    """A new key for the application `name`; returns the row and the key itself (shown once, never stored).

    PermissionDenied unless `actor` is an administrator of `commune`; ValidationError on "name" when it is empty."""
    _require_admin(commune.pk, actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": [_("Name the application that will use this key.")]})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": [_("The name is too long: at most %(count)d characters.")
                                        % {"count": NAME_MAX}]})
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = Open311Key(commune=commune, name=name, prefix=raw[:SHOWN_PREFIX_LENGTH], key_hash=hash_key(raw),
                     created_by=actor, created_at=timezone.now())
    key.save()
    audit.record(action="open311_key.issued", commune=commune, actor=actor, target=key, target_label=str(key),
                 details={"name": name, "prefix": key.prefix})
    return key, raw


@transaction.atomic
def open311_key_revoke(*, key: Open311Key, actor: User | None) -> bool:
    """Revoke the key now (applications using it are refused from the next request); False when it already was.

    PermissionDenied unless `actor` is an administrator of the key's commune."""
    _require_admin(key.commune_id, actor)
    changed = Open311Key.all_communes.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if changed:
        key.refresh_from_db(fields=["revoked_at"])
        audit.record(action="open311_key.revoked", commune=key.commune, actor=actor, target=key,
                     target_label=str(key), details={"name": key.name, "prefix": key.prefix})
    return bool(changed)


def open311_key_check(commune: Commune | None, raw: str | None, *, now: datetime | None = None) -> Open311Key | None:
    """The commune's active key for `raw`, else None (unknown, revoked, or another commune's). Notes the use."""
    if commune is None or not raw or len(raw) > 200:
        return None
    key = Open311Key.all_communes.filter(key_hash=hash_key(raw.strip()), commune=commune,
                                         revoked_at__isnull=True).first()
    if key is None:
        return None
    now = now or timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        Open311Key.all_communes.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
