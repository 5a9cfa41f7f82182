"""Benchmark the list pages against a bare Django view, in one run on one gunicorn server: `make bench`.

    .venv/bin/python bench/run.py                          # loads var/bench/jamaa.sqlite3 first if it is empty
    .venv/bin/python bench/run.py --requests 500 --concurrency 8
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jamaa_bench .venv/bin/python bench/run.py

For each target it sends a fixed number of GET requests with a fixed number of client threads (stdlib http.client)
and reports requests per second, p50 and p95 latency, the cost relative to the bare view, and the number of SQL
queries the page runs (measured in-process with Django's test client and CaptureQueriesContext, same database).
Logged-in targets use sessions created directly in the database (staff sessions carry the verified TOTP device, as
after the two-factor step). See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_cases import HEAVY_CITIZEN, configure_environment, load  # noqa: E402

HOST = "sale.localhost"
IN_PROCESS_RUNS = 5
STAFF_AGENT = "agent@sale.example.ma"  # état civil: the department queue
STAFF_ADMIN = "admin@sale.example.ma"  # the whole commune


@dataclass
class Target:
    name: str
    path: str
    session: str | None  # "agent", "admin", "citizen" or None (anonymous)
    # A target built from another's page (the next page link): filled in before the run.
    follow_next_of: str | None = None


@dataclass
class Result:
    name: str
    path: str
    status: int = 0
    bytes: int = 0
    queries: int | None = None
    # In-process, one request at a time (median of IN_PROCESS_RUNS): the whole request, and its SQL only.
    view_ms: float = 0.0
    sql_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    note: str = ""
    statuses: dict[str, int] = field(default_factory=dict)


def targets() -> list[Target]:
    """The pages measured; those whose URL name does not exist yet are skipped (reported as such)."""
    from django.urls import NoReverseMatch, reverse

    def url(name: str, query: str = "") -> str | None:
        try:
            return reverse(name) + (f"?{query}" if query else "")
        except NoReverseMatch:
            return None

    wanted = [
        ("bare view (anonymous)", url("bench_bare"), None),
        ("bare view (staff session)", url("bench_bare"), "agent"),
        ("back-office dashboard", url("backoffice:dashboard"), "agent"),
        ("staff queue (agent, default)", url("staff:queue"), "agent"),
        ("staff queue (agent, overdue)", url("staff:queue", "overdue=1"), "agent"),
        ("staff queue (agent, due in 3 days)", url("staff:queue", "soon=1"), "agent"),
        ("staff queue (agent, page 2)", None, "agent"),
        ("staff queue (admin, whole commune)", url("staff:queue"), "admin"),
        ("my requests (2,000 cases)", url("cases:mine"), "citizen"),
        ("my requests (page 2)", None, "citizen"),
    ]
    result = []
    for name, path, session in wanted:
        if name == "staff queue (agent, page 2)":
            result.append(Target(name, "", session, follow_next_of="staff queue (agent, default)"))
        elif name == "my requests (page 2)":
            result.append(Target(name, "", session, follow_next_of="my requests (2,000 cases)"))
        else:
            result.append(Target(name, path or "", session))
    return result


def create_sessions() -> dict[str, str]:
    """Session keys for the staff agent, the administrator (both TOTP-verified) and the heavy citizen."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jamaa.core.models import User

    def session_for(username: str, *, staff: bool) -> str:
        user = User.objects.get(username=username)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "jamaa.core.auth.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if staff:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                raise SystemExit(f"{username} has no confirmed TOTP device: run load_demo.")
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
            store["jamaa_staff"] = True
        store.create()
        assert store.session_key is not None
        return store.session_key

    return {
        "agent": session_for(STAFF_AGENT, staff=True),
        "admin": session_for(STAFF_ADMIN, staff=True),
        "citizen": session_for(HEAVY_CITIZEN, staff=False),
    }


NEXT_LINK = re.compile(r'<a\b[^>]*\brel="next"[^>]*>|<a\b[^>]*href="([^"]*[?&](?:after|cursor|before)=[^"]*)"',
                       re.IGNORECASE)
HREF = re.compile(r'href="([^"]*)"')


def next_page(html: str) -> str | None:
    """The next-page link of a keyset-paginated list: rel="next", or a link with a cursor parameter."""
    for match in NEXT_LINK.finditer(html):
        tag = match.group(0)
        href = HREF.search(tag)
        if href:
            return unescape(href.group(1))
    return None


