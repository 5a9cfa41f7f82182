"""Submitting a request: validation, documents, reference, deadline, receipt notification, idempotency, drafts."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone, translation
from django.utils.translation import gettext

from jamaa.cases import services
from jamaa.cases.models import Attachment, Case, CaseChannel, CaseEvent, CaseState, ReferenceCounter
from jamaa.cases.tests.service_fixtures import (  # noqa: F401
    PDF_BYTES,
    pdf_upload,
    png_upload,
    private_root,
    sale_answers,
    submit_building,
    submit_sale,
)
from jamaa.core.models import AuditEvent
from jamaa.notifications.models import OutboundMessage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]

# Monday 2 March 2026, 10:00 in Casablanca.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def at_monday():
    with mock.patch("django.utils.timezone.now", return_value=MONDAY):
        yield MONDAY


def test_a_valid_request_gets_a_reference_a_due_date_and_a_receipt(world, procedures, at_monday):
    case = submit_sale(world, procedures, language="fr")
    assert case.state == CaseState.SUBMITTED
    assert case.reference == "SAL-2026-000001" and (case.year, case.number) == (2026, 1)
    assert case.submitted_at == MONDAY
    # Salé shortened the deadline to 5 working days: Monday + 5 working days = Monday 9 March.
    assert (case.deadline_amount, case.deadline_unit, case.due_date) == (5, "working", date(2026, 3, 9))
    assert case.legal_basis == "Loi 55-19 relative à la simplification"
    assert case.silence_means_approval is False
    assert case.department == world.sale_etat_civil
    assert case.arrondissement.slug == "bab-lamrissa"
    assert case.data["address"] == "12 rue des Orangers" and "cin" not in case.data
    assert "AB123456" in case.protected_data
    assert len(case.tracking_code) == 10
    [proof] = Attachment.all_communes.filter(case=case)
    assert (proof.document_code, proof.content_type, proof.is_current) == ("proof", "application/pdf", True)
    assert proof.file.read() == PDF_BYTES
    [event] = CaseEvent.all_communes.filter(case=case)
    assert (event.from_state, event.to_state, event.is_public) == ("draft", "submitted", True)
    with translation.override("fr"):
        assert event.public_text == gettext("Request received.")
    [sms] = OutboundMessage.objects.filter(template="case_submitted")
    assert sms.recipient == world.citizen_sale.phone and sms.language == "ar"
    assert "SAL-2026-000001" in sms.body
    assert f"{case.tracking_code[:5]}-{case.tracking_code[5:]}" in sms.body
    assert AuditEvent.all_communes.filter(action="case.submitted", target_id=str(case.pk),
                                          subject=world.citizen_sale).exists()


def test_the_legal_basis_is_kept_in_the_language_of_the_request(world, procedures):
    assert submit_sale(world, procedures, language="ar").legal_basis == "القانون 55.19"


def test_a_calendar_day_deadline_and_silence_are_snapshotted(world, procedures, at_monday):
    case = submit_building(world, procedures)
    # 30 calendar days after Monday 2 March is Wednesday 1 April 2026.
    assert (case.deadline_unit, case.due_date, case.silence_means_approval) == ("calendar", date(2026, 4, 1), True)
    assert case.department == world.sale_urbanisme


def test_invalid_answers_and_a_missing_document_are_all_reported_and_nothing_is_created(world, procedures):
    with pytest.raises(ValidationError) as error:
        submit_sale(world, procedures, data=sale_answers(world, address=None, since="not a date"), files=[])
    assert {"address", "since", "doc__proof"} <= set(error.value.message_dict)
    assert not Case.all_communes.exists()
    assert not OutboundMessage.objects.exists()


def test_a_failed_submission_does_not_use_up_a_reference_number(world, procedures):
    with pytest.raises(ValidationError):
        submit_sale(world, procedures, files=[("doc__proof", png_upload())], data={"address": ""})
    first = submit_sale(world, procedures)
    assert first.reference.endswith("-000001")


def test_a_file_that_lies_about_its_type_is_refused_next_to_its_field(world, procedures, private_root):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    lying = SimpleUploadedFile("proof.pdf", b"this is text, not a PDF", content_type="application/pdf")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        submit_sale(world, procedures, files=[("doc__proof", lying)])
    assert list(error.value.message_dict) == ["doc__proof"]
    assert "content" in error.value.message_dict["doc__proof"][0]
    assert not Case.all_communes.exists()
    assert not any(p.is_file() for p in private_root.rglob("*"))


def test_a_too_large_file_is_refused(world, procedures, settings):
    settings.CASE_ATTACHMENT_MAX_BYTES = 50
    with pytest.raises(ValidationError) as error:
        submit_sale(world, procedures)
    assert "doc__proof" in error.value.message_dict


def test_a_file_the_procedure_does_not_ask_for_is_refused(world, procedures):
    with pytest.raises(ValidationError) as error:
        submit_sale(world, procedures, files=[("doc__proof", pdf_upload()), ("doc__passport", pdf_upload())])
    assert "doc__passport" in error.value.message_dict


def test_another_communes_procedure_is_refused_with_a_message(world, procedures):
    with pytest.raises(ValidationError) as error:
        submit_sale(world, procedures, procedure=procedures.temara_residence)
    assert "__all__" in error.value.message_dict


def test_an_unpublished_procedure_is_refused(world, procedures):
    procedures.sale_residence.is_published = False
    procedures.sale_residence.save()
    with pytest.raises(ValidationError):
        submit_sale(world, procedures)


def test_the_same_submission_key_gives_back_the_same_case(world, procedures):
    first = submit_sale(world, procedures, submission_key="form-token-1")
    again = submit_sale(world, procedures, submission_key="form-token-1")
    assert again.pk == first.pk
    assert Case.all_communes.count() == 1
    assert OutboundMessage.objects.filter(template="case_submitted").count() == 1
    other = submit_sale(world, procedures, submission_key="form-token-2")
    assert other.reference.endswith("-000002")


def test_a_draft_keeps_its_files_and_is_submitted_once(world, procedures):
    draft = services.draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=procedures.sale_residence,
                                data={"address": "12 rue des Orangers"}, files=[("doc__proof", pdf_upload())])
    assert draft.state == CaseState.DRAFT and draft.reference == ""
    draft = services.draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=procedures.sale_residence,
                                data=sale_answers(world), draft=draft)
    case = submit_sale(world, procedures, files=[], draft=draft)
    assert case.pk == draft.pk and case.state == CaseState.SUBMITTED
    assert Attachment.all_communes.filter(case=case, document_code="proof", is_current=True).count() == 1
    again = submit_sale(world, procedures, files=[], draft=draft)
    assert again.pk == case.pk and again.reference == case.reference
    assert ReferenceCounter.objects.get(commune=world.sale).last_number == 1


def test_a_draft_checks_the_values_given_but_not_what_is_missing(world, procedures):
    with pytest.raises(ValidationError) as error:
        services.draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=procedures.sale_residence,
                            data={"since": "yesterday-ish"})
    assert list(error.value.message_dict) == ["since"]


def test_a_draft_is_only_its_citizens(world, procedures):
    draft = services.draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=procedures.sale_residence,
                                data={})
    with pytest.raises(PermissionDenied):
        services.draft_save(commune=world.sale, citizen=world.citizen_temara, procedure=procedures.sale_residence,
                            data={}, draft=draft)
    with pytest.raises(PermissionDenied):
        services.draft_discard(commune=world.sale, citizen=world.citizen_temara, draft=draft)
    with pytest.raises(PermissionDenied):
        submit_sale(world, procedures, citizen=world.citizen_temara, draft=draft)


def test_discarding_a_draft_removes_it_and_its_files(world, procedures, private_root):  # noqa: F811
    draft = services.draft_save(commune=world.sale, citizen=world.citizen_sale, procedure=procedures.sale_residence,
                                data={}, files=[("doc__proof", pdf_upload())])
    assert any(p.is_file() for p in private_root.rglob("*"))
    with mock.patch("django.db.transaction.on_commit", lambda fn, **kw: fn()):
        services.draft_discard(commune=world.sale, citizen=world.citizen_sale, draft=draft)
    assert not Case.all_communes.exists()
    assert not any(p.is_file() for p in private_root.rglob("*"))


def test_a_counter_request_is_filed_by_staff_for_an_applicant_without_account(world, procedures):
    case = submit_sale(world, procedures, citizen=None, channel=CaseChannel.COUNTER, actor=world.agent_sale,
                       applicant_name="Ahmed Alaoui", applicant_phone="0661234567", language="fr")
    assert (case.citizen, case.applicant_name, case.applicant_phone) == (None, "Ahmed Alaoui", "+212661234567")
    assert case.channel == CaseChannel.COUNTER
    event = CaseEvent.all_communes.get(case=case)
    assert event.by_staff and event.actor == world.agent_sale
    [sms] = OutboundMessage.objects.filter(template="case_submitted")
    assert sms.recipient == "+212661234567" and sms.language == "fr"
    assert case.reference in sms.body


@pytest.mark.parametrize("who", ["leader_sale", "agent_temara", "citizen_sale"])
def test_a_counter_request_needs_staff_who_handle_the_procedure(world, procedures, who):
    with pytest.raises(PermissionDenied):
        submit_sale(world, procedures, citizen=None, channel=CaseChannel.COUNTER, actor=getattr(world, who),
                    applicant_name="Ahmed Alaoui", applicant_phone="0661234567")


def test_a_counter_request_needs_a_name_and_a_mobile_number(world, procedures):
    with pytest.raises(ValidationError) as error:
        submit_sale(world, procedures, citizen=None, channel=CaseChannel.COUNTER, actor=world.agent_sale,
                    applicant_name=" ", applicant_phone="12")
    assert {"applicant_name", "applicant_phone"} <= set(error.value.message_dict)


def test_an_online_request_without_an_account_is_refused(world, procedures):
    with pytest.raises(ValidationError):
        submit_sale(world, procedures, citizen=None, channel=CaseChannel.ONLINE)


def test_a_counter_only_procedure_is_not_requested_online(world, procedures):
    procedures.residence.channel = "counter"
    procedures.residence.save()
    with pytest.raises(ValidationError):
        submit_sale(world, procedures)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_every_number_once(world, procedures, private_root):  # noqa: F811
    assert connection.vendor == "postgresql" or not connection.is_in_memory_db()
    threads_count, per_thread = 8, 3
    references: list[str] = []
    errors: list[Exception] = []
    start = threading.Barrier(threads_count)

    def work(index: int) -> None:
        try:
            start.wait()
            for round_ in range(per_thread):
                case = submit_building(world, procedures, submission_key=f"thread-{index}-{round_}")
                references.append(case.reference)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    year = timezone.localdate().year
    total = threads_count * per_thread
    assert sorted(references) == [f"SAL-{year}-{n:06d}" for n in range(1, total + 1)]


@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_twice_at_once_creates_one_case(world, procedures):
    results: list[int] = []
    errors: list[Exception] = []
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            results.append(submit_building(world, procedures, submission_key="double-click").pk)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert Case.all_communes.count() == 1
    assert ReferenceCounter.objects.get(commune=world.sale).last_number == 1


def test_a_long_idempotency_key_is_kept_whole(world, procedures):
    prefix = "k" * 64
    first = submit_building(world, procedures, submission_key=prefix + "-a")
    second = submit_building(world, procedures, submission_key=prefix + "-b")
    assert first.pk != second.pk
    assert submit_building(world, procedures, submission_key=prefix + "-a").pk == first.pk
