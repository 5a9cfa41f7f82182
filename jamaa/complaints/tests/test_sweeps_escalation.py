"""Escalation before the legal answer date (Decree 2-17-265: 60 days): the department's heads and the commune's
administrators are told once per answer cycle; agents, other departments and the other commune are not."""

from __future__ import annotations

from typing import Any

import pytest

from jamaa.cases.models import CaseEvent, EventKind
from jamaa.complaints import services, sweeps
from jamaa.complaints.tests.sweeps_fixtures import Team, at, file, fresh, in_language, move, recipients, sent
from jamaa.complaints.tests.sweeps_fixtures import team as team  # the fixture
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent

pytestmark = pytest.mark.django_db

HEAD_AND_ADMIN = ["admin@sale.example.ma", "chef.hygiene@sale.example.ma"]


def july_complaint(cworld: Any) -> Any:
    # Filed Monday 20 July 2026: answer due 60 days later, Friday 18 September.
    complaint = file(cworld, at(2026, 7, 20))
    assert complaint.legal_due.isoformat() == "2026-09-18"
    return complaint


def test_the_head_and_the_administrators_are_told_ten_working_days_before_the_legal_date(
        cworld: Any, team: Team) -> None:
    complaint = july_complaint(cworld)

    # Thursday 3 September: ten working days later is the 17th. Friday 4: ten working days later is the 18th.
    assert sweeps.escalate(at(2026, 9, 3, 8)) == 0
    assert sweeps.escalate(at(2026, 9, 4, 8)) == 1

    # Not the agent, not the state-registry head (another department), not Témara's administrator.
    assert recipients("complaint_escalation") == HEAD_AND_ADMIN
    assert all(complaint.reference in m.body for m in sent("complaint_escalation"))
    assert fresh(complaint).escalated_at == at(2026, 9, 4, 8)


def test_escalating_again_sends_nothing_more(cworld: Any, team: Team) -> None:
    complaint = july_complaint(cworld)
    assert sweeps.escalate(at(2026, 9, 4, 8)) == 1

    assert sweeps.escalate(at(2026, 9, 4, 9)) == 0
    assert sweeps.escalate(at(2026, 9, 25, 8)) == 0  # past the legal date: escalated already in this cycle

    assert len(sent("complaint_escalation")) == 2
    with tenancy.unscoped():
        note = CaseEvent.all_communes.get(case=complaint.case, kind=EventKind.NOTE)
        assert AuditEvent.objects.filter(action="complaint.escalated").count() == 1
    assert not note.is_public and "2026-09-18" in note.internal_note


def test_a_complaint_past_its_legal_date_is_escalated_and_the_message_says_so(cworld: Any, team: Team) -> None:
    complaint = july_complaint(cworld)

    assert sweeps.escalate(at(2026, 9, 21, 8)) == 1

    messages = {m.user.username: m for m in sent("complaint_escalation")}
    admin = messages["admin@sale.example.ma"]  # reads Arabic, the default
    assert admin.language == "ar"
    assert admin.subject == in_language("ar", "Complaint %(reference)s: the legal answer date has passed") % {
        "reference": complaint.reference}
    assert in_language("ar", "Open the complaint:") in admin.body


def test_each_person_told_reads_the_escalation_in_their_language(cworld: Any, team: Team) -> None:
    with tenancy.unscoped():
        cworld.w.admin_sale.language = "fr"
        cworld.w.admin_sale.save(update_fields=["language"])
    july_complaint(cworld)
    sweeps.escalate(at(2026, 9, 4, 8))

    messages = {m.user.username: m for m in sent("complaint_escalation")}
    french, arabic = messages["admin@sale.example.ma"], messages["chef.hygiene@sale.example.ma"]
    assert (french.language, arabic.language) == ("fr", "ar")
    assert "Déchets non collectés" in french.body and "نفايات غير مجموعة" in arabic.body
    assert "Hygiène et propreté" in french.body and "مصلحة حفظ الصحة والنظافة" in arabic.body
    assert "/fr/backoffice/complaints/" in french.body


def test_answered_complaints_are_not_escalated(cworld: Any, team: Team) -> None:
    resolved = july_complaint(cworld)
    move(resolved, "resolve", team.hygiene_agent, at(2026, 8, 3), "Collecte faite.")
    rejected = july_complaint(cworld)
    move(rejected, "reject", team.hygiene_agent, at(2026, 8, 3), "Hors du domaine public.")

    assert sweeps.escalate(at(2026, 9, 10, 8)) == 0

    assert sent("complaint_escalation") == []
    assert fresh(resolved).escalated_at is None and fresh(rejected).escalated_at is None


def test_a_reopened_complaint_is_escalated_again_before_its_new_legal_date(cworld: Any, team: Team) -> None:
    complaint = july_complaint(cworld)
    sweeps.escalate(at(2026, 9, 4, 8))
    move(complaint, "resolve", team.hygiene_agent, at(2026, 9, 7), "Collecte faite.")
    with tenancy.unscoped():
        services.complaint_transition(complaint=complaint, name="reopen", actor=cworld.w.citizen_sale,
                                      text="Toujours des ordures.", now=at(2026, 9, 14))
    reopened = fresh(complaint)
    # 14 September + 60 days = Friday 13 November.
    assert reopened.escalated_at is None and reopened.legal_due.isoformat() == "2026-11-13"

    assert sweeps.escalate(at(2026, 9, 15, 8)) == 0
    # Friday 6 November (Green March) is not a working day, so 13 November is ten working days after Thursday
    # 29 October (without the holiday it would be after Friday 30).
    assert sweeps.escalate(at(2026, 10, 28, 8)) == 0
    assert sweeps.escalate(at(2026, 10, 29, 8)) == 1
    assert len(sent("complaint_escalation")) == 4


def test_témara_escalates_to_its_own_administrator(cworld: Any, team: Team) -> None:
    complaint = file(cworld, at(2026, 7, 20), commune="temara")

    assert sweeps.escalate(at(2026, 9, 4, 8)) == 1

    assert recipients("complaint_escalation") == ["admin@temara.example.ma"]
    assert complaint.reference in sent("complaint_escalation")[0].body


def test_reminders_and_escalation_run_together(cworld: Any, team: Team) -> None:
    july_complaint(cworld)

    result = sweeps.remind_and_escalate(at(2026, 9, 21, 8))

    assert result.as_dict() == {"reminded": 1, "escalated": 1}
    assert sweeps.remind_and_escalate(at(2026, 9, 22, 8)).as_dict() == {"reminded": 0, "escalated": 0}
