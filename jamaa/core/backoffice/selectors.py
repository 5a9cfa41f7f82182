"""Back-office reads: fetch-and-authorise helpers, list querysets, the audit log pages and the overview figures.

Every query here goes through the commune-scoped managers, so another commune's rows are simply not found."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from jamaa.core.models import AuditEvent, Commune, Department, Membership, Role
from jamaa.notifications.models import OutboundMessage, Status

AUDIT_PAGE_SIZE = 50
OVERVIEW_DAYS = 7

ACTIVE_Q = Q(is_active=True, accepted_at__isnull=False)
INVITED_Q = Q(is_active=True, accepted_at__isnull=True)
DEACTIVATED_Q = Q(is_active=False)
STATUS_FILTERS = {"active": ACTIVE_Q, "invited": INVITED_Q, "deactivated": DEACTIVATED_Q}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- staff -----------------------------------------------------------------------------------------------------


def with_status(queryset: QuerySet[Membership]) -> QuerySet[Membership]:
    return queryset.annotate(
        status=Case(
            When(is_active=False, then=Value("deactivated")),
            When(accepted_at__isnull=True, then=Value("invited")),
            default=Value("active"),
            output_field=CharField(),
        )
    )


def staff_memberships(
    *, role: str = "", department: Department | None = None, status: str = ""
) -> QuerySet[Membership]:
    """This commune's staff (all states), with the user and department loaded, in name order."""
    queryset = Membership.objects.select_related("user", "department")
    if role:
        queryset = queryset.filter(role=role)
    if department is not None:
        queryset = queryset.filter(department=department)
    if status in STATUS_FILTERS:
        queryset = queryset.filter(STATUS_FILTERS[status])
    return with_status(queryset).order_by("user__full_name", "pk")


def get_membership(pk: int) -> Membership:
    """A membership of the request's commune, or 404 (another commune's id included)."""
    return get_object_or_404(with_status(Membership.objects.select_related("user", "department", "invited_by")),
                             pk=pk)


def membership_history(membership: Membership, limit: int = 20) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type="core.membership", target_id=str(membership.pk))
        .exclude(action="personal_data.viewed").order_by("-id")[:limit]
    )


def other_active_admins(membership: Membership) -> QuerySet[Membership]:
    return Membership.objects.filter(ACTIVE_Q, role=Role.ADMIN).exclude(pk=membership.pk)


@dataclass(frozen=True)
class InvitationLookup:
    state: str  # "valid", "unknown", "expired", "used" or "withdrawn"
    membership: Membership | None = None


def invitation_for_token(token: str) -> InvitationLookup:
    """The pending membership an invitation link points to, in the request's commune."""
    if not token or len(token) > 100:
        return InvitationLookup("unknown")
    membership = (
        Membership.objects.select_related("user", "department")
        .filter(invitation_token_hash=token_hash(token))
        .first()
    )
    if membership is None:
        return InvitationLookup("unknown")
    if membership.accepted_at is not None:
        return InvitationLookup("used", membership)
    if not membership.is_active:
        return InvitationLookup("withdrawn", membership)
    if membership.invitation_expires_at is None or membership.invitation_expires_at <= timezone.now():
        return InvitationLookup("expired", membership)
    return InvitationLookup("valid", membership)


# --- departments -----------------------------------------------------------------------------------------------


def departments_with_counts() -> QuerySet[Department]:
    return Department.objects.annotate(
        active_members=Count("memberships", filter=Q(memberships__is_active=True)),
    ).order_by("-is_active", "name_fr")


def get_department(pk: int) -> Department:
    return get_object_or_404(Department.objects.all(), pk=pk)


# --- audit log -------------------------------------------------------------------------------------------------


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def audit_target_types() -> list[str]:
    return list(
        AuditEvent.objects.exclude(target_type="").order_by("target_type")
        .values_list("target_type", flat=True).distinct()
    )


def local_day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the platform's time zone (Africa/Casablanca), as an aware datetime."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next_before: int | None  # the `before` value of the next (older) page, None on the last page


def audit_page(
    *,
    action: str = "",
    actor: str = "",
    target_type: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    before: int | None = None,
    page_size: int = AUDIT_PAGE_SIZE,
) -> AuditPage:
    """One page of this commune's audit log, newest first, by keyset (`id < before`): one query, no COUNT."""
    queryset = AuditEvent.objects.select_related("subject")
    if action:
        queryset = queryset.filter(action=action)
    if actor:
        queryset = queryset.filter(Q(actor_label__icontains=actor) | Q(actor__username__icontains=actor))
    if target_type:
        queryset = queryset.filter(target_type=target_type)
    if date_from:
        queryset = queryset.filter(created_at__gte=local_day_start(date_from))
    if date_to:
        queryset = queryset.filter(created_at__lt=local_day_start(date_to + datetime.timedelta(days=1)))
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset.order_by("-id")[: page_size + 1])
    events = rows[:page_size]
    next_before = events[-1].pk if len(rows) > page_size else None
    return AuditPage(events=events, next_before=next_before)


# --- overview --------------------------------------------------------------------------------------------------


def _status_counts() -> dict[str, Any]:
    return {
        "active": Count("id", filter=ACTIVE_Q),
        "invited": Count("id", filter=INVITED_Q),
        "deactivated": Count("id", filter=DEACTIVATED_Q),
    }


def overview_figures(commune: Commune) -> dict[str, Any]:
    """Read-only figures for the leadership; each is one aggregate query."""
    since = timezone.now() - datetime.timedelta(days=OVERVIEW_DAYS)

    by_role_rows = {row["role"]: row for row in Membership.objects.values("role").annotate(**_status_counts())}
    by_role = [
        {"label": label, **{k: by_role_rows.get(value, {}).get(k, 0) for k in ("active", "invited", "deactivated")}}
        for value, label in Role.choices
    ]

    department_rows = (
        Membership.objects.values("department_id", "department__name_ar", "department__name_fr",
                                  "department__name_zgh")
        .annotate(**_status_counts())
        .order_by("department__name_fr")
    )
    by_department = []
    for row in department_rows:
        department = Department(name_ar=row["department__name_ar"] or "", name_fr=row["department__name_fr"] or "",
                                name_zgh=row["department__name_zgh"] or "")
        by_department.append({
            "label": department.name if row["department_id"] else "",
            "active": row["active"], "invited": row["invited"], "deactivated": row["deactivated"],
        })

    totals = Membership.objects.aggregate(**_status_counts())

    outbox = OutboundMessage.objects.filter(commune=commune).aggregate(
        sent=Count("id", filter=Q(status=Status.SENT, sent_at__gte=since)),
        failed=Count("id", filter=Q(status=Status.FAILED, created_at__gte=since)),
        pending=Count("id", filter=Q(status=Status.PENDING)),
    )

    audit_by_action = list(
        AuditEvent.objects.filter(created_at__gte=since)
        .values("action").annotate(count=Count("id")).order_by("-count", "action")
    )
    return {
        "days": OVERVIEW_DAYS,
        "staff_by_role": by_role,
        "staff_by_department": by_department,
        "staff_totals": totals,
        "outbox": outbox,
        "audit_total": sum(row["count"] for row in audit_by_action),
        "audit_by_action": audit_by_action[:15],
    }
