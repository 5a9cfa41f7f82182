"""The production stack end to end: production settings, migrate, collectstatic, gunicorn with gunicorn.conf.py.

One gunicorn process is started for the module, in a clean environment with a throw-away SQLite database."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[3]
HOST = "sale.jamaa.example.ma"


@dataclass
class Server:
    port: int
    process: subprocess.Popen[str]
    var: Path

    def get(self, path: str, *, https: bool = True, host: str = HOST,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": host, **({"X-Forwarded-Proto": "https"} if https else {}), **(headers or {})}
        connection.request("GET", path, headers=sent)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    var = tmp_path_factory.mktemp("production")
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(var), "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "JAMAA_ENV": "production", "JAMAA_VAR_DIR": str(var),
        "SECRET_KEY": secrets.token_urlsafe(64), "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{var / 'jamaa.sqlite3'}",
        "ALLOWED_HOSTS": f"{HOST},jamaa.example.ma", "PLATFORM_HOST": "jamaa.example.ma",
        "SMS_GATEWAY_URL": "https://sms.example.ma/send",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1",
    }
    python = sys.executable
    for command in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([python, "manage.py", *command], cwd=BASE_DIR, env=env, check=True, timeout=300,
                       capture_output=True)
    log = (var / "gunicorn.log").open("w")
    process = subprocess.Popen([python, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=BASE_DIR, env=env,
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("gunicorn did not start:\n" + (var / "gunicorn.log").read_text())
            time.sleep(0.2)
    yield Server(port=port, process=process, var=var)
    process.terminate()
    process.wait(timeout=30)
    log.close()


def test_gunicorn_serves_the_landing_page_with_production_headers(server):
    status, headers, body = server.get("/", host="jamaa.example.ma")
    assert status == 200
    assert 'lang="ar" dir="rtl"' in body.decode()
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_plain_http_is_redirected_to_https(server):
    status, headers, _body = server.get("/", https=False)
    assert status == 301
    assert headers["location"] == f"https://{HOST}/"


def test_healthz_is_not_redirected_and_reports_the_missing_worker(server):
    status, _headers, body = server.get("/healthz", https=False)
    assert status == 503
    assert json.loads(body) == {"status": "unhealthy", "checks": {"database": "ok", "worker": "never seen"}}


def test_collected_static_files_are_served_compressed_and_versioned(server):
    manifest = json.loads((server.var / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["jamaa/jamaa.css"]
    assert hashed != "jamaa/jamaa.css"
    status, headers, _body = server.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "immutable" in headers["cache-control"]
    status, _headers, body = server.get("/", host="jamaa.example.ma")
    assert f"/static/{hashed}" in body.decode()


def test_an_unknown_host_is_refused_with_400(server):
    status, _headers, _body = server.get("/", host="attacker.example.com")
    assert status == 400


def test_the_access_log_is_one_json_object_per_request(server):
    server.get("/healthz", headers={"User-Agent": 'probe "quoted"/1.0'})
    time.sleep(0.2)  # let gunicorn flush its log line
    lines = [json.loads(line) for line in (server.var / "gunicorn.log").read_text().splitlines()
             if '"logger": "gunicorn.access"' in line]
    assert lines
    last = lines[-1]
    assert (last["method"], last["path"], last["status"]) == ("GET", "/healthz", 503)
    assert last["user_agent"] == 'probe "quoted"/1.0'
