"""Queueing messages. Callers use `notify_user()` or `queue_message()` inside their own transaction: the
outbox row and its delivery job (a row of the database task backend) commit, or roll back, together with the
change that caused them. The worker then delivers it (jamaa.notifications.delivery)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from jamaa.core.models import Commune, User
from jamaa.notifications.models import Channel, OutboundMessage, Status


def _language(language: str | None) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    code = (language or "").split("-")[0].lower()
    return code if code in codes else settings.LANGUAGE_CODE


def render_message(template: str, channel: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of `notifications/<template>.<channel>.txt` (+ `.subject.txt` for e-mail), in `language`."""
    with translation.override(language):
        body = render_to_string(f"notifications/{template}.{channel}.txt", context).strip()
        subject = ""
        if channel == Channel.EMAIL:
            subject = " ".join(render_to_string(f"notifications/{template}.subject.txt", context).split())[:200]
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
    """Render the message in `language` and put it in the outbox with its delivery job."""
    from jamaa.notifications.tasks import deliver_message

    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    recipient = (recipient or "").strip()
    if not recipient:
        raise ValueError("a message needs a recipient")
    language = _language(language)
    context = {"commune": commune, "user": user, **context}
    subject, body = render_message(template, channel, language, context)
    now = timezone.now()
    message = OutboundMessage.objects.create(
        commune=commune, user=user, channel=channel, recipient=recipient, template=template,
        language=language, subject=subject, body=body, created_at=now, next_attempt_at=now, enqueued_at=now,
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


def notify_applicant(
    *, citizen: User | None, phone: str = "", email: str = "", language: str, template: str,
    context: dict[str, Any], commune: Commune | None = None,
) -> OutboundMessage | None:
    """Tell whoever filed a case or a complaint: the account holder on their own channel and in their language (an
    inactive account, or one without any address, is not written to), else the phone number, else the e-mail
    address given without an account, in `language`. None when there is nobody to tell (anonymous)."""
    if citizen is not None:
        if citizen.is_active and (citizen.phone or citizen.email):
            return notify_user(citizen, template=template, context=context, commune=commune)
        return None
    if phone:
        return queue_message(channel=Channel.SMS, recipient=phone, template=template, context=context,
                             language=language, commune=commune)
    if email:
        return queue_message(channel=Channel.EMAIL, recipient=email, template=template, context=context,
                             language=language, commune=commune)
    return None


def requeue_messages(messages: QuerySet[OutboundMessage]) -> int:
    """Give failed messages a fresh set of attempts (platform operators, after fixing a gateway). Returns how many."""
    from jamaa.notifications.tasks import deliver_message

    count = 0
    for message_id in messages.filter(status=Status.FAILED).values_list("pk", flat=True):
        with transaction.atomic():
            now = timezone.now()
            updated = OutboundMessage.objects.filter(pk=message_id, status=Status.FAILED).update(
                status=Status.PENDING, attempts=0, next_attempt_at=now, enqueued_at=now, last_error="",
            )
            if updated:
                deliver_message.enqueue(message_id)
                count += updated
    return count
