"""How often complaints may be filed, and codes sent, from one place.

Filing needs no account, so the brakes on abuse (a script filing in a loop, or asking for codes to flood someone's
phone with SMS) are counts in fixed one-hour windows, kept in the cache like the verification limits
(`jamaa.documents.throttle`):

- complaints filed without an account, per client address (settings.COMPLAINT_ANONYMOUS_PER_IP_HOUR), and per
  confirmed phone number or e-mail address (settings.COMPLAINT_PER_CONTACT_HOUR);
- complaints filed from an account, per account (ACCOUNT_PER_HOUR: a citizen reporting a street's worth of broken
  lamps is welcome; a script is not);
- every form post without an account, whatever its outcome (FLOOD_FACTOR times the filing limit): a flood of
  invalid posts is refused before any work is done (photos are re-encoded, which costs);
- codes sent per client address (CODE_FACTOR times the filing limit; the codes per phone number or e-mail address are
  counted in the database by `jamaa.complaints.contact`, which no cache reset can lift);
- the small fragments the form asks for while the citizen types (suggestions, nearby reports, questions).

Filings are counted when they succeed, not when they are refused for a typo: a citizen who corrects the form three
times has still filed one complaint. Phone numbers and e-mail addresses are hashed before they become cache keys.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from jamaa.core.audit import client_ip

WINDOW_SECONDS = 60 * 60
ACCOUNT_PER_HOUR = 30
FLOOD_FACTOR = 5
CODE_FACTOR = 2
FRAGMENTS_PER_HOUR = 1200


def _key(scope: str, who: str) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|complaints|{who}".encode()).hexdigest()[:32]
    return f"jamaa:complaints:limit:{scope}:{digest}"


def _count(scope: str, who: str) -> int:
    value = cache.get(_key(scope, who), 0)
    return value if isinstance(value, int) else 0


def _hit(scope: str, who: str) -> int:
    key = _key(scope, who)
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        return 1


def _ip(request: HttpRequest) -> str:
    return f"ip:{client_ip(request) or 'unknown'}"


def _account(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    return f"user:{user.pk}" if user is not None and user.is_authenticated else None


def wait_minutes() -> int:
    return WINDOW_SECONDS // 60


def post_allowed(request: HttpRequest) -> bool:
    """Count a form post made without an account; False once the address made too many this hour."""
    if _account(request) is not None:
        return True
    return _hit("posts", _ip(request)) <= settings.COMPLAINT_ANONYMOUS_PER_IP_HOUR * FLOOD_FACTOR


def filing_refused(request: HttpRequest, contact: str = "") -> str:
    """Why one more complaint may not be filed now ("account", "address", "contact"), or "" when it may."""
    account = _account(request)
    if account is not None:
        return "account" if _count("filed", account) >= ACCOUNT_PER_HOUR else ""
    if _count("filed", _ip(request)) >= settings.COMPLAINT_ANONYMOUS_PER_IP_HOUR:
        return "address"
    if contact and _count("filed", f"contact:{contact}") >= settings.COMPLAINT_PER_CONTACT_HOUR:
        return "contact"
    return ""


def count_filing(request: HttpRequest, contact: str = "") -> None:
    """A complaint was filed: count it for the account, or for the address and the contact."""
    account = _account(request)
    if account is not None:
        _hit("filed", account)
        return
    _hit("filed", _ip(request))
    if contact:
        _hit("filed", f"contact:{contact}")


def code_send_allowed(request: HttpRequest) -> bool:
    """Count a code sent from this address; False once it asked for too many this hour."""
    return _hit("codes", _ip(request)) <= settings.COMPLAINT_ANONYMOUS_PER_IP_HOUR * CODE_FACTOR


def fragment_allowed(request: HttpRequest) -> bool:
    return _hit("fragments", _account(request) or _ip(request)) <= FRAGMENTS_PER_HOUR
