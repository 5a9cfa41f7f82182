"""The real task worker (`manage.py db_worker`) delivers outbox messages."""

from __future__ import annotations

import signal

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jamaa.notifications.backends import MemorySmsBackend
from jamaa.notifications.models import OutboundMessage, Status
from jamaa.notifications.services import notify_user


@pytest.fixture
def keep_signal_handlers():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_queued_sms_and_email(world, keep_signal_handlers):
    sms = notify_user(world.citizen_sale, template="test_notice", context={"code": "482913"}, commune=world.sale)
    email = notify_user(world.citizen_temara, template="test_notice", context={"code": "771204"},
                        commune=world.temara)
    assert MemorySmsBackend.outbox == []
    run_worker()
    sms.refresh_from_db()
    email.refresh_from_db()
    assert (sms.status, sms.attempts) == (Status.SENT, 1)
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert MemorySmsBackend.outbox == [{"to": "+212612345678", "text": sms.body}]
    assert "482913" in sms.body
    [sent_email] = mail.outbox
    assert sent_email.to == ["youssef@example.ma"]
    assert "771204" in sent_email.body
    jobs = DBTaskResult.objects.filter(task_path="jamaa.notifications.tasks.deliver_message")
    assert {job.status for job in jobs} == {TaskResultStatus.SUCCESSFUL}
    assert sorted(job.return_value for job in jobs) == ["sent", "sent"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_sweep_for_a_message_whose_job_was_lost(world, keep_signal_handlers):
    from jamaa.notifications.tasks import retry_due_messages

    message = OutboundMessage.objects.create(channel="sms", recipient="+212612345678", template="test_notice",
                                             language="ar", body="رمزك: 909090")
    retry_due_messages.enqueue()
    run_worker()  # runs the sweep, then the delivery job the sweep enqueued
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert MemorySmsBackend.outbox == [{"to": "+212612345678", "text": "رمزك: 909090"}]
