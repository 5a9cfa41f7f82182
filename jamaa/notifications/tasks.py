"""Delivery jobs, run by `manage.py db_worker`. H3 implements retries and backoff here."""

from __future__ import annotations

from django.tasks import task


@task()
def deliver_message(message_id: int) -> None:
    from jamaa.notifications.delivery import deliver

    deliver(message_id)
