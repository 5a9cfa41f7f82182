"""Core periodic jobs. `manage.py crontask` loads this module (the `tasks` module of every installed app) and
enqueues the jobs on their schedule; `manage.py db_worker` runs them."""

from __future__ import annotations

from crontask import cron
from django.tasks import task
from django.utils import timezone


@cron("* * * * *")
@task()
def heartbeat() -> str:
    """Proves that the scheduler enqueues jobs and the worker runs them: /healthz reads the time written here."""
    from jamaa.core.models import Heartbeat

    now = timezone.now()
    Heartbeat.objects.update_or_create(name="worker", defaults={"seen_at": now})
    return now.isoformat()
