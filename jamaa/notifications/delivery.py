from __future__ import annotations


def deliver(message_id: int) -> None:
    """Send one outbox row through its channel's backend (implemented with retries by the outbox work)."""
    from jamaa.notifications.models import OutboundMessage, Status
    from django.utils import timezone

    message = OutboundMessage.objects.get(pk=message_id)
    if message.status != Status.PENDING:
        return
    from jamaa.notifications import backends

    backends.send(message)
    message.status = Status.SENT
    message.sent_at = timezone.now()
    message.attempts += 1
    message.save(update_fields=["status", "sent_at", "attempts"])
