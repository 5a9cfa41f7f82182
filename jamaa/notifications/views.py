"""The development outbox page: the messages the platform sent, so that a tester can read verification codes.

It exists only when settings.DEV_OUTBOX_PAGE is on (by default when DEBUG is on); otherwise it answers 404."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from jamaa.notifications.models import OutboundMessage

PAGE_SIZE = 25


def _before_id(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    if raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


@never_cache
@require_safe
def outbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEV_OUTBOX_PAGE:
        raise Http404
    commune = getattr(request, "commune", None)
    messages = OutboundMessage.objects.for_outbox_page(commune).order_by("-id")
    before = _before_id(request)
    if before is not None:
        messages = messages.filter(id__lt=before)
    page = list(
        messages.only("id", "channel", "recipient", "template", "language", "subject", "body", "status",
                      "attempts", "last_error", "created_at", "sent_at")[: PAGE_SIZE + 1]
    )
    has_older = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    context = {
        "outbox_messages": page,
        "older_than": page[-1].pk if has_older else None,
        "is_first_page": before is None,
    }
    response = render(request, "notifications/dev_outbox.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
