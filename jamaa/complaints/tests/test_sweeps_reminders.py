"""Reminders before the internal target date: the department in charge is reminded once per answer cycle, in working
days of its commune's calendar, each member in their own language; nobody else is."""

from __future__ import annotations

from typing import Any

import pytest

from jamaa.cases.models import CaseEvent, EventKind
from jamaa.complaints import sweeps
from jamaa.complaints.models import RoutingRule
from jamaa.complaints.tests.sweeps_fixtures import Team, at, file, fresh, in_language, move, recipients, sent
from jamaa.complaints.tests.sweeps_fixtures import team as team  # the fixture
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

HYGIENE = ["chef.hygiene@sale.example.ma", "hygiene@sale.example.ma"]


def throne_week_complaint(cworld: Any) -> Any:
    # Filed Monday 20 July 2026 with a target of 8 working days: 21, 22, 23, 24, 27, 28, 29, (30 is Throne Day), 31.
    complaint = file(cworld, at(2026, 7, 20), target_days=8)
    assert complaint.target_due.isoformat() == "2026-07-31"
    return complaint


def test_the_department_is_reminded_two_working_days_before_the_target_counting_past_throne_day(
        cworld: Any, team: Team) -> None:
    complaint = throne_week_complaint(cworld)

    # Monday 27: the second working day after it is Wednesday 29, before the target.
    assert sweeps.send_reminders(at(2026, 7, 27, 8)) == 0
    assert sent("complaint_reminder") == []
    # Tuesday 28: Wednesday 29, then Friday 31 (Thursday 30 is a holiday): the target is two working days away.
    assert sweeps.send_reminders(at(2026, 7, 28, 8)) == 1

    assert recipients("complaint_reminder") == HYGIENE
    assert all(complaint.reference in m.body for m in sent("complaint_reminder"))
    assert fresh(complaint).reminded_at == at(2026, 7, 28, 8)


def test_only_the_active_members_of_the_department_in_charge_are_reminded(cworld: Any, team: Team) -> None:
    throne_week_complaint(cworld)
    file(cworld, at(2026, 7, 20), commune="temara", target_days=8)

    sweeps.send_reminders(at(2026, 7, 28, 8))

    told = recipients("complaint_reminder")
    # Salé's hygiene department, and Témara's own agent for Témara's complaint; not the state-registry agent and
    # head, not the administrators, not a deactivated member nor one who has not accepted the invitation.
    assert told == sorted([*HYGIENE, "hygiene@temara.example.ma"])
    by_commune = {m.user.username: m.commune.slug for m in sent("complaint_reminder")}
    assert by_commune["hygiene@temara.example.ma"] == "temara"
    assert {by_commune[u] for u in HYGIENE} == {"sale"}
    temara_message = next(m for m in sent("complaint_reminder") if m.commune.slug == "temara")
    assert "TEM-" in temara_message.body and "SAL-" not in temara_message.body


def test_running_the_reminders_again_sends_nothing_more(cworld: Any, team: Team) -> None:
    complaint = throne_week_complaint(cworld)
    assert sweeps.send_reminders(at(2026, 7, 28, 8)) == 1
    count = len(sent("complaint_reminder"))

    assert sweeps.send_reminders(at(2026, 7, 28, 9)) == 0
    assert sweeps.send_reminders(at(2026, 8, 3, 8)) == 0  # past the target: already reminded in this cycle

    assert len(sent("complaint_reminder")) == count
    with tenancy.unscoped():
        notes = CaseEvent.all_communes.filter(case=complaint.case, kind=EventKind.NOTE)
        assert notes.count() == 1
        assert AuditEvent.objects.filter(action="complaint.reminded").count() == 1


def test_the_reminder_is_an_internal_line_of_the_timeline_and_an_audit_entry(cworld: Any, team: Team) -> None:
    complaint = throne_week_complaint(cworld)
    sweeps.send_reminders(at(2026, 7, 28, 8))

    with tenancy.unscoped():
        note = CaseEvent.all_communes.get(case=complaint.case, kind=EventKind.NOTE)
        entry = AuditEvent.objects.get(action="complaint.reminded")
    assert not note.is_public and note.public_text == ""
    assert note.created_at == at(2026, 7, 28, 8)
    assert "2026-07-31" in note.internal_note and "Rachid Hygiène" in note.internal_note
    assert entry.target_label == complaint.reference and entry.actor is None
    assert sorted(entry.details["recipients"]) == sorted([team.hygiene_agent.pk, team.hygiene_head.pk])


