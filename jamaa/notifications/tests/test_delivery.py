"""The outbox: queueing, delivery with retries and backoff, the periodic sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jamaa.notifications import delivery
from jamaa.notifications.backends import DeliveryError, MemorySmsBackend
from jamaa.notifications.delivery import Outcome, backoff, deliver, enqueue_due_messages
from jamaa.notifications.models import OutboundMessage, Status
from jamaa.notifications.services import notify_user, queue_message, requeue_messages
from jamaa.notifications.tasks import retry_due_messages

pytestmark = pytest.mark.django_db

BROKEN = "jamaa.notifications.tests.test_delivery.BrokenSmsBackend"


class BrokenSmsBackend:
    """A gateway that refuses everything, and whose error mentions the secret token."""

    def send(self, *, to: str, text: str) -> None:
        raise ConnectionError("gateway said no to token s3cr3t-token")


def delivery_jobs(message_id: int | None = None) -> list[DBTaskResult]:
    jobs = list(DBTaskResult.objects.filter(task_path="jamaa.notifications.tasks.deliver_message"))
    if message_id is None:
        return jobs
    return [job for job in jobs if job.args_kwargs["args"] == [message_id]]


def make_message(**fields) -> OutboundMessage:
    values = {"channel": "sms", "recipient": "+212612345678", "template": "test_notice", "language": "ar",
              "body": "رمزك: 123456"}
    values.update(fields)
    return OutboundMessage.objects.create(**values)


def make_due(message: OutboundMessage) -> None:
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


# Queueing


def test_queue_message_renders_in_the_language_and_enqueues_a_delivery_job(world):
    message = queue_message(channel="sms", recipient="+212612345678", template="test_notice",
                            context={"code": "123456"}, language="fr", commune=world.sale, user=world.citizen_sale)
    assert message.status == Status.PENDING
    assert message.language == "fr"
    assert message.body.endswith(": 123456")
    assert message.commune == world.sale
    assert len(delivery_jobs(message.pk)) == 1


def test_a_queued_message_rolls_back_with_the_change_that_caused_it(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_message(channel="sms", recipient="+212612345678", template="test_notice", context={"code": "1"},
                      language="ar")
        raise RuntimeError("the sign-up failed after queueing its code")
    assert not OutboundMessage.objects.exists()
    assert delivery_jobs() == []


def test_notify_user_picks_the_users_channel_and_language(world):
    world.citizen_temara.language = "fr"
    sms = notify_user(world.citizen_sale, template="test_notice", context={"code": "111111"}, commune=world.sale)
    email = notify_user(world.citizen_temara, template="test_notice", context={"code": "222222"},
                        commune=world.temara)
    assert (sms.channel, sms.recipient, sms.language) == ("sms", "+212612345678", "ar")
    assert (email.channel, email.recipient, email.language) == ("email", "youssef@example.ma", "fr")
    assert email.subject == "Témara Your code"  # one line, whitespace collapsed
    assert "Youssef El Idrissi" in email.body


def test_notify_user_refuses_a_channel_the_user_has_no_address_for(world):
    with pytest.raises(ValueError):
        notify_user(world.citizen_temara, template="test_notice", context={"code": "1"}, channel="sms")


@pytest.mark.parametrize(("field", "value"), [("channel", "pigeon"), ("recipient", "  ")])
def test_queue_message_refuses_bad_arguments(world, field, value):
    arguments = {"channel": "sms", "recipient": "+212612345678", "template": "test_notice",
                 "context": {"code": "1"}, "language": "ar", field: value}
    with pytest.raises(ValueError):
        queue_message(**arguments)
    assert not OutboundMessage.objects.exists()


def test_an_unknown_language_falls_back_to_arabic(world):
    message = queue_message(channel="sms", recipient="+212612345678", template="test_notice",
                            context={"code": "1"}, language="xx")
    assert message.language == "ar"


# Delivery


def test_an_sms_is_delivered_once(world):
    message = make_message()
    assert deliver(message.pk) == Outcome.SENT
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert MemorySmsBackend.outbox == [{"to": "+212612345678", "text": "رمزك: 123456"}]
    # A second job for the same row (a duplicate, a retry sweep) sends nothing.
    assert deliver(message.pk) == Outcome.SKIPPED
    assert len(MemorySmsBackend.outbox) == 1


def test_an_email_is_delivered_through_the_mailer(world):
    message = make_message(channel="email", recipient="youssef@example.ma", subject="Votre code",
                           body="Votre code : 654321", language="fr")
    assert deliver(message.pk) == Outcome.SENT
    [email] = mail.outbox
    assert email.to == ["youssef@example.ma"]
    assert email.subject == "Votre code"
    assert email.body == "Votre code : 654321"
    assert email.extra_headers["Content-Language"] == "fr"


def test_a_message_that_is_not_due_is_left_alone(world):
    message = make_message(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert deliver(message.pk) == Outcome.SKIPPED
    assert MemorySmsBackend.outbox == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)


def test_a_missing_message_is_skipped(world):
    assert deliver(987654) == Outcome.SKIPPED


@override_settings(SMS_BACKEND=BROKEN, SMS_GATEWAY_TOKEN="s3cr3t-token")
def test_a_failure_is_recorded_and_retried_after_a_minute_without_leaking_the_token(world):
    message = make_message()
    before = timezone.now()
    assert deliver(message.pk) == Outcome.RETRY
    after = timezone.now()
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.attempts == 1
    assert message.last_error.startswith("ConnectionError: gateway said no")
    assert "s3cr3t-token" not in message.last_error
    assert "123456" not in message.last_error
    assert before + timedelta(minutes=1) <= message.next_attempt_at <= after + timedelta(minutes=1)


def test_backoff_doubles_up_to_a_cap():
    assert [backoff(n) for n in range(1, 6)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert backoff(7) == timedelta(minutes=60)
    assert backoff(50) == timedelta(hours=1)


@override_settings(SMS_BACKEND=BROKEN)
def test_a_message_fails_for_good_after_its_last_attempt(world):
    message = make_message(max_attempts=6)
    waits = []
    for attempt in range(1, 7):
        make_due(message)
        started = timezone.now()
        outcome = deliver(message.pk)
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < 6:
            assert outcome == Outcome.RETRY
            assert message.status == Status.PENDING
            waits.append(round((message.next_attempt_at - started).total_seconds() / 60))
        else:
            assert outcome == Outcome.FAILED
            assert message.status == Status.FAILED
    assert waits == [1, 2, 4, 8, 16]
    make_due(message)
    assert deliver(message.pk) == Outcome.SKIPPED
    message.refresh_from_db()
    assert message.attempts == 6


@override_settings(SMS_BACKEND=BROKEN)
def test_a_message_that_failed_then_succeeds_is_sent_and_its_error_cleared(world):
    message = make_message()
    deliver(message.pk)
    make_due(message)
    with override_settings(SMS_BACKEND="jamaa.notifications.backends.MemorySmsBackend"):
        assert deliver(message.pk) == Outcome.SENT
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 2, "")


def test_a_row_claimed_by_a_worker_that_died_is_retried_after_the_lease(world):
    message = make_message()
    # A worker claimed the row and died before recording the outcome.
    delivery._claim(message.pk, timezone.now())
    assert deliver(message.pk) == Outcome.SKIPPED
    message.refresh_from_db()
    assert message.next_attempt_at > timezone.now()
    make_due(message)
    assert deliver(message.pk) == Outcome.SENT


def test_an_unknown_channel_fails_without_crashing_the_worker(world):
    message = make_message(channel="fax")
    assert deliver(message.pk) == Outcome.RETRY
    message.refresh_from_db()
    assert "fax" in message.last_error


# The periodic sweep


def test_the_sweep_enqueues_a_job_for_a_retry_whose_wait_is_over(world):
    with override_settings(SMS_BACKEND=BROKEN):
        message = queue_message(channel="sms", recipient="+212612345678", template="test_notice",
                                context={"code": "1"}, language="ar")
        deliver(message.pk)
    assert len(delivery_jobs(message.pk)) == 1  # the job of queue_message
    assert enqueue_due_messages() == 0  # the retry is not due yet
    in_two_minutes = timezone.now() + timedelta(minutes=2)
    assert enqueue_due_messages(now=in_two_minutes) == 1
    assert len(delivery_jobs(message.pk)) == 2
    assert enqueue_due_messages(now=in_two_minutes) == 0  # it has a job now
    assert len(delivery_jobs(message.pk)) == 2


def test_the_sweep_does_not_duplicate_the_job_of_a_fresh_message(world):
    message = queue_message(channel="sms", recipient="+212612345678", template="test_notice",
                            context={"code": "1"}, language="ar")
    assert enqueue_due_messages() == 0
    assert len(delivery_jobs(message.pk)) == 1


def test_the_periodic_job_replaces_a_lost_job(world):
    message = make_message(enqueued_at=timezone.now() - timedelta(minutes=11),
                           next_attempt_at=timezone.now() - timedelta(minutes=11))
    assert retry_due_messages.call() == 1
    assert len(delivery_jobs(message.pk)) == 1
    assert retry_due_messages.call() == 0


def test_the_sweep_ignores_sent_and_failed_messages(world):
    make_message(status=Status.SENT, next_attempt_at=timezone.now() - timedelta(hours=1))
    make_message(status=Status.FAILED, next_attempt_at=timezone.now() - timedelta(hours=1))
    assert enqueue_due_messages() == 0
    assert delivery_jobs() == []


def test_failed_messages_can_be_queued_again(world):
    failed = make_message(status=Status.FAILED, attempts=6, last_error="HTTP 500")
    sent = make_message(status=Status.SENT)
    assert requeue_messages(OutboundMessage.objects.all()) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (Status.PENDING, 0, "")
    assert len(delivery_jobs(failed.pk)) == 1
    assert delivery_jobs(sent.pk) == []


def test_delivery_errors_are_plain_text():
    assert str(DeliveryError("SMS gateway answered HTTP 500")) == "SMS gateway answered HTTP 500"
