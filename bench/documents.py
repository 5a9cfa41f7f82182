"""Benchmark the verifiable documents (issue 4) in one run on one server: `make bench-documents`.

    .venv/bin/python bench/documents.py                      # SQLite var/bench/documents.sqlite3 (created once)
    .venv/bin/python bench/documents.py --issue 200 --requests 1000 --concurrency 8
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jamaa_bench_documents .venv/bin/python bench/documents.py

Two figures:

* Issuance, in process: `document_issue` on approved residence-certificate requests (sign the QR payload, render
  the PDF/A-3b with Typst, seal it with pyHanko, store the file and the registry row), median and p95 per
  document, with the render and seal parts timed on their own. The first issue of the process (fonts, template,
  key loading) is reported apart and left out of the statistics.
* Verification over HTTP, on one gunicorn server: the page a QR code opens (`/V/<payload>`: decompress, check the
  ES256 signature against the trust list, read the registry, log the verification, render the page), the JSON
  API (`POST /api/v1/verify`) and a bare Django view behind the same middleware, each with the same number of
  requests and client threads. The ratio "verification / bare req/s" is the figure the issue asks for (aim ≥ 0.5).
  The targets take turns in `--rounds` rounds so that the shared machine's changing load weighs on all alike, and
  the server keeps its database connections as production does (`CONN_MAX_AGE=60`; set it to 0 to compare).

The database gets the demo communes (`load_demo`) and `--registry` issued documents in Salé, so that the registry
lookup reads a table of realistic size. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_cases import configure_environment, ensure_postgres_database  # noqa: E402
from bench.run import free_port, hammer, percentile, start_server, stop_server  # noqa: E402

DEFAULT_SQLITE = ROOT / "var" / "bench" / "documents.sqlite3"
CITIZEN = "+212612345678"  # the demo citizen of Salé
AGENT = "agent@sale.example.ma"


def setup(database_url: str | None) -> str:
    url = configure_environment(database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}")
    # One client address sends every request: the API's per-address limit would answer 429 after 300.
    os.environ.setdefault("DOCUMENT_VERIFY_API_LIMIT", "1000000")
    # As in production (settings.py): each worker keeps its database connection instead of opening one per request.
    os.environ.setdefault("CONN_MAX_AGE", "60")
    ensure_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    from jamaa.core.models import Commune

    call_command("migrate", verbosity=0, interactive=False)
    if not Commune.objects.filter(slug="sale").exists():
        call_command("load_demo", verbosity=0, quiet_accounts=True)
    return url


def approved_cases(count: int) -> list[Any]:
    """`count` residence-certificate requests of the demo citizen, submitted and approved through the services."""
    from jamaa.cases import services
    from jamaa.catalog.models import CommuneProcedure
    from jamaa.core import tenancy
    from jamaa.core.models import Arrondissement, Commune, User

    sale = Commune.objects.get(slug="sale")
    citizen = User.objects.get(username=CITIZEN)
    agent = User.objects.get(username=AGENT)
    with tenancy.unscoped():
        procedure = CommuneProcedure.all_communes.get(commune=sale, procedure__slug="certificat-residence")
        arrondissement = Arrondissement.all_communes.filter(commune=sale).order_by("position").first()
    data = {"arrondissement": str(arrondissement.pk) if arrondissement else "", "address": "حي الرحمة زنقة 12 رقم 5",
            "cin": "AB123456", "since": "2019-03-01", "purpose": "work", "owner": "no"}
    cases = []
    with tenancy.scope(sale):
        for _ in range(count):
            case = services.case_submit(commune=sale, procedure=procedure, data=data, files=_proof(),
                                        citizen=citizen)
            for move in ("start_review", "approve"):
                case = services.case_transition(case=case, name=move, actor=agent, by_staff=True)
            cases.append(case)
    return cases


def _proof() -> list[tuple[str, Any]]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" \
          b"trailer<</Root 1 0 R>>\n%%EOF\n"
    return [("doc__proof", SimpleUploadedFile("proof.pdf", pdf, content_type="application/pdf"))]


def timed_issue(cases: list[Any]) -> dict[str, Any]:
    """Issue the act of each case, timing the whole `document_issue` and its render and seal parts."""
    from django.db import transaction

    from jamaa.core import tenancy
    from jamaa.core.models import User
    from jamaa.documents import issuance

    agent = User.objects.get(username=AGENT)
    parts: dict[str, list[float]] = {"render": [], "seal": []}
    real_render, real_seal = issuance.render_act_pdf, issuance.seal_with

    def clock(name: str, function: Callable[..., bytes]) -> Callable[..., bytes]:
        def wrapper(*args: Any, **kwargs: Any) -> bytes:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[name].append(time.perf_counter() - started)
        return wrapper

    issuance.render_act_pdf = clock("render", real_render)  # type: ignore[assignment]
    issuance.seal_with = clock("seal", real_seal)  # type: ignore[assignment]
    totals: list[float] = []
    sizes: list[int] = []
    try:
        for case in cases:
            with tenancy.scope(case.commune), transaction.atomic():
                started = time.perf_counter()
                document = issuance.document_issue(case=case, actor=agent)
                totals.append(time.perf_counter() - started)
            sizes.append(document.pdf_size)
    finally:
        issuance.render_act_pdf, issuance.seal_with = real_render, real_seal  # type: ignore[assignment]
    first = {"total": totals[0], "render": parts["render"][0], "seal": parts["seal"][0]}

    def stats(values: list[float]) -> dict[str, float]:
        rest = values[1:] or values
        return {"median_ms": statistics.median(rest) * 1000, "p95_ms": percentile(rest, 0.95) * 1000}

    return {"count": len(totals) - 1, "first_ms": {k: v * 1000 for k, v in first.items()},
            "total": stats(totals), "render": stats(parts["render"]), "seal": stats(parts["seal"]),
            "pdf_kb": statistics.median(sizes) / 1024}


def ensure_registry(size: int) -> int:
    """Issue documents until Salé's registry holds `size` of them (issued once, kept between runs)."""
    from jamaa.core import tenancy
    from jamaa.documents.models import IssuedDocument

    with tenancy.unscoped():
        have = IssuedDocument.all_communes.filter(commune__slug="sale").count()
    missing = max(0, size - have)
    if missing:
        print(f"Issuing {missing} documents for the registry (once)…", flush=True)
        timed_issue(approved_cases(missing + 1))
    with tenancy.unscoped():
        return IssuedDocument.all_communes.filter(commune__slug="sale").count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else sqlite var/bench/documents.sqlite3")
    parser.add_argument("--issue", type=int, default=100, help="acts issued and timed in this run (default 100)")
    parser.add_argument("--registry", type=int, default=2000, help="documents in the registry (default 2,000)")
    parser.add_argument("--requests", type=int, default=500, help="measured requests per target (default 500)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="the targets take turns in this many rounds of requests/rounds each (default 5)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    args = parser.parse_args(argv)

    setup(args.database_url)
    import logging

    from django.db import connection

    from jamaa.core import tenancy
    from jamaa.documents.models import IssuedDocument

    logging.getLogger("jamaa.request").setLevel(logging.WARNING)
    registry = ensure_registry(args.registry)
    print(f"Timing the issuance of {args.issue} acts…", flush=True)
    issue = timed_issue(approved_cases(args.issue + 1))
    with tenancy.unscoped():
        document = IssuedDocument.all_communes.filter(commune__slug="sale", state="valid").order_by("-pk").first()
    assert document is not None
    qr_path = urlsplit(document.qr_url).path
    vendor = connection.vendor
    connection.close()

    log = ROOT / "var" / "bench" / "gunicorn-documents.log"
    port = free_port()
    print(f"Starting gunicorn on 127.0.0.1:{port} (log: {log.relative_to(ROOT)})", flush=True)
    server = start_server(port, args.workers, log)
    body = json.dumps({"qr": document.qr_url}).encode()
    targets: list[tuple[str, dict[str, Any]]] = [
        ("bare view", {"path": "/bench/bare"}),
        ("verification page /V/<payload>", {"path": qr_path}),
        ("verification API POST /api/v1/verify", {"path": "/api/v1/verify", "method": "POST", "body": body,
                                                  "content_type": "application/json", "accept": "application/json"}),
    ]
    # The targets take turns, in rounds whose order rotates, so that a change in the machine's load during the run
    # (it is shared) weighs on every target alike instead of on whichever ran at that moment.
    measured: dict[str, dict[str, Any]] = {name: {"latencies": [], "wall": 0.0, "statuses": {}} for name, _ in targets}
    per_round = max(1, args.requests // args.rounds)
    try:
        for _name, options in targets:
            hammer(port, options["path"], None, requests=max(20, args.concurrency * 5), concurrency=args.concurrency,
                   **{k: v for k, v in options.items() if k != "path"})  # warm-up
        for round_number in range(args.rounds):
            shift = round_number % len(targets)
            for name, options in targets[shift:] + targets[:shift]:
                latencies, statuses, wall = hammer(port, options["path"], None, requests=per_round,
                                                   concurrency=args.concurrency,
                                                   **{k: v for k, v in options.items() if k != "path"})
                entry = measured[name]
                entry["latencies"] += latencies
                entry["wall"] += wall
                for status, count in statuses.items():
                    entry["statuses"][status] = entry["statuses"].get(status, 0) + count
        rows = []
        for name, _options in targets:
            entry = measured[name]
            latencies = entry["latencies"]
            rows.append({"name": name, "rps": len(latencies) / entry["wall"] if entry["wall"] else 0.0,
                         "p50_ms": statistics.median(latencies) * 1000, "p95_ms": percentile(latencies, 0.95) * 1000,
                         "statuses": entry["statuses"]})
            print(f"  {name:<40} {rows[-1]['rps']:8.1f} req/s  p50 {rows[-1]['p50_ms']:6.1f} ms  "
                  f"p95 {rows[-1]['p95_ms']:6.1f} ms  {entry['statuses']}", flush=True)
    finally:
        stop_server(server)

    bare = rows[0]
    print(f"\n{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}  {vendor}, {registry} documents in Salé's registry, "
          f"{args.requests} requests per target in {args.rounds} rounds, concurrency {args.concurrency}, "
          f"{os.cpu_count()} CPUs, "
          f"connections kept {os.environ.get('CONN_MAX_AGE', '0')} s, "
          f"load average {[round(x, 2) for x in os.getloadavg()]}\n")
    print(f"{'target':<40} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'req/s vs bare':>14}")
    for row in rows:
        print(f"{row['name']:<40} {row['rps']:8.1f} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} "
              f"{row['rps'] / bare['rps']:14.2f}")
    print(f"\nIssuance of {issue['count']} acts (after a first one of {issue['first_ms']['total']:.0f} ms: "
          f"render {issue['first_ms']['render']:.0f}, seal {issue['first_ms']['seal']:.0f}), PDF "
          f"{issue['pdf_kb']:.0f} KB:")
    for part in ("total", "render", "seal"):
        print(f"  {part:<7} median {issue[part]['median_ms']:6.1f} ms   p95 {issue[part]['p95_ms']:6.1f} ms")
    out = ROOT / "var" / "bench" / f"documents-{datetime.now(UTC):%Y%m%dT%H%M%S}-{vendor}.json"
    out.write_text(json.dumps({"verification": rows, "issuance": issue, "registry": registry,
                               "requests": args.requests, "concurrency": args.concurrency}, indent=2) + "\n")
    print(f"\nSaved {out.relative_to(ROOT)}")
    bad = [r["name"] for r in rows if set(r["statuses"]) - {"200"}]
    if bad:
        print(f"Requests that did not answer 200: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
