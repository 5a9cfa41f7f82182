"""The demo data of `make demo` (manage.py load_demo) and the TOTP helper (manage.py totp_code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import struct
import time

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from jamaa.core import tenancy
from jamaa.core.management.commands.load_demo import ACCOUNTS, DEMO_PASSWORD
from jamaa.core.models import Arrondissement, Commune, CommuneHost, Department, Membership, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
    }}
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # the demo requests' documents
    return tmp_path / "media"


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    with tenancy.unscoped():
        return {
            "communes": list(Commune.objects.order_by("pk").values_list()),
            "hosts": list(CommuneHost.objects.order_by("pk").values_list()),
            "arrondissements": list(Arrondissement.objects.order_by("pk").values_list()),
            "departments": list(Department.objects.order_by("pk").values_list()),
            "users": list(User.objects.order_by("pk").values_list()),
            "memberships": list(Membership.objects.order_by("pk").values_list()),
            "devices": list(TOTPDevice.objects.order_by("pk").values_list()),
        }


def rfc6238(base32_secret: str, at: float) -> str:
    """An independent TOTP computation, as an authenticator app does it."""
    key = base64.b32decode(base32_secret + "=" * (-len(base32_secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def test_salé_has_its_five_arrondissements_and_témara_none(media):
    load_demo()
    sale = Commune.objects.get(slug="sale")
    temara = Commune.objects.get(slug="temara")
    assert (sale.code, sale.name_ar, sale.name_fr, sale.name_zgh) == ("SAL", "سلا", "Salé", "ⵙⵍⴰ")
    assert (temara.code, temara.name_ar, temara.name_fr, temara.name_zgh) == ("TEM", "تمارة", "Témara", "ⵜⵎⴰⵔⴰ")
    assert sale.primary_host == "sale.localhost" and temara.primary_host == "temara.localhost"
    assert sale.phone and sale.email and sale.address_ar and sale.address_fr
    with tenancy.scope(sale):
        arrondissements = [(a.name_fr, a.name_ar) for a in Arrondissement.objects.all()]
    assert arrondissements == [("Bab Lamrissa", "باب لمريسة"), ("Bettana", "بطانة"), ("Hssaine", "احصين"),
                               ("Layayda", "العيايدة"), ("Tabriquet", "تابريكت")]
    with tenancy.scope(temara):
        assert Arrondissement.objects.count() == 0


def test_each_commune_has_its_departments(media):
    load_demo()
    with tenancy.unscoped():
        for slug in ("sale", "temara"):
            codes = set(Department.objects.filter(commune__slug=slug).values_list("code", flat=True))
            assert {"etat-civil", "urbanisme", "affaires-economiques", "bureau-ordre"} <= codes
        etat_civil = Department.objects.get(commune__slug="sale", code="etat-civil")
    assert (etat_civil.name_ar, etat_civil.name_fr) == ("الحالة المدنية", "État civil")


def test_running_it_twice_changes_nothing_and_duplicates_nothing(media):
    load_demo()
    first = snapshot()
    logos = sorted(p.name for p in (media / "communes").iterdir())
    load_demo()
    assert snapshot() == first
    assert sorted(p.name for p in (media / "communes").iterdir()) == logos == ["sale.svg", "temara.svg"]


def test_it_repairs_demo_data_that_was_changed(media):
    load_demo()
    with tenancy.unscoped():
        Department.objects.filter(code="urbanisme").update(name_fr="Changed")
    User.objects.filter(username="admin@sale.example.ma").update(is_active=False)
    load_demo()
    with tenancy.unscoped():
        assert set(Department.objects.filter(code="urbanisme").values_list("name_fr", flat=True)) == {"Urbanisme"}
    assert User.objects.get(username="admin@sale.example.ma").is_active


def test_every_demo_account_logs_in_with_the_printed_password(media):
    output = load_demo()
    assert f"Password of every demo account: {DEMO_PASSWORD}" in output
    for account in ACCOUNTS:
        assert account.username in output
        request = RequestFactory(HTTP_HOST="sale.localhost").post("/accounts/login/")
        assert authenticate(request, username=account.username, password=DEMO_PASSWORD) is not None
    citizen_by_phone = User.objects.get(username="+212612345678")
    citizen_by_email = User.objects.get(username="youssef@example.ma")
    assert citizen_by_phone.phone == "+212612345678" and citizen_by_phone.contact_verified
    assert citizen_by_email.email == "youssef@example.ma" and citizen_by_email.contact_verified
    assert not Membership.all_communes.filter(user__in=[citizen_by_phone, citizen_by_email]).exists()


def test_staff_have_the_roles_of_the_brief(media):
    load_demo()
    with tenancy.unscoped():
        roles = {(m.commune.slug, m.role, m.department.code if m.department else None)
                 for m in Membership.objects.select_related("commune", "department").filter(is_active=True)
                 if m.accepted_at is not None}
    assert roles == {
        ("sale", Role.AGENT, "etat-civil"), ("sale", Role.HEAD, "etat-civil"), ("sale", Role.ADMIN, None),
        ("sale", Role.LEADERSHIP, None), ("temara", Role.AGENT, "etat-civil"), ("temara", Role.ADMIN, None),
        ("sale", Role.AGENT, "hygiene"),  # complaints (jamaa.complaints.demo)
    }
    operator = User.objects.get(username="operator@jamaa.example.ma")
    assert operator.is_staff and operator.is_superuser
    assert not User.objects.filter(is_staff=True).exclude(pk=operator.pk).exists()


def test_the_printed_totp_secrets_work_in_an_authenticator_app(media):
    output = load_demo()
    secrets_by_user = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and "@" in parts[0] and len(parts[1]) == 32:
            secrets_by_user[parts[0]] = parts[1]
    staff = {a.username for a in ACCOUNTS if a.needs_totp}
    assert set(secrets_by_user) == staff
    for username, secret in secrets_by_user.items():
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert device.verify_token(rfc6238(secret, time.time())), username


def test_the_totp_secrets_are_fixed_across_fresh_databases(media):
    load_demo()
    keys = dict(TOTPDevice.objects.values_list("user__username", "key"))
    TOTPDevice.objects.all().delete()
    load_demo()
    assert dict(TOTPDevice.objects.values_list("user__username", "key")) == keys


def test_totp_code_prints_a_code_that_the_second_factor_accepts(media):
    load_demo()
    out = io.StringIO()
    call_command("totp_code", "admin@sale.example.ma", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    assert TOTPDevice.objects.get(user__username="admin@sale.example.ma").verify_token(code)


def test_totp_code_explains_an_unknown_account_or_a_citizen(media):
    load_demo()
    with pytest.raises(CommandError, match=r"No account 'nobody@example\.ma'"):
        call_command("totp_code", "nobody@example.ma", stdout=io.StringIO())
    with pytest.raises(CommandError, match="has no confirmed TOTP device"):
        call_command("totp_code", "0612345678", stdout=io.StringIO())


@override_settings(PRODUCTION=True)
def test_demo_commands_refuse_to_run_in_production(media):
    with pytest.raises(CommandError, match="never runs in production"):
        call_command("load_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="never runs in production"):
        call_command("totp_code", "admin@sale.example.ma", stdout=io.StringIO())
    assert not Commune.objects.exists()


def test_the_demo_sites_show_their_logo_and_colours(media):
    load_demo()
    client = Client(HTTP_HOST="sale.localhost")
    page = client.get("/").content.decode()
    assert 'src="/commune-logo/sale"' in page
    assert "--brand:#0b5d3b" in page
    logo = client.get("/commune-logo/sale")
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(logo.streaming_content)
    assert "--brand:#1d4e89" in Client(HTTP_HOST="temara.localhost").get("/").content.decode()


def test_the_landing_page_lists_the_demo_communes(media):
    load_demo()
    page = Client(HTTP_HOST="localhost").get("/").content.decode()
    assert "سلا" in page and "تمارة" in page
