"""Channel backends: e-mail through Django's e-mail backends, SMS through a configurable backend."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from jamaa.notifications.models import OutboundMessage


class ConsoleSmsBackend:
    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {to}] {text}\n")
        sys.stdout.flush()


class MemorySmsBackend:
    """Keeps sent SMS in `MemorySmsBackend.outbox` (tests)."""

    outbox: list[dict[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        MemorySmsBackend.outbox.append({"to": to, "text": text})


class HttpSmsBackend:
    def send(self, *, to: str, text: str) -> None:  # completed by the outbox work
        raise RuntimeError("HTTP SMS gateway backend not configured")


def send(message: OutboundMessage) -> None:
    if message.channel == "email":
        EmailMessage(subject=message.subject, body=message.body, to=[message.recipient]).send()
    else:
        import_string(settings.SMS_BACKEND)().send(to=message.recipient, text=message.body)
