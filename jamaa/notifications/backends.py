"""Channel backends: e-mail through Django's mailers (settings.MAILERS), SMS through settings.SMS_BACKEND.

A backend either returns (the message was handed over) or raises (the delivery is retried later)."""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from jamaa.notifications.models import OutboundMessage

logger = logging.getLogger("jamaa.notifications")


class DeliveryError(Exception):
    """A channel refused or could not take a message; the text is safe to store (no secret, no message body)."""


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


class ConsoleSmsBackend:
    """Development: prints the SMS on the worker's standard output."""

    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {to}] {text}\n")
        sys.stdout.flush()


class MemorySmsBackend:
    """Tests: keeps sent SMS in `MemorySmsBackend.outbox` (emptied before each test by the test suite)."""

    outbox: ClassVar[list[dict[str, str]]] = []
    _lock = threading.Lock()

    def send(self, *, to: str, text: str) -> None:
        with MemorySmsBackend._lock:
            MemorySmsBackend.outbox.append({"to": to, "text": text})


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib turns a redirected POST into a GET without the body: a gateway that redirects did not get the SMS."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


class HttpSmsBackend:
    """Production: POSTs {"to", "from", "text"} as JSON to SMS_GATEWAY_URL with `Authorization: Bearer
    SMS_GATEWAY_TOKEN`. Any answer other than 2xx, a timeout or a network error raises DeliveryError."""

    def __init__(self, *, url: str | None = None, token: str | None = None, sender: str | None = None,
                 timeout: float | None = None) -> None:
        self.url = url if url is not None else settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.sender = sender if sender is not None else settings.SMS_SENDER
        self.timeout = float(timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT)
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, *, to: str, text: str) -> None:
        if not self.url:
            raise DeliveryError("SMS_GATEWAY_URL is not set")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise DeliveryError("SMS_GATEWAY_URL must be an http:// or https:// address")
        payload = json.dumps({"to": to, "from": self.sender, "text": text}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "Jamaa"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read(4096)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryError(f"SMS gateway answered HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            raise DeliveryError(f"SMS gateway unreachable: {_reason(exc.reason)}") from None
        except (TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMS gateway unreachable: {_reason(exc)}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"SMS gateway answered HTTP {status}")


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, BaseException):
        return reason.__class__.__name__
    return str(reason)[:100]


def sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_email(message: OutboundMessage) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.recipient],
        headers={"Content-Language": message.language, "Auto-Submitted": "auto-generated"},
    )
    sent = mail.mailers.default.send_messages([email])
    if sent == 0:
        raise DeliveryError("the mail server accepted no recipient")


def send(message: OutboundMessage) -> None:
    """Hand one outbox row to its channel."""
    if message.channel == "email":
        send_email(message)
    elif message.channel == "sms":
        sms_backend().send(to=message.recipient, text=message.body)
    else:
        raise DeliveryError(f"unknown channel {message.channel!r}")
