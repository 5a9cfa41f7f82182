"""Periodic jobs on complaints, enqueued by `manage.py crontask` (schedules read in TIME_ZONE, Africa/Casablanca) and
run by `manage.py db_worker`. Every job sweeps every commune and is idempotent (see `jamaa.complaints.sweeps`)."""

from __future__ import annotations

import logging

from crontask import cron
from django.tasks import task

logger = logging.getLogger(__name__)


# 08:00, when the offices open: the staff read the reminders and escalations of the day first thing. A missed run
# is caught up by the next one (a date already passed is still within the window).
@cron("0 8 * * *")
@task()
def complaint_deadline_sweeps() -> dict[str, int]:
    """Remind the department of complaints near their target date; escalate those near their legal answer date."""
    from jamaa.complaints import sweeps

    return sweeps.remind_and_escalate().as_dict()


# 03:00: nobody is answering complaints, and the citizen had the whole of the last day to contest the answer.
@cron("0 3 * * *")
@task()
def complaint_auto_close() -> int:
    """Close the resolved or rejected complaints whose answer was not contested within COMPLAINT_AUTO_CLOSE_DAYS."""
    from jamaa.complaints import sweeps

    return sweeps.auto_close()


# 01:30: the classifier learns from the day's categorised complaints while the site is quiet.
@cron("30 1 * * *")
@task()
def complaint_retrain_classifiers() -> dict[str, int]:
    """Train each active commune's category classifier again on its own past complaints. A commune whose training
    fails is logged and the others are still trained; a commune with fewer than two categories keeps no model."""
    from jamaa.complaints.classifier import train
    from jamaa.core import tenancy
    from jamaa.core.models import Commune

    counts = {"trained": 0, "skipped": 0, "failed": 0}
    with tenancy.unscoped():
        for commune in Commune.objects.filter(is_active=True).order_by("pk"):
            try:
                model = train(commune)
            except Exception:  # one commune's bad data must not stop the others' training
                logger.exception("training the complaint classifier of %s failed", commune.slug)
                counts["failed"] += 1
            else:
                counts["trained" if model is not None else "skipped"] += 1
    return counts
