"""How often one address may ask for a verification through the forms and the API.

Verifying is public and needs no account, so the only brake on abuse (a script uploading PDFs in a loop, each one
costing a signature check) is a count of requests per client address in a fixed window, kept in the cache like the
wrong attempts of /track/ (`jamaa.cases.views`). Every request counts, not only failures: there is nothing to guess
here, only work to spare. The QR page (`/V/…`) is not limited: it is what a phone camera opens, it costs one ES256
check, and a counter that scans all day must never be told to wait.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from jamaa.core.audit import client_ip

WINDOW_SECONDS = 10 * 60
# Verifications per address and window: the pages (paste the code, upload a PDF) and the JSON API.
PAGE_LIMIT = 60
API_LIMIT = 300


def _key(scope: str, request: HttpRequest) -> str:
    return f"jamaa:documents:verify:{scope}:{client_ip(request) or 'unknown'}"


def allow(request: HttpRequest, scope: str, limit: int) -> bool:
    """Count this request; False when the address already made `limit` requests in the current window."""
    key = _key(scope, request)
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit


def wait_minutes() -> int:
    return WINDOW_SECONDS // 60
