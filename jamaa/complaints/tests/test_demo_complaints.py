"""The demo complaints of `make demo` (jamaa.complaints.demo, called by manage.py load_demo): categories, outlines,
answer templates, and five months of complaints in Salé and Témara in every state, replayed with the daily sweeps."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jamaa.cases.models import Case, CaseEvent, EventKind
from jamaa.complaints import demo, services
from jamaa.complaints.models import (
    AnswerTemplate,
    Area,
    Category,
    ClassifierModel,
    Complaint,
    ComplaintChannel,
    ComplaintState,
    Photo,
    Support,
)
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent, Commune, Membership, Role, User
from jamaa.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_files(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
    }}


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def complaints(slug: str) -> list[Complaint]:
    with tenancy.unscoped():
        return list(Complaint.all_communes.filter(commune__slug=slug)
                    .select_related("case__arrondissement", "case__department", "category", "commune"))


def counts() -> dict[str, int]:
    with tenancy.unscoped():
        return {
            "complaints": Complaint.all_communes.count(), "cases": Case.all_communes.count(),
            "events": CaseEvent.all_communes.count(), "supports": Support.all_communes.count(),
            "photos": Photo.all_communes.count(), "areas": Area.all_communes.count(),
            "templates": AnswerTemplate.all_communes.count(), "categories": Category.all_communes.count(),
            "outbox": OutboundMessage.objects.count(), "audit": AuditEvent.objects.count(),
        }


def test_it_loads_on_an_empty_database_and_a_second_run_adds_nothing() -> None:
    first = load_demo()
    before = counts()
    with tenancy.unscoped():
        models = dict(ClassifierModel.all_communes.values_list("commune__slug", "trained_at"))

    second = load_demo()

    assert counts() == before
    with tenancy.unscoped():
        assert dict(ClassifierModel.all_communes.values_list("commune__slug", "trained_at")) == models
    line = re.search(r"Complaints: (\d+) in Salé, (\d+) in Témara", first)
    assert line is not None and line.group(0) in second
    assert (int(line.group(1)), int(line.group(2))) == (len(demo.SALE), len(demo.TEMARA))
    assert 55 <= len(demo.SALE) <= 65 and 8 <= len(demo.TEMARA) <= 14


def test_salé_shows_every_state_and_the_life_of_complaints() -> None:
    load_demo()
    sale = complaints("sale")
    now = timezone.now()

    assert {c.state for c in sale} == set(ComplaintState.values)
    # Over the past five months, all in the past, each timeline after its filing.
    assert min(c.received_at for c in sale) < now - timezone.timedelta(days=140)
    assert all(c.received_at < now for c in sale)
    with tenancy.unscoped():
        for event in CaseEvent.all_communes.filter(case__complaint__commune__slug="sale").select_related("case"):
            assert event.case.submitted_at <= event.created_at < now
    # Answered late (after the legal date), answered and rated, supported, one merged, reopened at least once.
    assert any(c.answered_at and timezone.localdate(c.answered_at) > c.legal_due for c in sale)
    assert any(c.case.rating for c in sale)
    assert any(c.supporters >= 3 for c in sale)
    [merged] = [c for c in sale if c.merged_into_id]
    assert merged.state == ComplaintState.CLOSED and merged.merged_into.category_id == merged.category_id
    assert any(c.reopen_count for c in sale)
    assert all(c.answer for c in sale if c.state in (ComplaintState.RESOLVED, ComplaintState.REJECTED))
    # Reports and grievances, filed with an account, anonymously and through the Open311 application.
    assert {c.kind for c in sale} == {"report", "grievance"}
    assert any(c.is_anonymous for c in sale) and any(c.case.citizen_id for c in sale)
    assert any(c.channel == ComplaintChannel.OPEN311 and c.api_key_id and c.case.applicant_phone for c in sale)
    with tenancy.unscoped():
        assert Photo.all_communes.filter(complaint__commune__slug="sale").count() >= 5
    assert {c.case.language for c in sale} == {"ar", "fr"}


def test_grievances_about_demo_requests_name_them() -> None:
    load_demo()
    for slug in ("sale", "temara"):
        linked = [c for c in complaints(slug) if c.related_reference]
        assert linked, slug
        with tenancy.unscoped():
            for complaint in linked:
                case = Case.all_communes.get(commune=complaint.commune, reference=complaint.related_reference)
                assert case.submission_key.startswith("demo-") and case.citizen_id == complaint.case.citizen_id
                assert case.submitted_at < complaint.received_at


def test_the_sweeps_were_replayed_day_by_day() -> None:
    load_demo()
    sale = complaints("sale")

    # Open complaints past their legal date were escalated, and those past their target reminded.
    today = timezone.localdate()
    overdue = [c for c in sale if c.is_open and c.legal_due < today]
    assert overdue and all(c.escalated_at for c in overdue)
    assert all(c.reminded_at for c in sale if c.is_open and c.target_due < today)
    with tenancy.unscoped():
        # Answers nobody contested closed by themselves, by the system.
        auto_closed = AuditEvent.objects.filter(action="complaint.auto_close", commune__slug="sale")
        assert auto_closed.count() >= 10 and not auto_closed.exclude(actor=None).exists()
        # Reminders went to the hygiene agent for hygiene, to the administrator where a department has nobody.
        told = set(OutboundMessage.objects.filter(template="complaint_reminder", commune__slug="sale")
                   .values_list("user__username", flat=True))
        assert told == {demo.SALE_HYGIENE, demo.SALE_ADMIN}
        notes = CaseEvent.all_communes.filter(kind=EventKind.NOTE, case__complaint__isnull=False)
        assert notes.exists() and not notes.filter(is_public=True).exists()


def test_the_pins_fall_in_their_arrondissement_and_the_communes_are_kept_apart() -> None:
    load_demo()
    with tenancy.unscoped():
        for spec, slug in [(s, "sale") for s in demo.SALE] + [(s, "temara") for s in demo.TEMARA]:
            complaint = Complaint.all_communes.select_related("case__arrondissement", "commune", "category").get(
                commune__slug=slug, case__submission_key=f"{demo.KEY_PREFIX}{spec.n}")
            assert complaint.category.commune_id == complaint.commune_id == complaint.case.commune_id
            assert complaint.case.department.commune_id == complaint.commune_id
            if complaint.lat is None:
                continue
            expected = demo.PLACES[spec.place].arrondissement or None
            assert (complaint.case.arrondissement.slug if complaint.case.arrondissement else None) == expected
        sale = Commune.objects.get(slug="sale")
        with tenancy.scope(sale):
            assert {c.commune_id for c in Complaint.objects.all()} == {sale.pk}


def test_the_demo_staff_account_works_on_hygiene_complaints_and_is_printed() -> None:
    output = load_demo()

    assert demo.SALE_HYGIENE in output and "Hygiène et propreté" in output
    agent = User.objects.get(username=demo.SALE_HYGIENE)
    with tenancy.unscoped():
        membership = Membership.all_communes.select_related("department").get(user=agent)
        assert (membership.role, membership.department.code) == (Role.AGENT, "hygiene")
        hygiene = [c for c in complaints("sale") if c.case.department.code == "hygiene"]
        assert hygiene and services.require_staff(hygiene[0], agent)
        assert CaseEvent.all_communes.filter(case__in=[c.case for c in hygiene], actor=agent).count() >= 10
        # Templates to answer from, and a classifier trained on the complaints.
        for slug in ("sale", "temara"):
            assert AnswerTemplate.all_communes.filter(commune__slug=slug).count() >= 3
            assert ClassifierModel.all_communes.get(commune__slug=slug).samples > 0


# --- outlines, without the rest of the demo ------------------------------------------------------------------------


def test_the_outlines_put_each_demo_place_in_its_arrondissement(world: Any) -> None:
    with tenancy.unscoped():
        demo.prepare_demo_complaints({"sale": world.sale, "temara": world.temara})
        assert Area.all_communes.filter(commune=world.sale).count() == 6
        assert Area.all_communes.filter(commune=world.temara).count() == 1
        for place in demo.PLACES.values():
            commune = world.sale if place.arrondissement else world.temara
            other = world.temara if place.arrondissement else world.sale
            found = services.locate(commune, place.lat, place.lon)
            assert found.inside, place
            assert (found.arrondissement.slug if found.arrondissement else "") == place.arrondissement, place
            assert not services.locate(other, place.lat, place.lon).inside
        # The sea west of Salé and Rabat across the river are outside.
        assert not services.locate(world.sale, 34.05, -6.85).inside
        assert not services.locate(world.sale, 34.015, -6.83).inside
        before = list(Area.all_communes.order_by("pk").values_list("pk", "geometry"))
        demo.prepare_demo_complaints({"sale": world.sale, "temara": world.temara})
        assert list(Area.all_communes.order_by("pk").values_list("pk", "geometry")) == before


def test_the_demo_photos_pass_the_real_photo_checks() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    for kind in ("pothole", "waste", "lamp"):
        [checked] = services.check_photos([SimpleUploadedFile(f"{kind}.png", demo.demo_photo(kind))])
        assert checked.content_type == "image/png"


# --- manage.py complaints_install_defaults --------------------------------------------------------------------------


def test_the_command_installs_the_default_categories_once(world: Any) -> None:
    out = io.StringIO()
    call_command("complaints_install_defaults", "sale", stdout=out)

    with tenancy.unscoped():
        installed = Category.all_communes.filter(commune=world.sale).count()
        assert installed > 20 and not Category.all_communes.filter(commune=world.temara).exists()
    assert f"sale: {installed} categories added" in out.getvalue()

    out = io.StringIO()
    call_command("complaints_install_defaults", "--all", stdout=out)
    assert "sale: 0 categories added" in out.getvalue()
    assert f"temara: {installed} categories added" in out.getvalue()


def test_the_command_refuses_an_unknown_commune_or_no_commune(world: Any) -> None:
    with pytest.raises(CommandError, match="No commune with the slug: rabat"):
        call_command("complaints_install_defaults", "sale", "rabat", stdout=io.StringIO())
    with pytest.raises(CommandError, match="or pass --all"):
        call_command("complaints_install_defaults", stdout=io.StringIO())
    with pytest.raises(CommandError, match="or pass --all"):
        call_command("complaints_install_defaults", "sale", "--all", stdout=io.StringIO())
    with tenancy.unscoped():
        assert not Category.all_communes.exists()