def test_a_complaint_already_past_its_target_is_reminded_at_once_and_the_message_says_so(
        cworld: Any, team: Team) -> None:
    complaint = throne_week_complaint(cworld)

    assert sweeps.send_reminders(at(2026, 8, 5, 8)) == 1  # the sweep did not run before: the target has passed

    [french] = [m for m in sent("complaint_reminder") if m.user == team.hygiene_agent]
    assert french.channel == "email" and french.recipient == "hygiene@sale.example.ma"
    assert in_language("fr", "Open the complaint:") in french.body
    expected = in_language("fr", "Complaint %(reference)s: the target date has passed") % {
        "reference": complaint.reference}
    assert " ".join(french.subject.split()) == " ".join(expected.split())  # a subject is one line of plain spaces
    assert fresh(complaint).reminded_at is not None


def test_each_member_reads_the_reminder_in_their_own_language(cworld: Any, team: Team) -> None:
    complaint = throne_week_complaint(cworld)
    sweeps.send_reminders(at(2026, 7, 28, 8))

    messages = {m.user.username: m for m in sent("complaint_reminder")}
    french, arabic = messages["hygiene@sale.example.ma"], messages["chef.hygiene@sale.example.ma"]
    assert (french.language, arabic.language) == ("fr", "ar")
    assert in_language("fr", "Open the complaint:") in french.body
    assert in_language("ar", "Open the complaint:") in arabic.body
    # The category is named in the reader's language, and the link opens the back office in it.
    assert "Déchets non collectés" in french.body and "نفايات غير مجموعة" in arabic.body
    assert f"/fr/backoffice/complaints/{complaint.reference}/" in french.body
    assert "/backoffice/complaints/" in arabic.body and "/fr/" not in arabic.body
    assert "http://sale.localhost" in french.body or "https://sale.localhost" in french.body


def test_answered_complaints_are_not_reminded(cworld: Any, team: Team) -> None:
    agent = team.hygiene_agent
    resolved = throne_week_complaint(cworld)
    move(resolved, "resolve", agent, at(2026, 7, 22), "Collecte faite.")
    rejected = file(cworld, at(2026, 7, 20), target_days=8)
    move(rejected, "reject", agent, at(2026, 7, 22), "Ce dépôt est sur un terrain privé.")
    closed = file(cworld, at(2026, 7, 20), target_days=8)
    move(closed, "resolve", agent, at(2026, 7, 22), "Collecte faite.")
    move(closed, "close", agent, at(2026, 7, 23))
    duplicate = file(cworld, at(2026, 7, 20), target_days=8)
    kept = file(cworld, at(2026, 7, 20), target_days=8, point=cworld.sale_east_point)
    with tenancy.unscoped():
        from jamaa.complaints import services

        services.complaint_merge(duplicate=duplicate, into=kept, actor=agent, now=at(2026, 7, 21))

    assert sweeps.send_reminders(at(2026, 7, 28, 8)) == 1  # only the complaint the duplicate was merged into
    assert {m.body.count(kept.reference) > 0 for m in sent("complaint_reminder")} == {True}
    for complaint in (resolved, rejected, closed, duplicate):
        assert fresh(complaint).reminded_at is None


