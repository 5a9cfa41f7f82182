"""The outbox: every SMS and e-mail the platform sends is a row, delivered by the task worker."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamaa.core.models import Commune


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundMessageQuerySet(models.QuerySet["OutboundMessage"]):
    def due(self, now: datetime | None = None) -> OutboundMessageQuerySet:
        """Pending messages whose next attempt is now or past."""
        return self.filter(status=Status.PENDING, next_attempt_at__lte=now or timezone.now())

    def needing_a_job(self, now: datetime, stale_after: timedelta) -> OutboundMessageQuerySet:
        """Due messages with no delivery job enqueued since they became due, or whose job is so old that it was
        probably lost (the worker died, the job row was pruned)."""
        return self.due(now).filter(
            models.Q(enqueued_at__isnull=True)
            | models.Q(enqueued_at__lt=models.F("next_attempt_at"))
            | models.Q(enqueued_at__lt=now - stale_after)
        )

    def for_outbox_page(self, commune: Commune | None) -> OutboundMessageQuerySet:
        """The messages a tester may read on a commune's (or the platform's) development outbox page."""
        if commune is None:
            return self.filter(commune__isnull=True)
        return self.filter(models.Q(commune=commune) | models.Q(commune__isnull=True))


class OutboundMessage(models.Model):
    # Not commune-scoped by manager: the worker delivers for every commune; the commune is kept for the record.
    commune = models.ForeignKey(Commune, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="outbound_messages")
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    template = models.CharField(_("template"), max_length=80)
    language = models.CharField(_("language"), max_length=3)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a delivery job was last enqueued for the row: the periodic sweep re-enqueues only rows without one.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.template})"
