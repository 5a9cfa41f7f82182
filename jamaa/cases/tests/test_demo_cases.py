"""The demo requests of `make demo` (jamaa.cases.demo, called by manage.py load_demo): a living commune."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from jamaa.cases.attachments import check_upload
from jamaa.cases.demo import demo_pdf, demo_png
from jamaa.cases.models import Attachment, Case, CaseEvent, CaseMessage, CaseState, EventKind
from jamaa.cases.selectors import get_case_by_tracking_code
from jamaa.core import calendar, tenancy
from jamaa.core.models import Commune
from jamaa.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_files(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
    }}


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    with tenancy.unscoped():
        return {
            "cases": Case.all_communes.count(), "events": CaseEvent.all_communes.count(),
            "messages": CaseMessage.all_communes.count(), "attachments": Attachment.all_communes.count(),
            "outbox": OutboundMessage.objects.count(),
        }


def cases_of(slug: str) -> list[Case]:
    with tenancy.unscoped():
        return list(Case.all_communes.filter(commune__slug=slug).select_related("commune"))


def test_running_it_twice_adds_nothing():
    first = load_demo()
    before = counts()
    second = load_demo()
    assert counts() == before
    assert before["cases"] >= 30 and before["events"] > before["cases"]
    line = re.search(r"Cases: (\d+) in Salé, (\d+) in Témara", first)
    assert line is not None and line.group(0) in second
    assert 20 <= int(line.group(1)) <= 30 and 6 <= int(line.group(2)) <= 10


def test_salé_shows_every_state_of_a_request():
    load_demo()
    sale = cases_of("sale")
    states = {case.state for case in sale}
    assert states == set(CaseState.values)
    returned = [c for c in sale if c.state == CaseState.RETURNED]
    assert returned and all(c.return_missing for c in returned)
    assert any(c.returned_at and c.completed_at and c.state == CaseState.IN_REVIEW for c in sale)
    assert any(c.returned_at and c.completed_at and c.state == CaseState.APPROVED for c in sale)
    assert all(c.rejection_reason for c in sale if c.state == CaseState.REJECTED)
    assert any(c.rating for c in sale if c.state == CaseState.CLOSED)
    assert any(c.citizen_id is None and c.applicant_name and c.channel == "counter" for c in sale)
    assert any(c.assigned_to_id for c in sale)
    assert len({c.procedure_id for c in sale}) >= 4


def test_there_are_messages_both_ways_an_internal_note_and_real_files():
    load_demo()
    with tenancy.unscoped():
        assert {m.from_staff for m in CaseMessage.all_communes.filter(commune__slug="sale")} == {True, False}
        notes = CaseEvent.all_communes.filter(kind=EventKind.NOTE)
        assert notes.exists() and not notes.filter(is_public=True).exists()
        types = set(Attachment.all_communes.values_list("content_type", flat=True))
        assert types == {"application/pdf", "image/png"}
        for attachment in Attachment.all_communes.all():
            with attachment.file.open("rb") as handle:
                assert handle.read()[:4] in (b"%PDF", b"\x89PNG")


def test_the_demo_files_pass_the_real_content_checks():
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert check_upload(SimpleUploadedFile("a.pdf", demo_pdf())).content_type == "application/pdf"
    assert check_upload(SimpleUploadedFile("a.png", demo_png())).content_type == "image/png"


def test_some_requests_are_overdue_in_each_commune():
    load_demo()
    today = calendar.local_date(timezone.now())
    for slug in ("sale", "temara"):
        overdue = [c for c in cases_of(slug)
                   if c.state in (CaseState.SUBMITTED, CaseState.IN_REVIEW) and c.due_date < today]
        assert overdue, slug
        assert all(not c.silence_means_approval for c in overdue)  # the daily task would approve them
        assert all(c.submitted_at < timezone.now() for c in overdue)


def test_references_are_valid_gapless_and_each_request_has_a_working_tracking_code():
    load_demo()
    for slug, code in (("sale", "SAL"), ("temara", "TEM")):
        submitted = [c for c in cases_of(slug) if c.state != CaseState.DRAFT]
        # Numbered per year (the demo complaints go back five months, maybe into the year before).
        for year in {c.year for c in submitted}:
            numbers = sorted(c.number for c in submitted if c.year == year)
            assert numbers == list(range(1, len(numbers) + 1))
        for case in submitted:
            assert case.reference == f"{code}-{case.year}-{case.number:06d}"
            assert case.tracking_code and case.due_date and case.submitted_at
            with tenancy.scope(case.commune):
                assert get_case_by_tracking_code(case.reference, case.tracking_code) == case
    assert [c for c in cases_of("sale") if c.state == CaseState.DRAFT and not c.reference]


def test_témara_and_salé_are_kept_apart():
    load_demo()
    with tenancy.unscoped():
        for case in Case.all_communes.select_related("procedure", "department", "arrondissement", "citizen",
                                                     "assigned_to"):
            # Complaints (jamaa.complaints.demo) are cases without a procedure.
            if case.procedure is None:
                assert case.kind == "complaint"
            else:
                assert case.procedure.commune_id == case.commune_id
            assert case.department.commune_id == case.commune_id
            assert case.arrondissement is None or case.arrondissement.commune_id == case.commune_id
            if case.citizen is not None:
                assert case.citizen.username == {"sale": "+212612345678", "temara": "youssef@example.ma"}[
                    Commune.objects.get(pk=case.commune_id).slug]
        for model in (CaseEvent, CaseMessage, Attachment):
            for row in model.all_communes.select_related("case"):
                assert row.commune_id == row.case.commune_id
        temara = Commune.objects.get(slug="temara")
        with tenancy.scope(temara):
            assert {c.commune_id for c in Case.objects.all()} == {temara.pk}