def test_reopening_starts_a_new_cycle_and_the_department_is_reminded_again(cworld: Any, team: Team) -> None:
    complaint = throne_week_complaint(cworld)
    sweeps.send_reminders(at(2026, 7, 28, 8))
    move(complaint, "resolve", team.hygiene_agent, at(2026, 7, 29), "Collecte faite.")
    before = len(sent("complaint_reminder"))

    # Reopened on Monday 3 August: a new target 8 working days later (4, 5, 6, 7, 10, 11, 12, 13 August).
    with tenancy.unscoped():
        from jamaa.complaints import services

        services.complaint_transition(complaint=complaint, name="reopen", actor=cworld.w.citizen_sale,
                                      text="Les ordures sont revenues.", now=at(2026, 8, 3))
    reopened = fresh(complaint)
    assert reopened.reminded_at is None and reopened.target_due.isoformat() == "2026-08-13"

    assert sweeps.send_reminders(at(2026, 8, 10, 8)) == 0
    assert sweeps.send_reminders(at(2026, 8, 11, 8)) == 1
    assert len(sent("complaint_reminder")) == before + 2
    assert sweeps.send_reminders(at(2026, 8, 12, 8)) == 0


def test_a_complaint_routed_to_an_arrondissement_service_reminds_that_service(cworld: Any, team: Team) -> None:
    # In Bab Lamrissa, waste goes to the road service (say the arrondissement's technical service).
    from conftest import _staff, _user

    with tenancy.unscoped():
        parent = cworld.category("dechets")
        bab_lamrissa = fresh(throne_week_complaint(cworld)).case.arrondissement
        RoutingRule.all_communes.create(commune=cworld.w.sale, category=parent, arrondissement=bab_lamrissa,
                                        department=cworld.sale_voirie)
        roads = _user("voirie@sale.example.ma", "Agent Voirie")
        _staff(cworld.w.sale, roads, Role.AGENT, cworld.sale_voirie)
    routed = file(cworld, at(2026, 7, 20), target_days=8)
    assert routed.case.department == cworld.sale_voirie

    sweeps.send_reminders(at(2026, 7, 28, 8))

    told = {(m.user.username, r) for m in sent("complaint_reminder") for r in (routed.reference,) if r in m.body}
    assert told == {("voirie@sale.example.ma", routed.reference)}


def test_a_department_without_members_has_the_administrators_reminded(cworld: Any, team: Team) -> None:
    # Nobody works in the noise (administrative police) department: the reminder goes to the administrators.
    complaint = file(cworld, at(2026, 7, 20), code="bruit", target_days=8)

    assert sweeps.send_reminders(at(2026, 7, 28, 8)) == 1

    assert recipients("complaint_reminder") == ["admin@sale.example.ma"]
    assert complaint.reference in sent("complaint_reminder")[0].body


def test_a_commune_without_any_reachable_staff_still_marks_the_complaint_and_notes_it(cworld: Any) -> None:
    from jamaa.core.models import Membership

    with tenancy.unscoped():
        Membership.all_communes.filter(commune=cworld.w.temara).update(is_active=False)
    complaint = file(cworld, at(2026, 7, 20), commune="temara", target_days=8)

    assert sweeps.send_reminders(at(2026, 7, 28, 8)) == 1

    assert sent("complaint_reminder") == []
    with tenancy.unscoped():
        note = CaseEvent.all_communes.get(case=complaint.case, kind=EventKind.NOTE)
    assert "2026-07-31" in note.internal_note and not note.is_public
    assert sweeps.send_reminders(at(2026, 7, 29, 8)) == 0


def test_one_commune_can_be_swept_alone(cworld: Any, team: Team) -> None:
    throne_week_complaint(cworld)
    temara = file(cworld, at(2026, 7, 20), commune="temara", target_days=8)

    assert sweeps.send_reminders(at(2026, 7, 28, 8), commune=cworld.w.temara) == 1

    assert recipients("complaint_reminder") == ["hygiene@temara.example.ma"]
    assert fresh(temara).reminded_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_remind_once(cworld: Any, team: Team) -> None:
    import threading

    from django.db import connection, connections

    assert connection.vendor == "postgresql" or not connection.is_in_memory_db()
    complaint = throne_week_complaint(cworld)
    results: list[int] = []
    errors: list[Exception] = []
    start = threading.Barrier(3)

    def work() -> None:
        try:
            start.wait()
            results.append(sweeps.send_reminders(at(2026, 7, 28, 8)))
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [0, 0, 1]
    assert recipients("complaint_reminder") == HYGIENE
    with tenancy.unscoped():
        assert CaseEvent.all_communes.filter(case=complaint.case, kind=EventKind.NOTE).count() == 1
