"""Load the benchmark world: the demo communes and accounts (`migrate` + `load_demo`), then 100,000 cases in Salé.

    .venv/bin/python bench/load_cases.py                      # SQLite file var/bench/jamaa.sqlite3
    .venv/bin/python bench/load_cases.py --fresh --cases 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jamaa_bench .venv/bin/python bench/load_cases.py

The cases are spread over the adopted procedures (and so their departments), the arrondissements, every state,
submission dates over the last 400 days (two reference years), due dates in the past and the future, the three
channels and a few hundred citizens; one citizen (the demo citizen of Salé, +212612345678) is "heavy" with 2,000
cases for the "my requests" page. Each submitted case has its timeline event.

Why the loader bypasses `jamaa.cases.services`: a submission through the services validates the form, allocates the
reference under a row lock, writes the audit entry and the notification, one case at a time; 100,000 of them would
take hours here. The loader writes the same rows with `bulk_create` in batches and sets `ReferenceCounter` to the
last number it used, so that a case submitted afterwards through the services continues the sequence. The services'
own correctness (gapless references under concurrency, deadlines, notifications) is tested in jamaa/cases/tests/.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "var" / "bench" / "jamaa.sqlite3"
HEAVY_CITIZEN = "+212612345678"  # the demo citizen of Salé (load_demo), so the page can also be seen in a browser
BENCH_CITIZEN_DOMAIN = "bench.example.ma"
# Every demo account's password is public; the bench citizens cannot log in at all.
UNUSABLE_PASSWORD = "!bench-citizen-no-login"

if TYPE_CHECKING:
    from jamaa.catalog.models import CommuneProcedure
    from jamaa.core.models import Commune, User

# (slug, Arabic, French, department code, deadline, unit, silence means approval, weight)
BENCH_PROCEDURES: tuple[tuple[str, str, str, str, int, str, bool, int], ...] = (
    ("bench-residence", "شهادة السكنى", "Certificat de résidence", "etat-civil", 5, "working", False, 30),
    ("bench-life", "شهادة الحياة", "Certificat de vie", "etat-civil", 3, "working", False, 15),
    ("bench-birth-copy", "نسخة من رسم الولادة", "Copie d'acte de naissance", "etat-civil", 2, "working", False, 15),
    ("bench-legalisation", "تصحيح الإمضاء", "Légalisation de signature", "legalisation", 1, "working", False, 15),
    ("bench-building", "رخصة البناء", "Permis de construire", "urbanisme", 30, "calendar", True, 8),
    ("bench-habitation", "رخصة السكن", "Permis d'habiter", "urbanisme", 30, "calendar", True, 4),
    ("bench-commerce", "رخصة مزاولة نشاط تجاري", "Autorisation d'activité commerciale", "affaires-economiques",
     15, "working", True, 8),
    ("bench-occupation", "رخصة الاحتلال المؤقت", "Occupation temporaire", "affaires-economiques", 20, "calendar",
     False, 3),
    ("bench-mail", "طلب عام", "Requête générale", "bureau-ordre", 20, "working", False, 2),
)

# State mix of a commune that has run the service for a year: most cases are finished.
STATE_WEIGHTS = {
    "draft": 2, "submitted": 14, "returned": 3, "in_review": 11, "approved": 5, "rejected": 4,
    "act_issued": 8, "closed": 50, "withdrawn": 3,
}
OPEN_STATES = ("submitted", "returned", "in_review")
CHANNEL_WEIGHTS = {"online": 70, "api": 10, "counter": 20}


@dataclass
class LoadStats:
    cases: int = 0
    events: int = 0
    citizens: int = 0
    seconds: float = 0.0
    by_state: Counter[str] = field(default_factory=Counter)
    last_numbers: dict[int, int] = field(default_factory=dict)


def ensure_procedures(commune: Commune, *, minimum: int = 4) -> list[tuple[CommuneProcedure, int]]:
    """The commune's published adoptions with a weight each; when it has fewer than `minimum` (the demo catalogue
    may not be loaded), the bench procedures are added to the national catalogue (marked demo) and adopted."""
    from jamaa.catalog.models import Category, CommuneProcedure, Procedure
    from jamaa.core import tenancy
    from jamaa.core.models import Department

    with tenancy.unscoped():
        adopted = list(CommuneProcedure.all_communes.filter(commune=commune, is_published=True)
                       .select_related("procedure", "department"))
        if len(adopted) < minimum:
            departments = {d.code: d for d in Department.all_communes.filter(commune=commune)}
            if not departments:
                raise RuntimeError(f"{commune} has no department: run load_demo first.")
            fallback = departments.get("etat-civil") or next(iter(departments.values()))
            category, _created = Category.objects.get_or_create(
                slug="bench", defaults={"name_ar": "قياس الأداء", "name_fr": "Banc d'essai", "position": 99})
            have = {a.procedure.slug for a in adopted}
            for slug, name_ar, name_fr, department, amount, unit, silence, _weight in BENCH_PROCEDURES:
                if slug in have:
                    continue
                procedure, _created = Procedure.objects.get_or_create(slug=slug, defaults={
                    "name_ar": name_ar, "name_fr": name_fr, "category": category,
                    "description_ar": name_ar, "description_fr": name_fr,
                    "legal_basis_ar": "القانون 55.19 المتعلق بتبسيط المساطر والإجراءات الإدارية",
                    "legal_basis_fr": "Loi 55-19 relative à la simplification des procédures et formalités "
                                      "administratives",
                    "deadline_amount": amount, "deadline_unit": unit, "silence_means_approval": silence,
                    "department_code": department, "fees_mad": Decimal("0"), "is_demo": True,
                    "form_definition": [{"name": "address", "type": "text", "required": True,
                                         "label": {"ar": "العنوان", "fr": "Adresse"}}],
                })
                CommuneProcedure.all_communes.get_or_create(
                    commune=commune, procedure=procedure,
                    defaults={"department": departments.get(department, fallback)})
            adopted = list(CommuneProcedure.all_communes.filter(commune=commune, is_published=True)
                           .select_related("procedure", "department"))
    adopted.sort(key=lambda a: a.procedure.slug)  # the same draws on SQLite and PostgreSQL
    weights = {slug: weight for slug, *_rest, weight in BENCH_PROCEDURES}
    # Civil status certificates are most of a commune's requests.
    return [(a, weights.get(a.procedure.slug, 25 if a.department.code == "etat-civil" else 8)) for a in adopted]


def ensure_citizens(commune: Commune, count: int) -> list[User]:
    """`count` citizens of the commune who cannot log in (bulk-created once, found again on a second run)."""
    from jamaa.core.models import User

    prefix = f"citizen-{commune.slug}-"
    existing = list(User.objects.filter(username__startswith=prefix, username__endswith=f"@{BENCH_CITIZEN_DOMAIN}")
                    .order_by("username")[:count])
    have = {u.username for u in existing}
    new = []
    for i in range(count):
        username = f"{prefix}{i:05d}@{BENCH_CITIZEN_DOMAIN}"
        if username not in have:
            new.append(User(username=username, email=username, full_name=f"Citoyen {i:05d}",
                            language="ar" if i % 3 else "fr", contact_verified=True, signup_commune=commune,
                            password=UNUSABLE_PASSWORD))
    User.objects.bulk_create(new, batch_size=1000)
    if not new:
        return existing
    return list(User.objects.filter(username__startswith=prefix, username__endswith=f"@{BENCH_CITIZEN_DOMAIN}")
                .order_by("username")[:count])


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def load_cases(*, commune: Commune, total: int, heavy_citizen: User | None, heavy_count: int,
               citizens: Sequence[User], staff: Sequence[User] = (), batch_size: int = 2000, seed: int = 2026,
               now: datetime | None = None, progress: Callable[[str], None] | None = None) -> LoadStats:
    """Create `total` cases in `commune` (plus a timeline event per submitted case) and move the reference counters
    past the numbers used. `heavy_count` of them belong to `heavy_citizen`; the others to `citizens` (or, for some
    counter requests, to nobody). A fraction of the open cases is assigned to `staff`."""
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone

    from jamaa.cases.models import Case, CaseEvent, ReferenceCounter
    from jamaa.cases.references import TRACKING_ALPHABET, TRACKING_LENGTH, format_reference
    from jamaa.core import calendar, tenancy
    from jamaa.core.models import Arrondissement

    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible on purpose
    now = now or timezone.now()
    stats = LoadStats()
    with tenancy.unscoped():
        procedures = ensure_procedures(commune)
        arrondissements = list(Arrondissement.all_communes.filter(commune=commune)) or [None]
        already = Case.all_communes.filter(commune=commune).aggregate(
            numbers=Max("number"))  # a second load continues after the first
    if not citizens and heavy_citizen is None:
        raise ValueError("load_cases needs at least one citizen.")
    proc_choices = [p for p, _w in procedures]
    proc_weights = [w for _p, w in procedures]
    due_cache: dict[tuple[date, int, str], date] = {}

    def due(submitted: datetime, adoption: CommuneProcedure) -> tuple[int, str, date]:
        amount, unit = adoption.effective_deadline_amount, adoption.effective_deadline_unit
        key = (calendar.local_date(submitted), amount, unit)
        if key not in due_cache:
            due_cache[key] = calendar.due_date(commune, submitted, amount, unit)
        return amount, unit, due_cache[key]

    owners: list[User | None] = [heavy_citizen] * (heavy_count if heavy_citizen is not None else 0)
    light = list(citizens) or [heavy_citizen]
    while len(owners) < total:
        owners.append(rng.choice(light))
    rng.shuffle(owners)

    # Build every case in memory, then number them in submission order per year (as the services would have).
    cases: list[Case] = []
    for owner in owners[:total]:
        adoption = rng.choices(proc_choices, weights=proc_weights)[0]
        state = _pick(rng, STATE_WEIGHTS)
        channel = _pick(rng, CHANNEL_WEIGHTS)
        # Open cases are recent (so that some are overdue and some not yet), finished ones from the whole year.
        age = rng.uniform(0, 45 if state in OPEN_STATES else 400)
        submitted_at = now - timedelta(days=age, seconds=rng.randrange(86400))
        case = Case(
            commune=commune, kind="service", procedure=adoption, department_id=adoption.department_id,
            arrondissement=rng.choice(arrondissements), state=state, channel=channel,
            citizen=owner, language=owner.language if owner is not None else "ar",
            data={"address": f"{rng.randrange(1, 400)} زنقة {rng.randrange(1, 90)}، سلا"},
            created_at=submitted_at, version=1,
        )
        if channel == "counter" and owner is not heavy_citizen and rng.random() < 0.5:
            case.citizen = None
            case.applicant_name = f"Demandeur {rng.randrange(100000):05d}"
            case.applicant_phone = f"+2126{rng.randrange(10**8):08d}"
        if rng.random() < 0.3:
            case.protected_data = f'{{"cin": "AB{rng.randrange(10**6):06d}"}}'
        if state != "draft":
            case.submitted_at = submitted_at
            amount, unit, due_date = due(submitted_at, adoption)
            case.deadline_amount, case.deadline_unit, case.due_date = amount, unit, due_date
            case.legal_basis = adoption.procedure.legal_basis_fr
            case.silence_means_approval = adoption.procedure.silence_means_approval
            case.tracking_code = "".join(rng.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
            if state == "returned" or (state not in OPEN_STATES and rng.random() < 0.1):
                case.returned_at = submitted_at + timedelta(days=1)
                case.return_missing = ["proof"]
                if state != "returned":
                    case.completed_at = submitted_at + timedelta(days=2)
            if state in ("approved", "rejected", "act_issued", "closed"):
                case.decided_at = submitted_at + timedelta(days=rng.uniform(0.2, 20))
                case.approved_by_silence = state != "rejected" and case.silence_means_approval \
                    and rng.random() < 0.05
                if state == "rejected":
                    case.rejection_reason = "Dossier incomplet."
            if state in ("act_issued", "closed"):
                case.act_issued_at = (case.decided_at or submitted_at) + timedelta(hours=2)
            if state in ("closed", "withdrawn"):
                case.closed_at = submitted_at + timedelta(days=rng.uniform(1, 25))
                if state == "closed" and case.citizen_id and rng.random() < 0.3:
                    case.rating = rng.randint(1, 5)
            if staff and state in OPEN_STATES and rng.random() < 0.4:
                case.assigned_to = rng.choice(staff)
        cases.append(case)

    submitted = sorted((c for c in cases if c.submitted_at is not None), key=lambda c: c.submitted_at)
    with tenancy.unscoped():
        counters = {c.year: c.last_number for c in ReferenceCounter.objects.filter(commune=commune)}
    if already["numbers"] and not counters:
        raise RuntimeError("cases exist but no reference counter: refusing to number over them")
    for case in submitted:
        year = calendar.local_date(case.submitted_at).year
        counters[year] = counters.get(year, 0) + 1
        case.year, case.number = year, counters[year]
        case.reference = format_reference(commune, year, case.number)
    cases = [c for c in cases if c.submitted_at is None] + submitted

    with tenancy.unscoped():
        for start in range(0, len(cases), batch_size):
            batch = cases[start:start + batch_size]
            with transaction.atomic():
                Case.all_communes.bulk_create(batch)
                events = [
                    CaseEvent(commune=commune, case=c, kind="transition", from_state="draft", to_state="submitted",
                              actor=c.citizen, by_staff=c.channel == "counter", public_text="",
                              is_public=True, created_at=c.submitted_at)
                    for c in batch if c.submitted_at is not None
                ]
                CaseEvent.all_communes.bulk_create(events)
                if start + batch_size >= len(cases):
                    # The counters move in the same transaction as the last batch: the numbers are taken.
                    for year, last in counters.items():
                        ReferenceCounter.objects.update_or_create(commune=commune, year=year,
                                                                  defaults={"last_number": last})
            stats.cases += len(batch)
            stats.events += len(events)
            if progress is not None:
                progress(f"{stats.cases:>7} cases, {stats.events:>7} events ({time.monotonic() - started:.0f} s)")
    stats.by_state = Counter(c.state for c in cases)
    stats.last_numbers = dict(counters)
    stats.citizens = len({c.citizen_id for c in cases if c.citizen_id})
    stats.seconds = time.monotonic() - started
    return stats


# --- command line ----------------------------------------------------------------------------------------------


def configure_environment(database_url: str | None) -> str:
    """Development settings without DEBUG (it would keep every query in memory), files under var/bench/."""
    url = database_url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
    os.environ["DATABASE_URL"] = url
    os.environ["JAMAA_ENV"] = "development"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("JAMAA_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ["JAMAA_BENCH"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jamaa.settings")
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return url


def reset_database(url: str) -> None:
    """--fresh: delete the SQLite file, or drop and recreate the PostgreSQL database (never the server's others)."""
    import dj_database_url

    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{config['NAME']}{suffix}").unlink(missing_ok=True)
        return
    ensure_postgres_database(url, drop=True)


def ensure_postgres_database(url: str, *, drop: bool = False) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return
    name = config["NAME"]
    if not name.startswith("jamaa_bench"):
        raise SystemExit(f"Refusing to touch the PostgreSQL database {name!r}: bench databases are named jamaa_bench*.")
    with psycopg.connect(dbname="postgres", user=config["USER"] or None, password=config["PASSWORD"] or None,
                         host=config["HOST"] or None, port=config["PORT"] or None, autocommit=True) as conn:
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def load(*, database_url: str | None = None, cases: int = 100_000, heavy: int = 2000, citizens: int = 300,
         fresh: bool = False, quiet: bool = False) -> LoadStats | None:
    """Set up the bench database (migrate, load_demo) and load the cases unless the commune already has some."""
    url = configure_environment(database_url)
    if fresh:
        reset_database(url)
    ensure_postgres_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jamaa.cases.models import Case
    from jamaa.core import tenancy
    from jamaa.core.models import Commune, Membership, User

    def say(message: str) -> None:
        if not quiet:
            print(message, flush=True)

    say(f"Bench database: {connection.vendor} {connection.settings_dict['NAME']}")
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    say(f"migrate + load_demo: {time.monotonic() - started:.0f} s")
    with tenancy.unscoped():
        sale = Commune.objects.get(slug="sale")
        present = Case.all_communes.filter(commune=sale).count()
        if present >= cases:
            say(f"Salé already has {present} cases: nothing loaded (--fresh starts again).")
            return None
        if present:  # load_demo's few demo requests: the bench cases come on top, numbered after them
            say(f"Salé has {present} demo cases; adding {cases}.")
        heavy_citizen = User.objects.get(username=HEAVY_CITIZEN)
        staff = [m.user for m in Membership.all_communes.filter(commune=sale, role__in=("agent", "head"))
                 .select_related("user")]
    light = ensure_citizens(sale, citizens)
    stats = load_cases(commune=sale, total=cases, heavy_citizen=heavy_citizen, heavy_count=min(heavy, cases),
                       citizens=light, staff=staff, progress=say)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics for the planner (SQLite and PostgreSQL alike)
    say(f"Loaded {stats.cases} cases ({dict(sorted(stats.by_state.items()))}), {stats.events} events, "
        f"{stats.citizens} citizens, last numbers {stats.last_numbers}, in {stats.seconds:.0f} s.")
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else sqlite var/bench/jamaa.sqlite3")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--heavy", type=int, default=2000, help="cases of the heavy citizen (+212612345678)")
    parser.add_argument("--citizens", type=int, default=300, help="other citizens the cases are spread over")
    parser.add_argument("--fresh", action="store_true", help="delete the bench database first")
    args = parser.parse_args(argv)
    load(database_url=args.database_url, cases=args.cases, heavy=args.heavy, citizens=args.citizens,
         fresh=args.fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
