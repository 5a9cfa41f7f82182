"""Periodic jobs on cases, enqueued by `manage.py crontask` and run by `manage.py db_worker`."""

from __future__ import annotations

from crontask import cron
from django.tasks import task


# 02:30 in Africa/Casablanca (crontask reads the schedule in TIME_ZONE): the day before has ended everywhere in
# Morocco, and nobody is working on the cases. Idempotent: a second run the same day approves nothing more.
@cron("30 2 * * *")
@task()
def approve_overdue_by_silence() -> int:
    """Law 55-19: a running request past its due date, for a procedure where silence means approval, is approved;
    the applicant is told. Sweeps every commune."""
    from jamaa.cases import services

    return services.approve_overdue_by_silence()
