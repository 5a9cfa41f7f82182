"""Load the DEMO data: Salé (five arrondissements) and Témara, their departments, demo accounts, and the demo
catalogue of procedures with each commune's adoptions (jamaa.catalog.demo).

Everything here is demonstration data with published passwords and TOTP secrets: the command refuses to run
under production settings. It is idempotent: records are matched on their natural keys (commune slug, host
name, arrondissement and department slugs, username) and only written when something differs, so a second run
changes nothing and creates no duplicates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from jamaa.cases.demo import load_demo_cases
from jamaa.catalog.demo import load_catalogue
from jamaa.complaints.defaults import DEPARTMENTS as COMPLAINT_DEPARTMENTS
from jamaa.complaints.demo import load_demo_complaints, prepare_demo_complaints
from jamaa.core import tenancy
from jamaa.core.models import Arrondissement, Commune, CommuneHost, Department, Membership, Role, User
from jamaa.documents.demo import load_demo_keys
from jamaa.documents.models import IssuedDocument

# The one password of every demo account (printed by `make demo`, listed in README.md).
DEMO_PASSWORD = "Jamaa-Demo-2026"
DEMO_TOTP_DEVICE = "demo authenticator"
LOGO_DIR = Path(__file__).resolve().parents[2] / "static" / "jamaa" / "demo"

@dataclass(frozen=True)
class DemoCommune:
    slug: str
    code: str
    host: str
    name_ar: str
    name_fr: str
    name_zgh: str
    address_ar: str
    address_fr: str
    phone: str
    email: str
    primary_colour: str
    accent_colour: str
    arrondissements: tuple[tuple[str, str, str, str], ...]  # slug, Arabic, French, Tamazight
    departments: tuple[tuple[str, str, str, str], ...]  # code, Arabic, French, Tamazight


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    language: str
    commune: str | None = None  # staff: the commune of the membership; citizens: where they signed up
    role: str | None = None  # None for citizens and the platform operator
    department: str | None = None
    operator: bool = False

    @property
    def needs_totp(self) -> bool:
        return self.role is not None or self.operator


DEPARTMENTS = (
    ("etat-civil", "الحالة المدنية", "État civil", "ⴰⴷⴷⴰⴷ ⴰⵖⵔⵏⴰⵏ"),
    ("urbanisme", "التعمير", "Urbanisme", ""),
    ("affaires-economiques", "الشؤون الاقتصادية", "Affaires économiques", ""),
    ("bureau-ordre", "مكتب الضبط", "Bureau d'ordre", ""),
    ("legalisation", "تصحيح الإمضاءات والإشهاد على مطابقة النسخ", "Légalisation des signatures", ""),
)

COMMUNES = (
    DemoCommune(
        slug="sale", code="SAL", host="sale.localhost",
        name_ar="سلا", name_fr="Salé", name_zgh="ⵙⵍⴰ",
        address_ar="مقر الجماعة، شارع محمد الخامس، سلا", address_fr="Siège de la commune, avenue Mohammed V, Salé",
        phone="+212537000001", email="contact@sale.example.ma",
        primary_colour="#0b5d3b", accent_colour="#b8860b",
        arrondissements=(
            ("bab-lamrissa", "باب لمريسة", "Bab Lamrissa", "ⴱⴰⴱ ⵍⵎⵔⵉⵙⴰ"),
            ("bettana", "بطانة", "Bettana", "ⴱⵟⵟⴰⵏⴰ"),
            ("hssaine", "احصين", "Hssaine", "ⵃⵚⵚⴰⵢⵏ"),
            ("layayda", "العيايدة", "Layayda", "ⵍⵄⵢⴰⵢⴷⴰ"),
            ("tabriquet", "تابريكت", "Tabriquet", "ⵜⴰⴱⵔⵉⴽⵜ"),
        ),
        departments=DEPARTMENTS,
    ),
    DemoCommune(
        slug="temara", code="TEM", host="temara.localhost",
        name_ar="تمارة", name_fr="Témara", name_zgh="ⵜⵎⴰⵔⴰ",
        address_ar="مقر الجماعة، شارع الحسن الثاني، تمارة", address_fr="Siège de la commune, avenue Hassan II, Témara",
        phone="+212537000002", email="contact@temara.example.ma",
        primary_colour="#1d4e89", accent_colour="#c77700",
        arrondissements=(),
        departments=DEPARTMENTS[:4],
    ),
)

ACCOUNTS = (
    DemoAccount("+212612345678", "Fatima Zahra Bennani", "ar", commune="sale"),
    DemoAccount("youssef@example.ma", "Youssef El Idrissi", "fr", commune="temara"),
    DemoAccount("agent@sale.example.ma", "Karim Alaoui", "ar", "sale", Role.AGENT, "etat-civil"),
    DemoAccount("chef.etat-civil@sale.example.ma", "Naima Berrada", "ar", "sale", Role.HEAD, "etat-civil"),
    DemoAccount("hygiene@sale.example.ma", "Rachid El Ouazzani", "ar", "sale", Role.AGENT, "hygiene"),
    DemoAccount("admin@sale.example.ma", "Samir Tazi", "fr", "sale", Role.ADMIN),
    DemoAccount("president@sale.example.ma", "Omar Benjelloun", "ar", "sale", Role.LEADERSHIP),
    DemoAccount("agent@temara.example.ma", "Laila Chraibi", "ar", "temara", Role.AGENT, "etat-civil"),
    DemoAccount("admin@temara.example.ma", "Hamid Sqalli", "fr", "temara", Role.ADMIN),
    DemoAccount("operator@jamaa.example.ma", "Platform Operator", "fr", operator=True),
)


def demo_totp_key(username: str) -> str:
    """The fixed (published) TOTP secret of a demo account, hex-encoded as django-otp stores it."""
    return hmac.new(b"jamaa-demo-totp", username.encode(), hashlib.sha1).hexdigest()


def base32_secret(hex_key: str) -> str:
    """The secret as an authenticator app expects it."""
    return base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")


def upsert[M: models.Model](manager: models.Manager[M], lookup: dict[str, Any], values: dict[str, Any],
           create_only: dict[str, Any] | None = None) -> tuple[M, bool]:
    """get-or-create on the natural key, then write only the fields that differ (a re-run writes nothing)."""
    obj, created = manager.get_or_create(**lookup, defaults={**values, **(create_only or {})})
    if created:
        return obj, True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj, False


class Command(BaseCommand):
    help = "Load the demo communes (Salé, Témara), departments and demo accounts. Idempotent; never in production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the accounts table.")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("load_demo creates accounts with published passwords: it never runs in production "
                               "(JAMAA_ENV=production).")
        with tenancy.unscoped(), transaction.atomic():
            communes = {spec.slug: self._commune(spec) for spec in COMMUNES}
            # Complaint categories and their departments (the hygiene agent's), and the communes' outlines.
            prepare_demo_complaints(communes)
            departments = {(d.commune.slug, d.code): d
                           for d in Department.all_communes.filter(commune__in=communes.values())
                           .select_related("commune")}
            for account in ACCOUNTS:
                self._account(account, communes, departments)
            load_catalogue(communes)
            # Keys and seals first: the demo requests that end with an act issue it through the real service.
            load_demo_keys(communes)
            load_demo_cases(communes, write=self.stdout.write if options["verbosity"] > 0 else None)
            # After the requests: some grievances are about them.
            load_demo_complaints(communes, write=self.stdout.write if options["verbosity"] > 0 else None)
            if options["verbosity"] > 0:
                issued = IssuedDocument.all_communes.filter(commune__in=communes.values()).count()
                self.stdout.write(f"Documents: {issued} acts issued, sealed and verifiable (My documents)")
        if options["verbosity"] > 0 and not options["quiet_accounts"]:
            self._print_accounts()

    def _commune(self, spec: DemoCommune) -> Commune:
        commune, _created = upsert(Commune.objects, {"slug": spec.slug}, {
            "code": spec.code, "name_ar": spec.name_ar, "name_fr": spec.name_fr, "name_zgh": spec.name_zgh,
            "address_ar": spec.address_ar, "address_fr": spec.address_fr, "phone": spec.phone, "email": spec.email,
            "primary_colour": spec.primary_colour, "accent_colour": spec.accent_colour, "is_active": True,
        })
        upsert(CommuneHost.objects, {"host": spec.host}, {"commune": commune, "is_primary": True})
        self._logo(commune)
        for position, (slug, name_ar, name_fr, name_zgh) in enumerate(spec.arrondissements):
            upsert(Arrondissement.all_communes, {"commune": commune, "slug": slug},
                   {"name_ar": name_ar, "name_fr": name_fr, "name_zgh": name_zgh, "position": position})
        for code, name_ar, name_fr, name_zgh in spec.departments:
            upsert(Department.all_communes, {"commune": commune, "code": code},
                   {"name_ar": name_ar, "name_fr": name_fr, "name_zgh": name_zgh, "is_active": True,
                    "email": f"{code}@{spec.slug}.example.ma"})
        return commune

    def _logo(self, commune: Commune) -> None:
        content = (LOGO_DIR / f"{commune.slug}.svg").read_bytes()
        storage = commune.logo.storage
        target = commune.logo.field.generate_filename(commune, f"{commune.slug}.svg")
        if storage.exists(target):
            with storage.open(target, "rb") as current:
                same = current.read() == content
            if same:
                if commune.logo.name != target:
                    commune.logo.name = target
                    commune.save(update_fields=["logo"])
                return
            storage.delete(target)
        # Saved through the FileField, as an upload in the back office would be.
        commune.logo.save(f"{commune.slug}.svg", ContentFile(content), save=True)

    def _account(self, account: DemoAccount, communes: dict[str, Commune],
                 departments: dict[tuple[str, str], Department]) -> User:
        kind = "email" if "@" in account.username else "phone"
        user, created = upsert(User.objects, {"username": account.username}, {
            kind: account.username, "full_name": account.full_name, "language": account.language,
            "contact_verified": True, "is_active": True, "is_staff": account.operator, "is_superuser": account.operator,
        }, create_only={
            "signup_commune": communes[account.commune] if account.commune and account.role is None else None,
        })
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if account.needs_totp:
            upsert(TOTPDevice.objects, {"user": user, "name": DEMO_TOTP_DEVICE},
                   {"key": demo_totp_key(account.username), "confirmed": True})
        if account.role is not None and account.commune is not None:
            department = departments[(account.commune, account.department)] if account.department else None
            upsert(Membership.all_communes, {"commune": communes[account.commune], "user": user},
                   {"role": account.role, "department": department, "is_active": True},
                   create_only={"accepted_at": timezone.now()})
        return user

    def _print_accounts(self) -> None:
        write = self.stdout.write
        names = {spec.slug: spec.name_fr for spec in COMMUNES}
        roles = dict(Role.choices)
        department_names = {code: name_fr for code, _ar, name_fr, _zgh in DEPARTMENTS}
        department_names |= {code: name_fr for code, (_ar, name_fr) in COMPLAINT_DEPARTMENTS.items()}
        write("")
        write(self.style.WARNING("DEMO DATA: these accounts and secrets are public. Never use them in production."))
        write(f"Password of every demo account: {DEMO_PASSWORD}")
        write("")
        write(f"{'Account':<34} {'Who':<42} Where")
        for account in ACCOUNTS:
            if account.operator:
                who, where = "platform operator (Django admin)", "http://localhost:8000/admin/"
            elif account.role is None:
                channel = "e-mail" if "@" in account.username else "mobile number"
                who = f"citizen, verified {channel}"
                where = f"http://{account.commune}.localhost:8000/accounts/login/"
            else:
                who = f"{roles[account.role]}"
                if account.department:
                    who += f", {department_names[account.department]}"
                where = f"{names[account.commune or '']}: http://{account.commune}.localhost:8000/backoffice/"
            write(f"{account.username:<34} {who:<42} {where}")
        write("")
        write("Staff and the operator confirm their login with a TOTP code. Add a secret below to an authenticator")
        write("app, or print the current code with: make totp USER=<account>")
        for account in ACCOUNTS:
            if account.needs_totp:
                write(f"  {account.username:<34} {base32_secret(demo_totp_key(account.username))}")
        write("")
