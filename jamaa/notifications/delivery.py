"""Delivering outbox rows, with retries and exponential backoff.

A delivery claims its row first (row lock, status and due time checked, attempt counted, next attempt pushed
past a lease) and commits, then talks to the channel outside any transaction, then records the outcome. So a
slow SMTP server or SMS gateway never holds a database lock (SQLite has one writer at a time), two jobs for the
same row never both send it, and a worker that dies in the middle leaves a row that the periodic sweep retries
once the lease is over. Delivery is at least once: a crash between the hand-over and the record resends.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jamaa.notifications import backends
from jamaa.notifications.models import OutboundMessage, Status

logger = logging.getLogger("jamaa.notifications")

# Wait after the n-th failed attempt: 1, 2, 4, 8, 16… minutes, never more than the cap.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# How long a claimed row is left alone before it counts as abandoned (longer than any backend's timeout).
SEND_LEASE = timedelta(minutes=5)
# A job enqueued longer ago than this without running is presumed lost: the sweep enqueues another.
JOB_STALE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500
MAX_ERROR_LENGTH = 300


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones (attempts ≥ 1)."""
    exponent = max(attempts - 1, 0)
    if exponent >= 20:
        return BACKOFF_CAP
    return min(BACKOFF_BASE * (2**exponent), BACKOFF_CAP)


def _safe_error(exc: BaseException) -> str:
    """A short description of a failure, without secrets: the gateway token and the mail password are masked and
    the message text (which may hold a verification code) is never part of it."""
    if isinstance(exc, backends.DeliveryError):
        text = str(exc)
    else:
        text = f"{exc.__class__.__name__}: {exc}"
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text[:MAX_ERROR_LENGTH]


def _secrets() -> list[str]:
    values = [getattr(settings, "SMS_GATEWAY_TOKEN", None)]
    for mailer in getattr(settings, "MAILERS", {}).values():
        values.append(mailer.get("OPTIONS", {}).get("password"))
    return [v for v in values if isinstance(v, str) and len(v) >= 4]


def _claim(message_id: int, now: datetime) -> OutboundMessage | None:
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != Status.PENDING or message.next_attempt_at > now:
            return None
        message.attempts += 1
        message.next_attempt_at = now + SEND_LEASE
        message.save(update_fields=["attempts", "next_attempt_at"])
        return message


def deliver(message_id: int) -> Outcome:
    """Send one outbox row if it is pending and due; record the outcome. Safe to call any number of times."""
    now = timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return Outcome.SKIPPED
    claimed_attempts = message.attempts
    try:
        backends.send(message)
    except Exception as exc:  # noqa: BLE001 - any failure of a channel is retried, none may crash the worker
        error = _safe_error(exc)
        finished = timezone.now()
        gave_up = claimed_attempts >= message.max_attempts
        OutboundMessage.objects.filter(pk=message.pk, attempts=claimed_attempts, status=Status.PENDING).update(
            last_error=error,
            next_attempt_at=finished + backoff(claimed_attempts),
            status=Status.FAILED if gave_up else Status.PENDING,
        )
        logger.warning(
            "outbox message %s (%s) attempt %s failed: %s", message.pk, message.channel, claimed_attempts, error,
            extra={"message_id": message.pk, "channel": message.channel, "attempt": claimed_attempts,
                   "gave_up": gave_up},
        )
        return Outcome.FAILED if gave_up else Outcome.RETRY
    OutboundMessage.objects.filter(pk=message.pk, attempts=claimed_attempts, status=Status.PENDING).update(
        status=Status.SENT, sent_at=timezone.now(), last_error="",
    )
    logger.info("outbox message %s (%s) sent", message.pk, message.channel,
                extra={"message_id": message.pk, "channel": message.channel, "attempt": claimed_attempts})
    return Outcome.SENT


def enqueue_due_messages(now: datetime | None = None) -> int:
    """Enqueue a delivery job for each due row that has none (a retry whose wait is over, a job that was lost).
    Returns how many jobs were enqueued."""
    from jamaa.notifications.tasks import deliver_message

    now = now or timezone.now()
    ids = list(
        OutboundMessage.objects.needing_a_job(now, JOB_STALE_AFTER)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    enqueued = 0
    for message_id in ids:
        # The conditional update makes two overlapping sweeps enqueue one job, not two.
        with transaction.atomic():
            updated = OutboundMessage.objects.needing_a_job(now, JOB_STALE_AFTER).filter(pk=message_id).update(
                enqueued_at=now
            )
            if updated:
                deliver_message.enqueue(message_id)
                enqueued += 1
    return enqueued
