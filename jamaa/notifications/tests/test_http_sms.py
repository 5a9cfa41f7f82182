"""The HTTP SMS gateway backend against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import override_settings

from jamaa.notifications.backends import DeliveryError, HttpSmsBackend
from jamaa.notifications.delivery import Outcome, deliver
from jamaa.notifications.models import OutboundMessage, Status

TOKEN = "gw-token-7f3a9c"


@dataclass
class Gateway:
    url: str
    status: int = 200
    delay: threading.Event | None = None
    location: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if state.delay is not None:
                state.delay.wait(10)  # longer than the client's timeout; released at teardown
            try:
                self.send_response(state.status)
                if state.location:
                    self.send_header("Location", state.location)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": "abc"}')
            except OSError:
                pass  # the client gave up (timeout)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    state = Gateway(url=f"http://{host}:{port}/sms")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        if state.delay is not None:
            state.delay.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def backend(gateway: Gateway, **kwargs: Any) -> HttpSmsBackend:
    options = {"url": gateway.url, "token": TOKEN, "sender": "JAMAA", "timeout": 5}
    options.update(kwargs)
    return HttpSmsBackend(**options)


def test_it_posts_json_with_the_bearer_token(gateway):
    backend(gateway).send(to="+212612345678", text="رمزك: 123456")
    [request] = gateway.requests
    assert request["path"] == "/sms"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"]) == {"to": "+212612345678", "from": "JAMAA", "text": "رمزك: 123456"}


def test_it_accepts_any_2xx(gateway):
    gateway.status = 202
    backend(gateway).send(to="+212612345678", text="x")
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_an_error_status_raises_without_the_token(gateway, status):
    gateway.status = status
    with pytest.raises(DeliveryError) as info:
        backend(gateway).send(to="+212612345678", text="x")
    assert str(info.value) == f"SMS gateway answered HTTP {status}"
    assert TOKEN not in str(info.value)


def test_a_redirect_is_not_followed(gateway):
    # urllib would repeat a redirected POST as a GET without the message: the SMS would silently be lost.
    gateway.status = 302
    gateway.location = gateway.url + "/elsewhere"
    with pytest.raises(DeliveryError, match="HTTP 302"):
        backend(gateway).send(to="+212612345678", text="x")
    assert len(gateway.requests) == 1


def test_a_gateway_that_does_not_answer_in_time_raises(gateway):
    gateway.delay = threading.Event()
    with pytest.raises(DeliveryError, match="unreachable"):
        backend(gateway, timeout=0.3).send(to="+212612345678", text="x")


def test_a_gateway_that_is_down_raises():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    with pytest.raises(DeliveryError, match="unreachable"):
        HttpSmsBackend(url=f"http://127.0.0.1:{port}/sms", token=TOKEN, sender="JAMAA", timeout=2).send(
            to="+212612345678", text="x")


@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "ftp://127.0.0.1/sms"])
def test_a_missing_or_odd_gateway_address_raises(url):
    with pytest.raises(DeliveryError):
        HttpSmsBackend(url=url, token=TOKEN, sender="JAMAA", timeout=1).send(to="+212612345678", text="x")


@pytest.mark.django_db
def test_the_outbox_retries_after_a_gateway_error_and_sends_when_it_is_back(world, gateway):
    message = OutboundMessage.objects.create(channel="sms", recipient="+212612345678", template="test_notice",
                                             language="ar", body="رمزك: 123456")
    with override_settings(SMS_BACKEND="jamaa.notifications.backends.HttpSmsBackend", SMS_GATEWAY_URL=gateway.url,
                           SMS_GATEWAY_TOKEN=TOKEN, SMS_GATEWAY_TIMEOUT=5):
        gateway.status = 500
        assert deliver(message.pk) == Outcome.RETRY
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (
            Status.PENDING, 1, "SMS gateway answered HTTP 500")
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
        gateway.status = 200
        assert deliver(message.pk) == Outcome.SENT
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 2, "")
    assert len(gateway.requests) == 2
