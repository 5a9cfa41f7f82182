"""The core of filing and handling: a report lands in the right department and arrondissement with its three
deadlines, refusals say what is wrong, and the moves follow the listed workflow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from jamaa.cases.models import CaseKind, CaseState
from jamaa.complaints import services
from jamaa.complaints.models import ComplaintState
from jamaa.complaints.workflow import TransitionNotAllowed
from jamaa.core import tenancy
from jamaa.core.calendar import CASABLANCA

pytestmark = pytest.mark.django_db


def file_report(cworld: Any, code: str = "dechets-non-collectes", point: tuple[float, float] | None = None,
                **extra: Any) -> Any:
    with tenancy.unscoped():
        return services.complaint_submit(
            commune=cworld.w.sale, category=cworld.category(code), description="Les ordures ne sont pas ramassées.",
            lat=(point or cworld.sale_point)[0], lon=(point or cworld.sale_point)[1],
            citizen=extra.pop("citizen", cworld.w.citizen_sale), **extra)


def test_a_report_is_routed_by_category_and_placed_in_its_arrondissement(cworld: Any) -> None:
    complaint = file_report(cworld)

    assert complaint.case.kind == CaseKind.COMPLAINT and complaint.case.reference.startswith("SAL-")
    assert complaint.case.department == cworld.sale_hygiene
    assert complaint.case.arrondissement.slug == "bab-lamrissa"
    assert complaint.state == ComplaintState.RECEIVED and complaint.case.state == CaseState.SUBMITTED
    assert complaint.target_due < complaint.ack_due <= complaint.legal_due == complaint.case.due_date


def test_the_legal_answer_date_moves_off_a_holiday(cworld: Any) -> None:
    # 2026-05-02 + 60 days = 2026-07-01 (Wednesday, working) ; 2026-05-31 + 60 = 2026-07-30 (Throne Day, holiday)
    received = datetime(2026, 5, 31, 10, 0, tzinfo=CASABLANCA)
    with tenancy.unscoped():
        due = services.deadlines(cworld.w.sale, received, cworld.category("dechets-non-collectes"))
    assert due.legal_due.isoformat() == "2026-07-31"


def test_a_point_outside_the_commune_is_refused_with_a_reason(cworld: Any) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        file_report(cworld, point=cworld.outside_point)
    assert "outside the commune" in exc.value.message_dict["location"][0]


def test_another_communes_category_is_refused(cworld: Any) -> None:
    with tenancy.unscoped(), pytest.raises(PermissionDenied):
        services.complaint_submit(commune=cworld.w.sale, category=cworld.category("bruit", "temara"),
                                  description="x", lat=34.04, lon=-6.85, citizen=cworld.w.citizen_sale)


def test_the_moves_follow_the_workflow_and_only_the_department_acts(cworld: Any) -> None:
    complaint = file_report(cworld)
    with tenancy.unscoped():
        with pytest.raises(PermissionDenied):
            services.complaint_transition(complaint=complaint, name="acknowledge", actor=cworld.w.agent_sale)
        services.complaint_transition(complaint=complaint, name="acknowledge", actor=cworld.hygiene_agent)
        with pytest.raises(ValidationError):
            services.complaint_transition(complaint=complaint, name="resolve", actor=cworld.hygiene_agent)
        services.complaint_transition(complaint=complaint, name="resolve", actor=cworld.hygiene_agent,
                                      text="Collecte faite ce matin.")
        assert complaint.state == ComplaintState.RESOLVED and complaint.case.state == CaseState.APPROVED
        with pytest.raises(TransitionNotAllowed):
            services.complaint_transition(complaint=complaint, name="start", actor=cworld.hygiene_agent)
        services.complaint_transition(complaint=complaint, name="reopen", actor=cworld.w.citizen_sale,
                                      text="Toujours pas ramassé.")
        assert complaint.state == ComplaintState.REOPENED and complaint.reopen_count == 1


def test_the_e_service_moves_refuse_a_complaints_case(cworld: Any) -> None:
    from jamaa.cases.services import case_transition

    complaint = file_report(cworld)
    with tenancy.unscoped(), pytest.raises(TransitionNotAllowed):
        case_transition(case=complaint.case, name="approve", actor=cworld.hygiene_agent, by_staff=True)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.RECEIVED and complaint.case.state == CaseState.SUBMITTED
