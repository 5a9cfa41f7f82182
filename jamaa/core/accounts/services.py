"""Citizen accounts: sign-up, confirmation codes, password reset and profile changes.

Every write goes through a keyword-only, atomic service that writes its audit event in the same transaction.
Confirmation codes are 6 digits from `secrets`; only an HMAC of the code is stored, checked in constant time,
with an expiry, a limited number of wrong tries, a resend cooldown and an hourly cap per user and purpose.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from jamaa.core import audit
from jamaa.core.identifiers import Identifier
from jamaa.core.models import Commune, User, VerificationCode, VerificationPurpose
from jamaa.notifications.services import notify_user

CODE_TEMPLATES = {
    VerificationPurpose.SIGNUP: "verification_code",
    VerificationPurpose.PASSWORD_RESET: "password_reset_code",
}


class SendLimited(Exception):
    """A new code may not be sent yet: `reason` is "cooldown" or "hourly", `retry_after` in seconds."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = max(1, retry_after)


class CodeOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # too many wrong tries: the code is dead
    MISSING = "missing"  # no usable code (never sent, already used)


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome
    attempts_left: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is CodeOutcome.OK


def _code_hash(*, user_id: int, purpose: str, code: str) -> str:
    # Bound to the user and the purpose, so a sign-up code can never reset a password.
    return salted_hmac("jamaa.accounts.verification-code", f"{user_id}:{purpose}:{code}",
                       algorithm="sha256").hexdigest()


def generate_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _latest_code(user: User, purpose: str, *, for_update: bool = False) -> VerificationCode | None:
    qs = VerificationCode.objects.filter(user=user, purpose=purpose)
    if for_update:
        qs = qs.select_for_update()
    return qs.order_by("-created_at", "-id").first()


def check_send_allowed(*, user: User, purpose: str, now: datetime | None = None) -> None:
    """Raise SendLimited when the cooldown or the hourly cap forbids a new code now."""
    now = now or timezone.now()
    latest = _latest_code(user, purpose)
    cooldown = timedelta(seconds=settings.VERIFICATION_RESEND_COOLDOWN_SECONDS)
    if latest is not None and latest.created_at > now - cooldown:
        raise SendLimited("cooldown", math.ceil((latest.created_at + cooldown - now).total_seconds()))
    hour_ago = now - timedelta(hours=1)
    recent = list(
        VerificationCode.objects.filter(user=user, purpose=purpose, created_at__gt=hour_ago)
        .order_by("created_at").values_list("created_at", flat=True)
    )
    if len(recent) >= settings.VERIFICATION_MAX_SENDS_PER_HOUR:
        # Allowed again when the oldest send of the window leaves it.
        oldest = recent[len(recent) - settings.VERIFICATION_MAX_SENDS_PER_HOUR]
        raise SendLimited("hourly", math.ceil((oldest + timedelta(hours=1) - now).total_seconds()))


