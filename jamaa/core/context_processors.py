from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def jamaa(request: HttpRequest) -> dict[str, Any]:
    from jamaa.core.permissions import membership_for

    commune = getattr(request, "commune", None)
    membership = membership_for(request) if commune is not None else None
    return {
        "commune": commune,
        "membership": membership,
        "dev_outbox_page": settings.DEV_OUTBOX_PAGE,
    }
