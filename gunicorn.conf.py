"""Gunicorn configuration for production: `gunicorn -c gunicorn.conf.py` (see README.md, section Production).

Every value can be overridden from the environment. Gunicorn sits behind a reverse proxy that terminates TLS;
the proxy's addresses go in FORWARDED_ALLOW_IPS so that its X-Forwarded-Proto and X-Forwarded-For are believed.
"""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import Any

wsgi_app = "jamaa.wsgi:application"

bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("GUNICORN_WORKERS") or os.environ.get("WEB_CONCURRENCY")
              or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# A request slower than this is cut off and its worker restarted; graceful restarts wait as long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so that a slow leak cannot grow for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max(1, max_requests // 10)
if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's documented choice for its heartbeat file
    worker_tmp_dir = "/dev/shm"  # noqa: S108 - off a possibly slow disk
control_socket_disable = True

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs on stdout/stderr for the service manager. The access log is one JSON object per line; the path is logged
# without its query string, which can hold search terms or tokens.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s, "host": "%({host}i)s", "user_agent": "%(a)s"}'
)


def _networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """The trusted proxies; None means every address (FORWARDED_ALLOW_IPS=*)."""
    if spec.strip() == "*":
        return None
    return [ipaddress.ip_network(item.strip(), strict=False) for item in spec.split(",") if item.strip()]


def _trusted(address: str, networks: list[Any] | None) -> bool:
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address_from_proxy(app: Callable[..., Iterable[bytes]], allowed: str) -> Callable[..., Iterable[bytes]]:
    """WSGI wrapper: when the peer is a trusted proxy, REMOTE_ADDR becomes the client it forwarded for.

    X-Forwarded-For is read from the right (the entries our own proxies appended), skipping trusted proxies, so
    that an address a client wrote in the header itself is never believed. The audit log records REMOTE_ADDR."""
    networks = _networks(allowed)

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        remote = environ.get("REMOTE_ADDR", "")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and _trusted(remote, networks):
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            for hop in reversed(hops):
                try:
                    ipaddress.ip_address(hop)
                except ValueError:
                    break
                environ["REMOTE_ADDR"] = hop
                if not _trusted(hop, networks) or networks is None:
                    break
        return app(environ, start_response)

    return wrapped


def post_worker_init(worker: Any) -> None:
    worker.wsgi = client_address_from_proxy(worker.wsgi, worker.cfg.forwarded_allow_ips
                                            if isinstance(worker.cfg.forwarded_allow_ips, str)
                                            else ",".join(worker.cfg.forwarded_allow_ips))
