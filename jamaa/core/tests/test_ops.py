"""Operations: security headers, static files, structured logs, the gunicorn configuration.

(/healthz is tested in test_healthz.py; the production stack end to end in test_ops_production.py.)"""

from __future__ import annotations

import io
import json
import logging
import re
import runpy
from pathlib import Path

import pytest

from jamaa.core.logs import JsonFormatter
from jamaa.core.models import User

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parents[3]


# --- security headers --------------------------------------------------------------------------------------------


def test_pages_carry_the_security_headers(world, sale_client):
    response = sale_client.get("/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_the_csp_nonce_is_fresh_on_every_response_and_used_by_the_page(world, sale_client):
    nonces = []
    for _ in range(2):
        response = sale_client.get("/")
        match = re.search(r"script-src [^;]*'nonce-([^']+)'", response["Content-Security-Policy"])
        assert match, response["Content-Security-Policy"]
        nonce = match.group(1)
        body = response.content.decode()
        # The page's own <script> and <style> elements carry the nonce, and none lacks it.
        tags = re.findall(r"<(?:script|style)\b[^>]*>", body)
        assert tags
        assert all(f'nonce="{nonce}"' in tag for tag in tags), tags
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_error_pages_carry_the_security_headers_too(world, sale_client):
    response = sale_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


# --- static files ------------------------------------------------------------------------------------------------


def test_static_files_are_served_by_whitenoise(world, sale_client):
    response = sale_client.get("/static/jamaa/jamaa.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert type(response).__module__.startswith("whitenoise")
    assert b"--brand" in b"".join(response.streaming_content)


def test_a_missing_static_file_is_a_404(world, sale_client):
    assert sale_client.get("/static/jamaa/nothing-here.css").status_code == 404


# --- structured logs ---------------------------------------------------------------------------------------------


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_each_request_is_one_json_log_line_with_its_commune(world, sale_client, json_log):
    sale_client.get("/fr/")
    lines = [line for line in _lines(json_log) if line["logger"] == "jamaa.request"]
    assert len(lines) == 1
    line = lines[0]
    assert {"time", "level", "message", "method", "path", "status", "duration_ms", "commune", "user_id"} <= set(line)
    assert (line["method"], line["path"], line["status"], line["commune"]) == ("GET", "/fr/", 200, "sale")


def test_logs_hold_no_password_and_no_cin(world, sale_client, json_log):
    citizen = world.citizen_sale
    citizen.cin = "AB123456"
    citizen.save()
    sale_client.post("/accounts/login/", {"username": citizen.username, "password": world.password})
    sale_client.post("/accounts/login/", {"username": citizen.username, "password": "Wrong-Password-123"})
    sale_client.force_login(citizen)
    sale_client.get("/accounts/profile/")
    sale_client.post("/accounts/profile/", {"full_name": citizen.full_name, "cin": "CD654321"})
    text = json_log.getvalue()
    assert _lines(json_log)
    for secret in (world.password, "Wrong-Password-123", "AB123456", "CD654321", "654321", "123456"):
        assert secret not in text


def test_a_user_in_a_log_record_is_represented_without_personal_data(world):
    user = User.objects.get(pk=world.citizen_sale.pk)
    record = logging.makeLogRecord({"msg": "looked at %r", "args": (user,), "name": "jamaa.test"})
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == f"looked at <User {user.pk}>"


# --- gunicorn configuration -------------------------------------------------------------------------------------


def _gunicorn_config(monkeypatch, **env: str) -> dict[str, object]:
    for name in ("GUNICORN_BIND", "PORT", "GUNICORN_WORKERS", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_gunicorn_binds_and_sizes_from_the_environment(monkeypatch):
    import multiprocessing

    defaults = _gunicorn_config(monkeypatch)
    assert defaults["bind"] == ["0.0.0.0:8000"]
    assert defaults["workers"] == multiprocessing.cpu_count() * 2 + 1
    assert defaults["wsgi_app"] == "jamaa.wsgi:application"
    assert defaults["forwarded_allow_ips"] == "127.0.0.1,::1"
    configured = _gunicorn_config(monkeypatch, GUNICORN_BIND="unix:/run/jamaa.sock", GUNICORN_WORKERS="3",
                                  FORWARDED_ALLOW_IPS="10.0.0.0/8")
    assert configured["bind"] == ["unix:/run/jamaa.sock"]
    assert configured["workers"] == 3
    assert configured["forwarded_allow_ips"] == "10.0.0.0/8"


def test_the_gunicorn_access_log_format_is_json(monkeypatch):
    config = _gunicorn_config(monkeypatch)
    atoms = {"t": "[27/Nov/2026:10:00:00 +0000]", "h": "203.0.113.9", "m": "GET", "U": "/fr/", "s": "200",
             "B": "5120", "M": "12", "{host}i": "sale.example.ma", "a": 'Mozilla/5.0 "quoted"'}
    line = str(config["access_log_format"]) % {k: v.replace('"', '\\"') for k, v in atoms.items()}
    assert json.loads(line)["path"] == "/fr/"
    assert "%(q)s" not in str(config["access_log_format"])  # no query strings in logs


@pytest.mark.parametrize(("peer", "forwarded", "allowed", "client"), [
    ("127.0.0.1", "203.0.113.9", "127.0.0.1,::1", "203.0.113.9"),
    # A client cannot choose its address by sending the header itself: only the proxies' entries count.
    ("127.0.0.1", "198.51.100.1, 203.0.113.9", "127.0.0.1,::1", "203.0.113.9"),
    ("10.0.0.5", "203.0.113.9, 10.0.0.4", "10.0.0.0/8", "203.0.113.9"),
    # The header of an untrusted peer is ignored.
    ("198.51.100.7", "203.0.113.9", "127.0.0.1,::1", "198.51.100.7"),
    ("127.0.0.1", "not-an-address", "127.0.0.1", "127.0.0.1"),
    ("10.0.0.5", "198.51.100.1, 203.0.113.9", "*", "203.0.113.9"),
])
def test_the_client_address_is_taken_from_trusted_proxies_only(monkeypatch, peer, forwarded, allowed, client):
    config = _gunicorn_config(monkeypatch)
    seen = {}

    def app(environ, start_response):
        seen["ip"] = environ["REMOTE_ADDR"]
        return [b""]

    wrapped = config["client_address_from_proxy"](app, allowed)  # type: ignore[operator]
    wrapped({"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": forwarded}, lambda *a: None)
    assert seen["ip"] == client
