"""Confirming the phone number or e-mail address of someone who files a complaint without an account.

A 6-digit code from `secrets` goes by SMS (a Moroccan mobile number) or e-mail; only an HMAC of it is kept, bound to
the check's random token, so a code can confirm nothing else. It works for CODE_TTL_MINUTES, allows MAX_ATTEMPTS
wrong tries, and a confirmed check is used by one complaint (`complaint_submit(contact=...)` marks it used).

Codes sent to one phone number or address are limited per hour (settings.COMPLAINT_PER_CONTACT_HOUR, counted in the
database across communes, so nobody can use the platform to flood someone's phone) with a short wait between two
codes (settings.VERIFICATION_RESEND_COOLDOWN_SECONDS).
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jamaa.complaints.models import ContactCheck
from jamaa.core import audit
from jamaa.core.identifiers import Identifier, mask_email, mask_phone, parse_identifier
from jamaa.core.models import Commune
from jamaa.notifications.models import Channel
from jamaa.notifications.services import queue_message

CODE_TTL_MINUTES = 10
MAX_ATTEMPTS = 5
CODE_TEMPLATE = "complaint_contact_code"
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class ContactLimited(Exception):
    """No new code may be sent to this recipient now: `reason` is "cooldown" or "hourly", `retry_after` in
    seconds."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = max(1, retry_after)

    @property
    def message(self) -> str:
        if self.reason == "cooldown":
            return str(_("A code was just sent. Wait a minute before asking for a new one."))
        minutes = max(1, math.ceil(self.retry_after / 60))
        return (ngettext(
            "Too many codes were sent to this number or address. Try again in %(minutes)d minute, or file "
            "anonymously.",
            "Too many codes were sent to this number or address. Try again in %(minutes)d minutes, or file "
            "anonymously.", minutes) % {"minutes": minutes})


def parse_contact(raw: str) -> Identifier:
    """A Moroccan mobile number (E.164) or an e-mail address (lower case); ValidationError with a clear message."""
    return parse_identifier(raw)


def masked(check: ContactCheck) -> str:
    """The recipient as the page shows it: enough to recognise it, not to read it over a shoulder."""
    return mask_phone(check.recipient) if check.channel == Channel.SMS else mask_email(check.recipient)


def normalise_code(raw: str) -> str:
    return "".join((raw or "").split()).replace("-", "").translate(ARABIC_DIGITS)


def _code_hash(token: str, code: str) -> str:
    return salted_hmac("jamaa.complaints.contact-code", f"{token}:{code}", algorithm="sha256").hexdigest()


def check_send_allowed(recipient: str, now: datetime | None = None) -> None:
    """Raise ContactLimited when the wait between two codes or the hourly cap forbids a new code now."""
    now = now or timezone.now()
    hour_ago = now - timedelta(hours=1)
    recent = list(ContactCheck.all_communes.filter(recipient=recipient, created_at__gt=hour_ago)
                  .order_by("created_at").values_list("created_at", flat=True))
    cooldown = timedelta(seconds=settings.VERIFICATION_RESEND_COOLDOWN_SECONDS)
    if recent and recent[-1] > now - cooldown:
        raise ContactLimited("cooldown", math.ceil((recent[-1] + cooldown - now).total_seconds()))
    cap = settings.COMPLAINT_PER_CONTACT_HOUR
    if len(recent) >= cap:
        oldest = recent[len(recent) - cap]  # the window frees up when this one leaves it
        raise ContactLimited("hourly", math.ceil((oldest + timedelta(hours=1) - now).total_seconds()))


@transaction.atomic
def contact_check_start(*, commune: Commune, raw: str, language: str, now: datetime | None = None) -> ContactCheck:
    """Send a code to the phone number or e-mail address typed in `raw`, in `language`.

    Raises ValidationError (field "contact") for something that is neither a Moroccan mobile number nor an e-mail
    address, and ContactLimited when no code may be sent now (nothing is written then)."""
    try:
        identifier = parse_contact(raw)
    except ValidationError as exc:
        raise ValidationError({"contact": exc.messages}) from exc
    now = now or timezone.now()
    check_send_allowed(identifier.value, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    token = secrets.token_urlsafe(32)
    channel = Channel.SMS if identifier.kind == "phone" else Channel.EMAIL
    check = ContactCheck.all_communes.create(
        commune=commune, channel=channel, recipient=identifier.value, code_hash=_code_hash(token, code), token=token,
        created_at=now, expires_at=now + timedelta(minutes=CODE_TTL_MINUTES),
    )
    queue_message(channel=channel, recipient=identifier.value, template=CODE_TEMPLATE, language=language,
                  commune=commune, context={"code": code, "minutes": CODE_TTL_MINUTES})
    audit.record(action="complaint.contact_code_sent", commune=commune, target=check, target_label=masked(check),
                 details={"channel": channel})
    return check


def contact_check_confirm(*, check: ContactCheck, code: str, now: datetime | None = None) -> ContactCheck:
    """Confirm the check with the code the person typed; returns the confirmed check (already confirmed: as is).

    Raises ValidationError on the field "code": wrong code (the try is counted and kept), expired, too many wrong
    tries, or already used."""
    now = now or timezone.now()
    typed = normalise_code(code)
    problem: str = ""
    with transaction.atomic():
        locked = ContactCheck.all_communes.select_for_update().get(pk=check.pk)
        if locked.used_at is not None:
            problem = str(_("This code was already used for a complaint. Ask for a new code."))
        elif locked.confirmed_at is not None:
            pass
        elif locked.attempts >= MAX_ATTEMPTS:
            problem = str(_("Too many wrong codes. Ask for a new code."))
        elif locked.expires_at <= now:
            problem = str(_("This code has expired. Ask for a new code."))
        elif not typed.isdigit() or len(typed) != 6:
            problem = str(_("The code has 6 digits."))
        elif not constant_time_compare(_code_hash(locked.token, typed), locked.code_hash):
            locked.attempts += 1
            locked.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - locked.attempts
            if left <= 0:
                problem = str(_("Too many wrong codes. Ask for a new code."))
            else:
                problem = (ngettext("Wrong code. %(count)d try left.", "Wrong code. %(count)d tries left.",
                                            left) % {"count": left})
        else:
            locked.confirmed_at = now
            locked.save(update_fields=["confirmed_at"])
    # Raised after the block: a wrong try stays counted.
    if problem:
        raise ValidationError({"code": [problem]})
    check.attempts, check.confirmed_at = locked.attempts, locked.confirmed_at
    return locked
