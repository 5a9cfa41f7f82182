"""The named test world: two communes (Salé, Témara), a citizen and staff of each, an administrator of each."""

from __future__ import annotations

import os

os.environ.setdefault("JAMAA_ENV", "test")

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

PASSWORD = "Correct-Horse-2026"


@dataclass
class World:
    sale: object
    temara: object
    sale_etat_civil: object
    sale_urbanisme: object
    temara_etat_civil: object
    citizen_sale: object
    citizen_temara: object
    agent_sale: object
    head_sale: object
    admin_sale: object
    leader_sale: object
    agent_temara: object
    admin_temara: object
    password: str = PASSWORD


def _commune(slug: str, code: str, name_ar: str, name_fr: str, name_zgh: str, host: str):
    from jamaa.core.models import Commune, CommuneHost

    commune = Commune.objects.create(slug=slug, code=code, name_ar=name_ar, name_fr=name_fr, name_zgh=name_zgh,
                                     phone="+212537000000", email=f"contact@{slug}.ma")
    CommuneHost.objects.create(commune=commune, host=host, is_primary=True)
    return commune


def _user(username: str, full_name: str, **extra):
    from jamaa.core.models import User

    return User.objects.create_user(username, PASSWORD, full_name=full_name, contact_verified=True, **extra)


def _staff(commune, user, role, department=None):
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jamaa.core.models import Membership

    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return Membership.all_communes.create(commune=commune, user=user, role=role, department=department,
                                          accepted_at=timezone.now())


@pytest.fixture
def world(db) -> Iterator[World]:
    from jamaa.core import tenancy
    from jamaa.core.models import Arrondissement, Department, Role

    with tenancy.unscoped():
        sale = _commune("sale", "SAL", "سلا", "Salé", "ⵙⵍⴰ", "sale.localhost")
        temara = _commune("temara", "TEM", "تمارة", "Témara", "ⵜⵎⴰⵔⴰ", "temara.localhost")
        for i, (slug, ar, fr) in enumerate([
            ("bab-lamrissa", "باب لمريسة", "Bab Lamrissa"), ("bettana", "بطانة", "Bettana"),
            ("hssaine", "احصين", "Hssaine"), ("layayda", "العيايدة", "Layayda"), ("tabriquet", "تابريكت", "Tabriquet"),
        ]):
            Arrondissement.all_communes.create(commune=sale, slug=slug, name_ar=ar, name_fr=fr, position=i)
        sale_ec = Department.all_communes.create(commune=sale, code="etat-civil", name_ar="الحالة المدنية",
                                                 name_fr="État civil")
        sale_urb = Department.all_communes.create(commune=sale, code="urbanisme", name_ar="التعمير",
                                                  name_fr="Urbanisme")
        temara_ec = Department.all_communes.create(commune=temara, code="etat-civil", name_ar="الحالة المدنية",
                                                   name_fr="État civil")
        w = World(
            sale=sale, temara=temara, sale_etat_civil=sale_ec, sale_urbanisme=sale_urb, temara_etat_civil=temara_ec,
            citizen_sale=_user("+212612345678", "Fatima Zahra Bennani", signup_commune=sale),
            citizen_temara=_user("youssef@example.ma", "Youssef El Idrissi", signup_commune=temara),
            agent_sale=_user("agent@sale.example.ma", "Karim Agent"),
            head_sale=_user("head@sale.example.ma", "Naima Cheffe"),
            admin_sale=_user("admin@sale.example.ma", "Samir Admin"),
            leader_sale=_user("president@sale.example.ma", "Omar President"),
            agent_temara=_user("agent@temara.example.ma", "Laila Agent"),
            admin_temara=_user("admin@temara.example.ma", "Hamid Admin"),
        )
        _staff(sale, w.agent_sale, Role.AGENT, sale_ec)
        _staff(sale, w.head_sale, Role.HEAD, sale_ec)
        _staff(sale, w.admin_sale, Role.ADMIN)
        _staff(sale, w.leader_sale, Role.LEADERSHIP)
        _staff(temara, w.agent_temara, Role.AGENT, temara_ec)
        _staff(temara, w.admin_temara, Role.ADMIN)
        # Each commune signs its acts' QR codes with a key in use since an hour ago (issuing an act needs one).
        from datetime import timedelta

        from django.utils import timezone

        from jamaa.documents.services import key_create

        for commune in (sale, temara):
            key_create(commune=commune, publish_days_before_use=0, now=timezone.now() - timedelta(hours=1))
    yield w


def host_client(host: str):
    from django.test import Client

    return Client(HTTP_HOST=host)


