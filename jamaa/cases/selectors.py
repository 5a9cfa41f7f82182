"""Fetch-and-authorise helpers and reads on cases. Another commune's case, or one the person may not see, is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.crypto import constant_time_compare

from jamaa.cases.models import Case, CaseQuerySet, CaseState
from jamaa.core.models import Membership, Role


def staff_cases(membership: Membership) -> CaseQuerySet:
    """The submitted cases a member of staff works on: their department's; administrators and leadership see the
    whole commune (leadership reads only)."""
    qs: CaseQuerySet = Case.objects.submitted()
    if membership.role in (Role.ADMIN, Role.LEADERSHIP) or membership.department_id is None:
        return qs
    return qs.filter(department_id=membership.department_id)


def get_case_for_citizen(request: HttpRequest, reference: str) -> Case:
    """The logged-in citizen's own submitted case (the request's commune only)."""
    case = (
        Case.objects.submitted()
        .select_related("procedure__procedure", "department", "arrondissement")
        .filter(reference=reference.upper(), citizen=request.user)
        .first()
    )
    if case is None:
        raise Http404
    return case


def get_draft_for_citizen(request: HttpRequest, pk: int) -> Case:
    case = (
        Case.objects.select_related("procedure__procedure")
        .filter(pk=pk, citizen=request.user, state=CaseState.DRAFT)
        .first()
    )
    if case is None:
        raise Http404
    return case


def get_case_for_staff(request: HttpRequest, reference: str) -> Case:
    """A case the member of staff (`request.membership`, set by `staff_required`) may see."""
    membership: Membership = request.membership  # type: ignore[attr-defined]
    case = (
        staff_cases(membership)
        .select_related("procedure__procedure", "department", "arrondissement", "citizen", "assigned_to")
        .filter(reference=reference.upper())
        .first()
    )
    if case is None:
        raise Http404
    return case


def get_case_by_tracking_code(reference: str, code: str) -> Case | None:
    """Follow a case without an account: the reference and the secret code printed on the receipt (in the active
    commune). None when either is wrong (the caller rate-limits the attempts)."""
    case = Case.objects.submitted().select_related("procedure__procedure").filter(
        reference=reference.strip().upper()).first()
    if case is None or not case.tracking_code:
        return None
    if not constant_time_compare(case.tracking_code, code.strip().upper().replace(" ", "").replace("-", "")):
        return None
    return case
