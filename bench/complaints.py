"""Benchmark the complaints (issue 5) in one run on one gunicorn server: `make bench-complaints`.

    .venv/bin/python bench/complaints.py                       # SQLite var/bench/complaints.sqlite3 (loaded once)
    .venv/bin/python bench/complaints.py --reports 200000 --requests 400 --concurrency 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jamaa_bench_complaints .venv/bin/python bench/complaints.py

What it measures, each target with the same number of requests and client threads, against a bare Django view behind
the same middleware (the ratio is the figure):

* anonymous report submission through the web form (`POST /complaints/new/report/`, fully anonymous, a pin in Salé,
  a new submission key each time), without a photo and with one 1600×1200 JPEG photo (checked, re-encoded without
  its metadata, stored);
* the public map's data endpoint (`GET /complaints/map/data.json`) with `--reports` public reports in Salé (200,000 by
  default, inserted once in bulk): the whole commune at zoom 12 (clusters), a district at zoom 15 (clusters) and a
  street block at zoom 17 (points), each with a different box per request so that nothing is served from a cache.

The per-address limits of anonymous filing are lifted for the server the bench starts (one client address sends
everything). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_cases import configure_environment, ensure_postgres_database  # noqa: E402
from bench.run import HOST, free_port, percentile, start_server, stop_server  # noqa: E402

DEFAULT_SQLITE = ROOT / "var" / "bench" / "complaints.sqlite3"
CSRF = "benchcsrfsecret0benchcsrfsecret0"  # a 32-character CSRF secret, sent as cookie and as form field
BOUNDARY = "----jamaa-bench-boundary"
# Salé's demo outline spans about 34.00–34.08 N and 6.73–6.86 W; points are drawn in its middle.
LAT_RANGE = (34.01, 34.07)
LON_RANGE = (-6.84, -6.75)


def setup(database_url: str | None) -> str:
    url = configure_environment(database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}")
    os.environ["COMPLAINT_ANONYMOUS_PER_IP_HOUR"] = "100000000"
    os.environ["COMPLAINT_PER_CONTACT_HOUR"] = "100000000"
    ensure_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    from jamaa.core.models import Commune

    call_command("migrate", verbosity=0, interactive=False)
    if not Commune.objects.filter(slug="sale").exists():
        call_command("load_demo", verbosity=0, quiet_accounts=True)
    return url


def ensure_reports(total: int) -> int:
    """Bulk-insert public reports in Salé until it holds `total` (once; kept between runs). Rows are written directly,
    not through the services: this is volume for the map's reads, not a test of filing."""
    from django.db import transaction
    from django.utils import timezone

    from jamaa.cases.models import Case, CaseKind
    from jamaa.complaints import workflow
    from jamaa.complaints.models import Category, Complaint, ComplaintKind, ComplaintState
    from jamaa.core import tenancy
    from jamaa.core.models import Commune

    sale = Commune.objects.get(slug="sale")
    with tenancy.unscoped():
        have = Complaint.all_communes.filter(commune=sale).count()
        categories = list(Category.all_communes.active().leaves().filter(commune=sale, kind=ComplaintKind.REPORT))
    missing = total - have
    if missing <= 0:
        return have
    print(f"Inserting {missing} reports in Salé (once)…", flush=True)
    rng = random.Random(5)  # noqa: S311 -- spread of bench data, not a secret
    states = [ComplaintState.RECEIVED] * 3 + [ComplaintState.ACKNOWLEDGED, ComplaintState.IN_PROGRESS] * 2 + [
        ComplaintState.RESOLVED] * 4 + [ComplaintState.CLOSED] * 4 + [ComplaintState.REJECTED]
    now = timezone.now()
    batch = 5000
    done = 0
    while done < missing:
        size = min(batch, missing - done)
        with transaction.atomic(), tenancy.unscoped():
            cases = []
            rows = []
            for i in range(size):
                n = have + done + i + 1
                received = now - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
                category = rng.choice(categories)
                state = rng.choice(states)
                cases.append(Case(
                    commune=sale, kind=CaseKind.COMPLAINT, reference=f"SAL-B-{n:07d}", state=workflow.CASE_STATE[state],
                    department_id=category.department_id, language="ar", submitted_at=received,
                    due_date=(received + timedelta(days=60)).date(), deadline_amount=60, deadline_unit="calendar",
                ))
                rows.append((category, state, received))
            Case.all_communes.bulk_create(cases, batch_size=1000)
            if cases[0].pk is None:  # SQLite before returning ids: read them back by reference
                ids = dict(Case.all_communes.filter(reference__in=[c.reference for c in cases])
                           .values_list("reference", "pk"))
                for case in cases:
                    case.pk = ids[case.reference]
            complaints = []
            for case, (category, state, received) in zip(cases, rows, strict=True):
                answered = received + timedelta(days=rng.randrange(1, 70)) if state in (
                    ComplaintState.RESOLVED, ComplaintState.CLOSED, ComplaintState.REJECTED) else None
                complaints.append(Complaint(
                    commune=sale, case_id=case.pk, kind=ComplaintKind.REPORT, category=category, state=state,
                    description="bench", lat=rng.uniform(*LAT_RANGE), lon=rng.uniform(*LON_RANGE),
                    location_source="pin", is_public=True, received_at=received,
                    ack_due=(received + timedelta(days=15)).date(), target_due=(received + timedelta(days=14)).date(),
                    legal_due=(received + timedelta(days=60)).date(), answered_at=answered,
                    closed_at=answered if state == ComplaintState.CLOSED else None,
                ))
            Complaint.all_communes.bulk_create(complaints, batch_size=1000)
        done += size
        print(f"  {have + done} reports", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics after the bulk load (PostgreSQL misplans without them)
    with tenancy.unscoped():
        return Complaint.all_communes.filter(commune=sale).count()


def photo_bytes() -> bytes:
    """A 1600×1200 JPEG with EXIF (camera and GPS), like a phone's photo."""
    from PIL import Image

    image = Image.effect_noise((1600, 1200), 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "BenchPhone"
    exif[0x8825] = {1: "N", 2: (34.0, 2.0, 30.0), 3: "W", 4: (6.0, 48.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def report_category_pk() -> int:
    from jamaa.complaints.models import Category, ComplaintKind
    from jamaa.core import tenancy

    with tenancy.unscoped():
        category = Category.all_communes.active().leaves().filter(
            commune__slug="sale", kind=ComplaintKind.REPORT, questions=[]).order_by("position").first()
    assert category is not None, "Salé has no report category without questions: run load_demo"
    return category.pk


def multipart(fields: dict[str, str], photo: bytes | None) -> bytes:
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if photo is not None:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="IMG_0001.jpg"\r\n'
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + photo + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def places_in_sale(count: int) -> list[tuple[float, float]]:
    """`count` points inside Salé's outline (the form refuses a place outside the commune)."""
    from jamaa.complaints import geo
    from jamaa.complaints.models import Area

    outline = Area.all_communes.get(commune__slug="sale", arrondissement__isnull=True)
    rng = random.Random(11)  # noqa: S311 -- places of bench requests
    places: list[tuple[float, float]] = []
    while len(places) < count:
        lat, lon = rng.uniform(outline.min_lat, outline.max_lat), rng.uniform(outline.min_lon, outline.max_lon)
        if geo.contains(outline.geometry, lat, lon):
            places.append((lat, lon))
    return places


def submission_body(category: int, photo: bytes | None,
                    places: list[tuple[float, float]]) -> Callable[[random.Random], bytes]:
    def body(rng: random.Random) -> bytes:
        lat, lon = rng.choice(places)
        return multipart({
            "csrfmiddlewaretoken": CSRF, "submission_key": secrets.token_urlsafe(24),
            "description": "الأزبال متراكمة في الزنقة منذ ثلاثة أيام ولم تمر شاحنة الجمع.",
            "category": str(category), "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
            "location_source": "pin", "address": "", "follow": "anonymous", "confirm_new": "1",
        }, photo)
    return body


def map_path(zoom: int, span: float) -> Callable[[random.Random], str]:
    def path(rng: random.Random) -> str:
        lat = rng.uniform(LAT_RANGE[0] + span / 2, LAT_RANGE[1] - span / 2) if span < 0.06 else 34.04
        lon = rng.uniform(LON_RANGE[0] + span / 2, LON_RANGE[1] - span / 2) if span < 0.09 else -6.795
        return (f"/complaints/map/data.json?bbox={lon - span:.5f},{lat - span / 2:.5f},{lon + span:.5f},"
                f"{lat + span / 2:.5f}&zoom={zoom}")
    return path


def hammer(port: int, *, requests: int, concurrency: int, path: Callable[[random.Random], str],
           method: str = "GET", body: Callable[[random.Random], bytes] | None = None,
           content_type: str = "") -> tuple[list[float], dict[str, int], float]:
    """Like bench.run.hammer, but each request gets its own path and body (new keys, new places, new boxes)."""
    headers = {"Host": HOST, "Accept": "text/html,application/json", "Accept-Encoding": "identity",
               "User-Agent": "jamaa-bench", "Cookie": f"csrftoken={CSRF}", "Referer": f"http://{HOST}/"}
    if content_type:
        headers["Content-Type"] = content_type
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    remaining = [requests]

    def worker(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 -- places and boxes of bench requests
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                target, payload = path(rng), body(rng) if body else None
                started = time.perf_counter()
                try:
                    conn.request(method, target, body=payload, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    status = str(response.status)
                    if response.will_close:
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

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else sqlite var/bench/complaints.sqlite3")
    parser.add_argument("--reports", type=int, default=200_000, help="public reports in Salé (default 200,000)")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per target (default 400)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    args = parser.parse_args(argv)

    setup(args.database_url)
    import logging

    from django.db import connection

    logging.getLogger("jamaa.request").setLevel(logging.WARNING)
    reports = ensure_reports(args.reports)
    category = report_category_pk()
    photo = photo_bytes()
    places = places_in_sale(2000)
    vendor = connection.vendor
    connection.close()

    log = ROOT / "var" / "bench" / "gunicorn-complaints.log"
    port = free_port()
    print(f"Starting gunicorn on 127.0.0.1:{port} (log: {log.relative_to(ROOT)})", flush=True)
    server = start_server(port, args.workers, log)
    form = f"multipart/form-data; boundary={BOUNDARY}"

    def filing(rng: random.Random) -> str:
        return "/complaints/new/report/"

    targets: list[tuple[str, dict[str, Any], set[str]]] = [
        ("bare view", {"path": lambda rng: "/bench/bare"}, {"200"}),
        ("anonymous report, no photo", {"path": filing, "method": "POST", "content_type": form,
                                        "body": submission_body(category, None, places)}, {"302"}),
        ("anonymous report, 1 photo (1600×1200 JPEG)", {"path": filing, "method": "POST", "content_type": form,
                                                        "body": submission_body(category, photo, places)}, {"302"}),
        ("map data, whole commune, zoom 12", {"path": map_path(12, 0.2)}, {"200"}),
        ("map data, district, zoom 15", {"path": map_path(15, 0.02)}, {"200"}),
        ("map data, block, zoom 17", {"path": map_path(17, 0.004)}, {"200"}),
    ]
    rows = []
    try:
        for name, options, expected in targets:
            hammer(port, requests=max(20, args.concurrency * 5), concurrency=args.concurrency, **options)  # warm-up
            latencies, statuses, wall = hammer(port, requests=args.requests, concurrency=args.concurrency, **options)
            rows.append({"name": name, "rps": len(latencies) / wall if wall else 0.0,
                         "p50_ms": statistics.median(latencies) * 1000, "p95_ms": percentile(latencies, 0.95) * 1000,
                         "statuses": statuses, "ok": set(statuses) <= expected})
            print(f"  {name:<44} {rows[-1]['rps']:8.1f} req/s  p50 {rows[-1]['p50_ms']:6.1f} ms  "
                  f"p95 {rows[-1]['p95_ms']:6.1f} ms  {statuses}", flush=True)
    finally:
        stop_server(server)

    bare = rows[0]
    print(f"\n{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}  {vendor}, {reports} reports in Salé, {args.requests} "
          f"requests per target, concurrency {args.concurrency}, {os.cpu_count()} CPUs, load average "
          f"{[round(x, 2) for x in os.getloadavg()]}\n")
    print(f"{'target':<44} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'req/s vs bare':>14}")
    for row in rows:
        print(f"{row['name']:<44} {row['rps']:8.1f} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} "
              f"{row['rps'] / bare['rps']:14.2f}")
    out = ROOT / "var" / "bench" / f"complaints-{datetime.now(UTC):%Y%m%dT%H%M%S}-{vendor}.json"
    out.write_text(json.dumps({"rows": rows, "reports": reports, "requests": args.requests,
                               "concurrency": args.concurrency}, indent=2, default=sorted) + "\n")
    print(f"\nSaved {out.relative_to(ROOT)}")
    bad = [r["name"] for r in rows if not r["ok"]]
    if bad:
        print(f"Unexpected statuses: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