def login_staff(client, user):
    """Log a member of staff in with their password and a verified TOTP device (as after the 2FA step)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.get(user=user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def sale_client():
    return host_client("sale.localhost")


@pytest.fixture
def temara_client():
    return host_client("temara.localhost")


@pytest.fixture
def platform_client():
    return host_client("localhost")


@pytest.fixture
def sale_scope(world):
    from jamaa.core import tenancy

    with tenancy.scope(world.sale):
        yield world.sale


@pytest.fixture(autouse=True)
def _fresh_trust_list():
    """The trust list is cached for a minute and the cache cleared on commit, which never comes inside a test's
    transaction: each test starts without a cached list (keys of an earlier test's database are gone)."""
    from django.core.cache import cache

    from jamaa.documents.verification import TRUST_LIST_CACHE_KEY

    cache.delete(TRUST_LIST_CACHE_KEY)
    yield


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    """Every test starts with no SMS sent (as Django empties mail.outbox for e-mail)."""
    from jamaa.notifications.backends import MemorySmsBackend

    MemorySmsBackend.outbox.clear()
    yield


@dataclass
class Procedures:
    """Catalogue procedures of the test world and their adoptions (see the `procedures` fixture)."""

    residence: object  # national: residence certificate (working days, two documents)
    building: object  # national: building permit (calendar days, silence means approval)
    life: object  # national: life certificate, adopted by nobody
    sale_residence: object  # Salé's adoption (état civil, 5 working days, 20 MAD)
    sale_building: object  # Salé's adoption (urbanisme)
    temara_residence: object  # Témara's adoption (état civil)


RESIDENCE_FORM = [
    {"name": "arrondissement", "type": "arrondissement", "required": True,
     "label": {"ar": "المقاطعة", "fr": "Arrondissement", "zgh": "ⴰⵙⵓⵔⵉⴼ"}},
    {"name": "address", "type": "address", "required": True, "max_length": 250,
     "label": {"ar": "العنوان", "fr": "Adresse"}},
    {"name": "cin", "type": "cin", "required": True, "label": {"ar": "رقم البطاقة الوطنية", "fr": "Numéro de CIN"}},
    {"name": "since", "type": "date", "required": True, "date_max": "today", "date_min": "-100y",
     "label": {"ar": "تاريخ بداية السكن", "fr": "Résident depuis le"}},
    {"name": "purpose", "type": "choice", "required": True, "label": {"ar": "الغرض", "fr": "Motif"},
     "choices": [{"value": "work", "label": {"ar": "العمل", "fr": "Travail"}},
                 {"value": "school", "label": {"ar": "الدراسة", "fr": "Études"}},
                 {"value": "other", "label": {"ar": "غرض آخر", "fr": "Autre"}}]},
    {"name": "purpose_other", "type": "text", "required": True, "max_length": 120,
     "show_if": {"field": "purpose", "equals": "other"},
     "label": {"ar": "حدد الغرض", "fr": "Précisez le motif"}},
    {"name": "household", "type": "number", "required": False, "min": 1, "max": 30,
     "label": {"ar": "عدد أفراد الأسرة", "fr": "Personnes au foyer"}},
    {"name": "owner", "type": "yesno", "required": True,
     "label": {"ar": "هل أنت المالك؟", "fr": "Êtes-vous propriétaire ?"}},
]


@pytest.fixture
def procedures(world) -> Procedures:
    from decimal import Decimal

    from jamaa.catalog.models import Category, CommuneProcedure, LifeEvent, Procedure, RequiredDocument
    from jamaa.core import tenancy

    with tenancy.unscoped():
        civil = Category.objects.create(slug="etat-civil", name_ar="الحالة المدنية", name_fr="État civil", position=1)
        urban = Category.objects.create(slug="urbanisme", name_ar="التعمير", name_fr="Urbanisme", position=2)
        moving = LifeEvent.objects.create(slug="demenagement", name_ar="الانتقال إلى سكن جديد",
                                          name_fr="Déménagement", position=1)
        residence = Procedure.objects.create(
            slug="residence-certificate", name_ar="شهادة السكنى", name_fr="Certificat de résidence",
            description_ar="تثبت مكان سكن الطالب.", description_fr="Atteste le lieu de résidence du demandeur.",
            category=civil, form_definition=RESIDENCE_FORM, fees_mad=Decimal("0"),
            legal_basis_ar="القانون 55.19", legal_basis_fr="Loi 55-19 relative à la simplification",
            deadline_amount=10, deadline_unit="working", department_code="etat-civil", channel="both",
            act_kind="residence_certificate")
        residence.life_events.add(moving)
        RequiredDocument.objects.create(procedure=residence, code="proof", name_ar="إثبات السكن",
                                        name_fr="Justificatif de domicile", is_required=True, position=1)
        RequiredDocument.objects.create(procedure=residence, code="lease", name_ar="عقد الكراء",
                                        name_fr="Contrat de bail", is_required=False, position=2)
        building = Procedure.objects.create(
            slug="building-permit", name_ar="رخصة البناء", name_fr="Permis de construire",
            description_ar="رخصة لبناء أو توسيع بناية.", description_fr="Autorisation de construire ou d'agrandir.",
            category=urban, form_definition=[
                {"name": "parcel", "type": "text", "required": True, "label": {"ar": "رقم الرسم العقاري",
                                                                                "fr": "Titre foncier"}},
            ], fees_mad=Decimal("100"), legal_basis_ar="القانون 12.90",
            legal_basis_fr="Loi 12-90 relative à l'urbanisme",
            deadline_amount=30, deadline_unit="calendar", silence_means_approval=True, is_investment_related=True,
            department_code="urbanisme", channel="online", act_kind="building_permit")
        life = Procedure.objects.create(
            slug="life-certificate", name_ar="شهادة الحياة", name_fr="Certificat de vie",
            description_ar="تثبت أن الشخص على قيد الحياة.", description_fr="Atteste que la personne est en vie.",
            category=civil, form_definition=[], legal_basis_ar="القانون 55.19", legal_basis_fr="Loi 55-19",
            deadline_amount=3, deadline_unit="working", department_code="etat-civil", act_kind="life_certificate")
        sale_residence = CommuneProcedure.all_communes.create(
            commune=world.sale, procedure=residence, department=world.sale_etat_civil, deadline_amount=5,
            fees_mad=Decimal("20"), instructions_ar="أحضر بطاقتك عند التسلم.",
            instructions_fr="Présentez votre CIN au retrait.")
        sale_building = CommuneProcedure.all_communes.create(
            commune=world.sale, procedure=building, department=world.sale_urbanisme)
        temara_residence = CommuneProcedure.all_communes.create(
            commune=world.temara, procedure=residence, department=world.temara_etat_civil)
    return Procedures(residence=residence, building=building, life=life, sale_residence=sale_residence,
                      sale_building=sale_building, temara_residence=temara_residence)