def measure_in_process(todo: list[Target], sessions: dict[str, str], results: dict[str, Result]) -> None:
    """Status, size and query count of each page, with Django's test client on the bench database. Resolves the
    page-2 targets from their page 1's next link."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    pages: dict[str, str] = {}
    for target in todo:
        result = results[target.name]
        if target.follow_next_of:
            first = pages.get(target.follow_next_of)
            link = next_page(first) if first else None
            if not link:
                result.note = "no next-page link on page 1" if first else "page 1 not available"
                continue
            base = results[target.follow_next_of].path.split("?")[0]
            target.path = link if link.startswith("/") else f"{base}{link}"
            result.path = target.path
        if not target.path:
            result.note = "URL name not in the URLconf yet"
            continue
        client = Client(HTTP_HOST=HOST)
        if target.session:
            client.cookies[settings.SESSION_COOKIE_NAME] = sessions[target.session]
        response = client.get(target.path)
        location = response.get("Location", "")
        if response.status_code == 302 and location.endswith(target.path) and location.count("/") > 1:
            # The account's language is not Arabic: its pages live under /fr/ or /zgh/.
            target.path = result.path = location
        with CaptureQueriesContext(connection) as queries:
            response = client.get(target.path)
        result.status = response.status_code
        result.bytes = len(response.content)
        result.queries = len(queries)
        if response.status_code == 200:
            totals, sqls = [], []
            for _ in range(IN_PROCESS_RUNS):
                sql = [0.0]

                def timed(execute: Callable[..., Any], query: str, params: Any, many: bool, context: Any,
                          sql: list[float] = sql) -> Any:
                    started = time.perf_counter()
                    try:
                        return execute(query, params, many, context)
                    finally:
                        sql[0] += time.perf_counter() - started

                started = time.perf_counter()
                with connection.execute_wrapper(timed):
                    client.get(target.path)
                totals.append(time.perf_counter() - started)
                sqls.append(sql[0])
            result.view_ms = statistics.median(totals) * 1000
            result.sql_ms = statistics.median(sqls) * 1000
        if response.status_code == 200:
            pages[target.name] = response.content.decode("utf-8", "replace")
        else:
            result.note = f"in-process status {response.status_code} ({response.get('Location', '')})"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int | None, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update({
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_MAX_REQUESTS": "0",  # no worker recycling in the middle of a measurement
        "GUNICORN_ACCESS_LOG": str(log),
        "GUNICORN_ERROR_LOG": str(log),
    })
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,  # noqa: S603
                               stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {process.returncode}: see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": HOST})
            conn.getresponse().read()
            conn.close()
            return process
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise SystemExit(f"gunicorn did not answer on port {port} within 60 s: see {log}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # its own session: the master and its workers, nothing else
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def hammer(port: int, path: str, cookie: str | None, *, requests: int, concurrency: int, method: str = "GET",
           body: bytes | None = None, content_type: str = "", accept: str = "text/html") -> tuple[
        list[float], dict[str, int], float]:
    """`requests` requests (GET, or `method` with `body`) of `path` from `concurrency` threads; latencies (s),
    statuses and wall time (s)."""
    headers = {"Host": HOST, "Accept": accept, "Accept-Encoding": "identity", "User-Agent": "jamaa-bench"}
    if cookie:
        headers["Cookie"] = cookie
    if content_type:
        headers["Content-Type"] = content_type
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    remaining = [requests]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = str(response.status)
                    if response.will_close:  # gunicorn's sync workers close after each response
                        conn.close()
                except (OSError, http.client.HTTPException) as exc:
                    status = type(exc).__name__
                    conn.close()
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def table(results: list[Result], *, markdown: bool) -> str:
    bare = next((r for r in results if r.name == "bare view (anonymous)" and r.rps), None)
    header = ["page", "status", "req/s", "p50 ms", "p95 ms", "× bare p50", "bare/page req/s", "queries",
              "1 req ms", "SQL ms", "KB"]
    rows = []
    for r in results:
        if r.status != 200:
            rows.append([r.name, "-", "-", "-", "-", "-", "-", "-", "-", "-", f"skipped: {r.note}"])
            continue
        if not r.requests:  # --no-server
            rows.append([r.name, "200", "-", "-", "-", "-", "-", str(r.queries), f"{r.view_ms:.1f}",
                         f"{r.sql_ms:.1f}", f"{r.bytes / 1024:.1f}"])
            continue
        ratio_p50 = f"{r.p50_ms / bare.p50_ms:.1f}" if bare and bare.p50_ms else "-"
        ratio_rps = f"{bare.rps / r.rps:.1f}" if bare and r.rps else "-"
        status = "/".join(f"{k}×{v}" for k, v in sorted(r.statuses.items())) if len(r.statuses) > 1 \
            else next(iter(r.statuses), "-")
        rows.append([r.name, status, f"{r.rps:.1f}", f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}", ratio_p50, ratio_rps,
                     "-" if r.queries is None else str(r.queries), f"{r.view_ms:.1f}", f"{r.sql_ms:.1f}",
                     f"{r.bytes / 1024:.1f}"])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    fmt: Callable[[list[str]], str] = lambda row: "  ".join(  # noqa: E731
        str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row))
    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *(fmt(row) for row in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else sqlite var/bench/jamaa.sqlite3")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--cases", type=int, default=100_000, help="cases to load when the database is empty")
    parser.add_argument("--only", help="comma-separated substrings: measure only the pages whose name matches "
                                       "(the bare views are always measured)")
    parser.add_argument("--no-server", action="store_true",
                        help="only the in-process figures (query count, one request's time and SQL time)")
    args = parser.parse_args(argv)

    url = configure_environment(args.database_url)
    load(database_url=url, cases=args.cases)  # migrate + load_demo (idempotent), cases only if none yet

    import logging

    from django.db import connection

    from jamaa.cases.models import Case
    from jamaa.core import tenancy

    logging.getLogger("jamaa.request").setLevel(logging.WARNING)  # the in-process requests (the server still logs)
    with tenancy.unscoped():
        case_count = Case.all_communes.filter(commune__slug="sale").count()
    sessions = create_sessions()
    todo = targets()
    if args.only:
        keep = [word.strip() for word in args.only.split(",") if word.strip()]
        todo = [t for t in todo if t.name.startswith("bare")
                or any(k in t.name or k in (t.follow_next_of or "") for k in keep)]
    results = {t.name: Result(t.name, t.path) for t in todo}
    measure_in_process(todo, sessions, results)
    vendor = connection.vendor
    connection.close()

    if args.no_server:
        print(table([results[t.name] for t in todo], markdown=False))
        return 0
    log = ROOT / "var" / "bench" / "gunicorn.log"
    port = free_port()
    print(f"\nStarting gunicorn on 127.0.0.1:{port} (log: {log.relative_to(ROOT)})", flush=True)
    server = start_server(port, args.workers, log)
    try:
        for target in todo:
            result = results[target.name]
            if not target.path or (result.status and result.status != 200):
                continue
            cookie = f"sessionid={sessions[target.session]}" if target.session else None
            hammer(port, target.path, cookie, requests=max(10, args.concurrency * 3),
                   concurrency=args.concurrency)  # warm every worker (imports, templates, connections)
            latencies, statuses, wall = hammer(port, target.path, cookie, requests=args.requests,
                                               concurrency=args.concurrency)
            result.requests = len(latencies)
            result.statuses = statuses
            result.errors = sum(v for k, v in statuses.items() if k != "200")
            result.rps = len(latencies) / wall if wall else 0.0
            result.p50_ms = statistics.median(latencies) * 1000 if latencies else 0.0
            result.p95_ms = percentile(latencies, 0.95) * 1000
            print(f"  {target.name:<36} {result.rps:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
                  f"p95 {result.p95_ms:7.1f} ms  {statuses}", flush=True)
    finally:
        stop_server(server)

    ordered = [results[t.name] for t in todo]
    load_avg = os.getloadavg()
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "database": vendor, "cases_in_sale": case_count,
        "requests": args.requests, "concurrency": args.concurrency,
        "workers": args.workers or os.environ.get("GUNICORN_WORKERS") or "gunicorn.conf.py default",
        "cpus": os.cpu_count(), "load_average_after": [round(x, 2) for x in load_avg],
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
    }
    print(f"\n{meta['date']}  {vendor}, {case_count} cases in Salé, {args.requests} requests per page, "
          f"concurrency {args.concurrency}, {meta['cpus']} CPUs, "
          f"load average after the run {meta['load_average_after']}")
    print("× bare p50: the page's median latency over the bare view's; bare/page req/s: how many bare requests "
          "the server answers in the time of one page request; 1 req ms / SQL ms: in-process, one request at a "
          "time (median of 5), the whole request and the part spent in SQL.\n")
    print(table(ordered, markdown=False))
    out = ROOT / "var" / "bench" / f"results-{datetime.now(UTC):%Y%m%dT%H%M%S}-{vendor}"
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": [asdict(r) for r in ordered]},
                                                   indent=2, ensure_ascii=False) + "\n")
    out.with_suffix(".md").write_text(table(ordered, markdown=True) + "\n")
    print(f"\nSaved {out.relative_to(ROOT)}.json and .md (the table in Markdown)")
    bad = [r.name for r in ordered if r.requests and r.errors]
    if bad:
        print(f"Requests that did not answer 200: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
