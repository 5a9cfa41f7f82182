"""/healthz: the database answers and the task worker ran its heartbeat job recently."""

from __future__ import annotations

import signal
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from jamaa.core.models import Heartbeat
from jamaa.core.tasks import heartbeat

pytestmark = pytest.mark.django_db

URL = "/healthz"


@pytest.fixture
def keep_signal_handlers():
    """db_worker installs its own SIGINT/SIGTERM handlers: put pytest's back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_it_is_unhealthy_when_the_worker_was_never_seen(platform_client):
    response = platform_client.get(URL)
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "checks": {"database": "ok", "worker": "never seen"}}


def test_it_is_healthy_after_the_heartbeat_job_ran(platform_client):
    heartbeat.call()
    response = platform_client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "worker": "ok"}}


def test_the_heartbeat_job_updates_one_row():
    heartbeat.call()
    first = Heartbeat.objects.get(name="worker").seen_at
    Heartbeat.objects.filter(name="worker").update(seen_at=first - timedelta(minutes=3))
    heartbeat.call()
    assert Heartbeat.objects.count() == 1
    assert Heartbeat.objects.get(name="worker").seen_at >= first


@override_settings(WORKER_HEARTBEAT_MAX_AGE_SECONDS=300)
def test_it_is_unhealthy_when_the_heartbeat_is_stale(platform_client):
    Heartbeat.objects.create(name="worker", seen_at=timezone.now() - timedelta(minutes=6))
    response = platform_client.get(URL)
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("stale: last seen ")


def test_it_is_unhealthy_when_the_database_does_not_answer(platform_client):
    heartbeat.call()
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("jamaa.core.views.connection", broken):
        response = platform_client.get(URL)
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error: OperationalError"}


def test_it_answers_on_a_commune_host_too_and_is_never_cached(sale_client, world):
    heartbeat.call()
    response = sale_client.get(URL)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_enqueued_heartbeat(platform_client, keep_signal_handlers):
    assert platform_client.get(URL).status_code == 503
    heartbeat.enqueue()
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    assert platform_client.get(URL).status_code == 200


def test_the_scheduler_loads_the_periodic_jobs_every_minute():
    from crontask import scheduler
    from crontask.management.commands.crontask import Command

    Command().load_tasks({})
    jobs = {job.func.__self__.module_path: job for job in scheduler.get_jobs()}
    for path in ("jamaa.core.tasks.heartbeat", "jamaa.notifications.tasks.retry_due_messages"):
        assert path in jobs, sorted(jobs)
        assert str(jobs[path].trigger).startswith("cron[month='*', day='*', day_of_week='*', hour='*', minute='*'")
        # The scheduler enqueues on the queue that `db_worker` processes by default.
        assert jobs[path].func.__self__.queue_name == "default"
