"""Outbox jobs, run by `manage.py db_worker`; the periodic sweep is enqueued every minute by `manage.py crontask`."""

from __future__ import annotations

from crontask import cron
from django.tasks import task


@task()
def deliver_message(message_id: int) -> str:
    """Deliver one outbox row (skipped when it was already sent or is not due yet)."""
    from jamaa.notifications.delivery import deliver

    return deliver(message_id).value


@cron("* * * * *")
@task()
def retry_due_messages() -> int:
    """Enqueue delivery for due rows that have no job: retries whose wait is over, and rows whose job was lost."""
    from jamaa.notifications.delivery import enqueue_due_messages

    return enqueue_due_messages()
