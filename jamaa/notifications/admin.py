"""The outbox in the Django admin (platform operators): read-only, with an action to send failed messages again.

The message text is not shown: it may hold a verification code or a personal link."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jamaa.core import audit
from jamaa.notifications.models import OutboundMessage
from jamaa.notifications.services import requeue_messages


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "channel", "recipient", "template", "language", "status", "attempts",
                    "sent_at")
    list_filter = ("status", "channel", "template", "language")
    search_fields = ("recipient", "template")
    date_hierarchy = "created_at"
    fields = ("commune", "user", "channel", "recipient", "template", "language", "subject", "status", "attempts",
              "max_attempts", "next_attempt_at", "enqueued_at", "last_error", "created_at", "sent_at")
    readonly_fields = fields
    list_select_related = ()
    show_full_result_count = False
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboundMessage | None = None) -> bool:
        return False

    @admin.action(description=_("Send the selected failed messages again"), permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        with transaction.atomic():
            count = requeue_messages(queryset)
            if count:
                audit.record(action="outbox.requeued", commune=None, actor=request.user,  # type: ignore[arg-type]
                             request=request, details={"count": count})
        self.message_user(
            request,
            ngettext("%(count)d failed message was queued again.", "%(count)d failed messages were queued again.",
                     count) % {"count": count},
            messages.SUCCESS,
        )
