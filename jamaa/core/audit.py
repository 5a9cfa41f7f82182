"""The audit log service: services call `record()` inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from jamaa.core.models import AuditEvent, Commune, User


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind the reverse proxy (gunicorn config trusts it), REMOTE_ADDR is set from X-Forwarded-For.
    return request.META.get("REMOTE_ADDR") or None


def record(
    *,
    action: str,
    commune: Commune | None,
    actor: User | None = None,
    target: models.Model | None = None,
    target_label: str = "",
    subject: User | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `subject` is the person whose personal data was touched (shown on their "my data" page).

    Never put secrets or a CIN number in `details`."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    event = AuditEvent(
        commune=commune,
        actor=actor,
        actor_label=(actor.full_name or actor.username) if actor else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label or (str(target)[:200] if target is not None else ""),
        subject=subject,
        reason=reason[:300],
        ip=client_ip(request),
        details=details or {},
    )
    event.save()
    return event


def record_personal_data_access(
    *, actor: User, commune: Commune, subject: User, target: models.Model | None, reason: str,
    request: HttpRequest | None = None, fields: list[str] | None = None,
) -> AuditEvent:
    """A member of staff read a citizen's personal data: the citizen sees this on their "my data" page."""
    return record(
        action="personal_data.viewed", commune=commune, actor=actor, target=target, subject=subject,
        reason=reason, request=request, details={"fields": fields or []},
    )
