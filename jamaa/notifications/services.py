"""Queueing messages. Callers use `notify_user()` or `queue_message()` inside their own transaction: the
outbox row and its delivery job commit (or roll back) together with the change that caused them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from jamaa.core.models import Commune, User
from jamaa.notifications.models import Channel, OutboundMessage


def render_message(template: str, channel: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of `notifications/<template>.<channel>.txt` (+ `.subject.txt` for e-mail), in `language`."""
    with translation.override(language):
        body = render_to_string(f"notifications/{template}.{channel}.txt", context).strip()
        subject = ""
        if channel == Channel.EMAIL:
            subject = " ".join(render_to_string(f"notifications/{template}.subject.txt", context).split())
    return subject, body


@transaction.atomic
def queue_message(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    language: str,
    commune: Commune | None = None,
    user: User | None = None,
) -> OutboundMessage:
    from jamaa.notifications.tasks import deliver_message

    context = {"commune": commune, "user": user, **context}
    subject, body = render_message(template, channel, language, context)
    message = OutboundMessage.objects.create(
        commune=commune, user=user, channel=channel, recipient=recipient, template=template,
        language=language, subject=subject, body=body,
    )
    deliver_message.enqueue(message.pk)
    return message


def notify_user(
    user: User, *, template: str, context: dict[str, Any], commune: Commune | None = None,
    channel: str | None = None,
) -> OutboundMessage:
    """Send to the user's own channel (SMS for a phone account, e-mail otherwise) in the user's language."""
    chosen = channel or (Channel.SMS if user.phone else Channel.EMAIL)
    recipient = user.phone if chosen == Channel.SMS else user.email
    if not recipient:
        raise ValueError(f"user {user.pk} has no address for channel {chosen}")
    return queue_message(
        channel=chosen, recipient=recipient, template=template, context=context,
        language=user.language, commune=commune, user=user,
    )