@transaction.atomic
def send_code(*, user: User, purpose: str, commune: Commune | None) -> VerificationCode:
    """Create a code, invalidate the older ones, and queue the message in the user's language.

    Raises SendLimited (nothing is written then)."""
    # Serialise concurrent sends for one user so the limits hold (a row lock on PostgreSQL; SQLite's
    # IMMEDIATE transactions already serialise writers).
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    now = timezone.now()
    check_send_allowed(user=user, purpose=purpose, now=now)
    VerificationCode.objects.filter(
        user=user, purpose=purpose, consumed_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    code = generate_code()
    ttl = settings.VERIFICATION_CODE_TTL_SECONDS
    record = VerificationCode.objects.create(
        user=user, purpose=purpose, channel=user.contact_channel, destination=user.contact_address,
        code_hash=_code_hash(user_id=user.pk, purpose=purpose, code=code),
        expires_at=now + timedelta(seconds=ttl), created_at=now,
    )
    notify_user(
        user, template=CODE_TEMPLATES[VerificationPurpose(purpose)], commune=commune,
        context={"code": code, "minutes": max(1, ttl // 60)},
    )
    return record


def _check_code(*, user: User, purpose: str, code: str) -> CodeCheck:
    """Check `code` against the user's latest code for `purpose`; must run inside a transaction.

    A wrong try is counted (and committed: the callers return a result instead of raising)."""
    record = _latest_code(user, purpose, for_update=True)
    max_attempts = settings.VERIFICATION_CODE_MAX_ATTEMPTS
    if record is None or record.consumed_at is not None:
        return CodeCheck(CodeOutcome.MISSING)
    if record.attempts >= max_attempts:
        return CodeCheck(CodeOutcome.EXHAUSTED)
    now = timezone.now()
    if record.expires_at <= now:
        return CodeCheck(CodeOutcome.EXPIRED)
    expected = _code_hash(user_id=user.pk, purpose=purpose, code=code)
    if not constant_time_compare(expected, record.code_hash):
        record.attempts += 1
        record.save(update_fields=["attempts"])
        left = max_attempts - record.attempts
        if left <= 0:
            return CodeCheck(CodeOutcome.EXHAUSTED)
        return CodeCheck(CodeOutcome.WRONG, attempts_left=left)
    record.consumed_at = now
    record.save(update_fields=["consumed_at"])
    return CodeCheck(CodeOutcome.OK)


@transaction.atomic
def signup_citizen(
    *, full_name: str, identifier: Identifier, password: str, language: str, commune: Commune | None,
    request: HttpRequest | None = None,
) -> User:
    """Create an unconfirmed account and send its confirmation code.

    Raises IntegrityError when the identifier was registered meanwhile."""
    user = User(
        username=identifier.value, full_name=full_name.strip(), language=language,
        contact_verified=False, signup_commune=commune,
    )
    setattr(user, identifier.kind, identifier.value)
    user.set_password(password)
    user.full_clean(exclude=["password", "username", "phone", "email"])
    user.save()
    audit.record(action="account.signup", commune=commune, actor=user, target=user, request=request,
                 details={"channel": user.contact_channel})
    # A brand-new account has no earlier code, so the limits cannot refuse this first send.
    send_code(user=user, purpose=VerificationPurpose.SIGNUP, commune=commune)
    return user


@transaction.atomic
def confirm_signup(*, user: User, code: str, commune: Commune | None,
                   request: HttpRequest | None = None) -> CodeCheck:
    result = _check_code(user=user, purpose=VerificationPurpose.SIGNUP, code=code)
    if result.ok:
        user.contact_verified = True
        user.save(update_fields=["contact_verified"])
        audit.record(action="account.verified", commune=commune, actor=user, target=user, request=request,
                     details={"channel": user.contact_channel})
    return result


@transaction.atomic
def reset_password_with_code(
    *, user: User, code: str, new_password: str, commune: Commune | None, request: HttpRequest | None = None,
) -> CodeCheck:
    """Set a new password when the reset code is right; every other session of the user ends."""
    result = _check_code(user=user, purpose=VerificationPurpose.PASSWORD_RESET, code=code)
    if result.ok:
        user.set_password(new_password)
        user.session_version += 1
        # The code reached the phone or mailbox, which proves the identifier as well as a sign-up code would.
        user.contact_verified = True
        user.save(update_fields=["password", "session_version", "contact_verified"])
        audit.record(action="account.password_reset", commune=commune, actor=user, target=user,
                     request=request)
    return result


@transaction.atomic
def record_login(*, user: User, commune: Commune | None, request: HttpRequest | None = None) -> None:
    audit.record(action="account.login", commune=commune, actor=user, target=user, request=request)


@transaction.atomic
def update_profile(
    *, user: User, full_name: str, language: str, cin: str | None, remove_cin: bool,
    commune: Commune | None, request: HttpRequest | None = None,
) -> list[str]:
    """Change the name, language and CIN; return the names of the fields that changed.

    The CIN value never reaches the audit log: the event only says that it changed."""
    changed: list[str] = []
    full_name = full_name.strip()
    if full_name != user.full_name:
        user.full_name = full_name
        changed.append("full_name")
    if language != user.language:
        user.language = language
        changed.append("language")
    if remove_cin and user.cin:
        user.cin = ""
        changed.append("cin")
    elif cin and cin != user.cin:
        user.cin = cin
        changed.append("cin")
    if changed:
        user.full_clean(exclude=["password", "username", "phone", "email"])
        user.save(update_fields=changed)
        audit.record(action="account.profile_changed", commune=commune, actor=user, target=user,
                     request=request, details={"fields": changed})
    return changed


@transaction.atomic
def change_password(*, user: User, new_password: str, commune: Commune | None,
                    request: HttpRequest | None = None) -> None:
    """A new password ends the user's other sessions (the session hash includes the password)."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(action="account.password_changed", commune=commune, actor=user, target=user, request=request)
