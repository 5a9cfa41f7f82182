"""The deadline sweeps of complaints, run by the scheduler (`jamaa.complaints.tasks`) over every commune.

- `send_reminders`: an open complaint whose internal target date is near (COMPLAINT_REMIND_BEFORE_TARGET working
  days) or passed → the members of the department in charge are reminded.
- `escalate`: an open complaint whose legal answer date (Decree 2-17-265: 60 days) is near
  (COMPLAINT_ESCALATE_BEFORE_LEGAL working days) or passed → the department's heads and the commune's administrators
  are told.
- `auto_close`: a resolved or rejected complaint whose answer nobody contested for COMPLAINT_AUTO_CLOSE_DAYS days
  closes by itself.

Each sweep is idempotent: a reminder and an escalation are sent once per answer cycle (`Complaint.reminded_at` and
`escalated_at`, cleared when the citizen reopens the complaint), and each complaint is decided again under its row
lock, so a second run, or two runs at once, send nothing more. Every function takes `now` so tests (and the demo)
control the clock; working days come from the commune's calendar (public holidays and the commune's closures).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from jamaa.cases.models import EventKind
from jamaa.complaints import services
from jamaa.complaints.models import OPEN_STATES, Complaint, ComplaintState
from jamaa.core import calendar, tenancy
from jamaa.core.models import Commune, Membership, Role, User
from jamaa.notifications.services import notify_user

ANSWERED_STATES: tuple[str, ...] = (ComplaintState.RESOLVED, ComplaintState.REJECTED)


@dataclass(frozen=True)
class SweepResult:
    """What one run of the reminder and escalation sweeps did (the scheduled task returns it as a dict)."""

    reminded: int
    escalated: int

    def as_dict(self) -> dict[str, int]:
        return {"reminded": self.reminded, "escalated": self.escalated}


# --- who is told ----------------------------------------------------------------------------------------------------


def _members(commune_id: int, roles: Iterable[str], department_id: int | None = None) -> list[User]:
    """Active members of the commune's staff (invitation accepted, account active) in these roles, of this
    department when one is given, who can be reached (a phone number or an e-mail address)."""
    memberships = Membership.all_communes.filter(
        commune_id=commune_id, role__in=list(roles), is_active=True, accepted_at__isnull=False, user__is_active=True,
    ).select_related("user").order_by("user_id")
    if department_id is not None:
        memberships = memberships.filter(department_id=department_id)
    users: list[User] = []
    for membership in memberships:
        if membership.user.phone or membership.user.email:
            users.append(membership.user)
    return users


def reminder_recipients(complaint: Complaint) -> list[User]:
    """The agents and heads of the department in charge; when it has nobody, the commune's administrators (a reminder
    that reaches nobody would be lost)."""
    department_id = complaint.case.department_id
    users = _members(complaint.commune_id, (Role.AGENT, Role.HEAD), department_id) if department_id else []
    return users or _members(complaint.commune_id, (Role.ADMIN,))


def escalation_recipients(complaint: Complaint) -> list[User]:
    """The heads of the department in charge and the commune's administrators (each once)."""
    department_id = complaint.case.department_id
    heads = _members(complaint.commune_id, (Role.HEAD,), department_id) if department_id else []
    seen = {u.pk for u in heads}
    return heads + [u for u in _members(complaint.commune_id, (Role.ADMIN,)) if u.pk not in seen]


def staff_link(complaint: Complaint, language: str) -> str:
    """The complaint's page in the back office, in the recipient's language (the list when the page is not there)."""
    with translation.override(language):
        try:
            path = reverse("complaints_staff:detail", kwargs={"reference": complaint.case.reference})
        except NoReverseMatch:
            prefix = "" if language == settings.LANGUAGE_CODE else f"/{language}"
            path = f"{prefix}/backoffice/complaints/"
    return complaint.commune.absolute_url(path)


def _tell(users: list[User], complaint: Complaint, template: str, *, today: date, due: date) -> list[User]:
    """Queue the message to each user in the user's language; returns who was told."""
    case = complaint.case
    told: list[User] = []
    for user in users:
        language = services._language(user.language)
        context: dict[str, Any] = {
            "complaint": complaint, "reference": case.reference,
            "category": complaint.category.tr("name", language),
            "department": case.department.tr("name", language) if case.department_id else "",
            "arrondissement": case.arrondissement.tr("name", language) if case.arrondissement_id else "",
            "target_due": complaint.target_due, "legal_due": complaint.legal_due,
            "overdue": due < today, "link": staff_link(complaint, language),
        }
        notify_user(user, template=template, context=context, commune=complaint.commune)
        told.append(user)
    return told


def _note(complaint: Complaint, text: Any, params: dict[str, str], now: datetime) -> None:
    """An internal line of the timeline (staff read it; the citizen does not), in the platform's language: staff of
    any language read the same stored text."""
    with translation.override(settings.LANGUAGE_CODE):
        note = str(text) % params
    services._event(complaint.case, kind=EventKind.NOTE, actor=None, by_staff=True, internal_note=note,
                    is_public=False, at=now)


def _names(users: list[User]) -> str:
    return ", ".join(u.full_name or u.username for u in users)


# --- the sweeps -----------------------------------------------------------------------------------------------------


def _across_communes[**P, R](sweep: Callable[P, R]) -> Callable[P, R]:
    """A sweep reads and writes every commune's rows, whatever scope the caller (a worker, a test) has set."""

    @functools.wraps(sweep)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with tenancy.unscoped():
            return sweep(*args, **kwargs)

    return wrapper


def _communes(candidates: Any, commune: Commune | None) -> list[Commune]:
    """The communes that have candidates (so a run over many communes loads the calendar only where needed)."""
    if commune is not None:
        return [commune]
    ids = set(candidates.values_list("commune_id", flat=True).distinct())
    return list(Commune.objects.filter(pk__in=ids).order_by("pk"))


def _lock(pk: int) -> Complaint:
    return (Complaint.all_communes.select_for_update(of=("self",))
            .select_related("case__department", "case__arrondissement", "case__citizen", "category", "commune")
            .get(pk=pk))


@_across_communes
def send_reminders(now: datetime | None = None, *, commune: Commune | None = None) -> int:
    """Remind the department of each open complaint whose internal target date is within
    COMPLAINT_REMIND_BEFORE_TARGET working days or passed, once per answer cycle. Returns how many complaints were
    reminded. `commune=None` sweeps every commune."""
    now = now or timezone.now()
    today = calendar.local_date(now)
    candidates = Complaint.all_communes.filter(state__in=OPEN_STATES, reminded_at__isnull=True)
    reminded = 0
    for place in _communes(candidates, commune):
        waiting = list(candidates.filter(commune=place).order_by("pk").values_list("pk", "target_due"))
        if not waiting:
            continue  # most days, in most communes: no calendar to load
        cutoff = calendar.add_working_days(place, today, settings.COMPLAINT_REMIND_BEFORE_TARGET)
        for pk in [pk for pk, due in waiting if due <= cutoff]:
            with transaction.atomic():
                complaint = _lock(pk)
                # Decided again under the lock: staff may have answered, or another run reminded, meanwhile.
                if complaint.state not in OPEN_STATES or complaint.reminded_at is not None \
                        or complaint.target_due > cutoff:
                    continue
                told = _tell(reminder_recipients(complaint), complaint, "complaint_reminder", today=today,
                             due=complaint.target_due)
                complaint.reminded_at = now
                complaint.save(update_fields=["reminded_at", "updated_at"])
                date_text = complaint.target_due.isoformat()
                if told:
                    text = _("Reminder of the target date %(date)s sent to: %(names)s.")
                else:
                    text = _("The target date %(date)s is near, but no member of staff could be reminded.")
                _note(complaint, text, {"date": date_text, "names": _names(told)}, now)
                services._audit(complaint, "complaint.reminded", None, target_due=date_text,
                                recipients=[u.pk for u in told])
                reminded += 1
    return reminded


@_across_communes
def escalate(now: datetime | None = None, *, commune: Commune | None = None) -> int:
    """Tell the department's heads and the commune's administrators about each open complaint whose legal answer date
    is within COMPLAINT_ESCALATE_BEFORE_LEGAL working days or passed, once per answer cycle. Returns how many
    complaints were escalated. `commune=None` sweeps every commune."""
    now = now or timezone.now()
    today = calendar.local_date(now)
    candidates = Complaint.all_communes.filter(state__in=OPEN_STATES, escalated_at__isnull=True)
    escalated = 0
    for place in _communes(candidates, commune):
        waiting = list(candidates.filter(commune=place).order_by("pk").values_list("pk", "legal_due"))
        if not waiting:
            continue
        cutoff = calendar.add_working_days(place, today, settings.COMPLAINT_ESCALATE_BEFORE_LEGAL)
        for pk in [pk for pk, due in waiting if due <= cutoff]:
            with transaction.atomic():
                complaint = _lock(pk)
                if complaint.state not in OPEN_STATES or complaint.escalated_at is not None \
                        or complaint.legal_due > cutoff:
                    continue
                told = _tell(escalation_recipients(complaint), complaint, "complaint_escalation", today=today,
                             due=complaint.legal_due)
                complaint.escalated_at = now
                complaint.save(update_fields=["escalated_at", "updated_at"])
                date_text = complaint.legal_due.isoformat()
                if told:
                    text = _("Escalated: the legal answer date is %(date)s. Told: %(names)s.")
                else:
                    text = _("The legal answer date %(date)s is near, but no head of department or administrator "
                             "could be told.")
                _note(complaint, text, {"date": date_text, "names": _names(told)}, now)
                services._audit(complaint, "complaint.escalated", None, legal_due=date_text,
                                recipients=[u.pk for u in told])
                escalated += 1
    return escalated


def remind_and_escalate(now: datetime | None = None, *, commune: Commune | None = None) -> SweepResult:
    now = now or timezone.now()
    return SweepResult(reminded=send_reminders(now, commune=commune), escalated=escalate(now, commune=commune))


@_across_communes
def auto_close(now: datetime | None = None, *, commune: Commune | None = None) -> int:
    """Close each resolved or rejected complaint answered more than COMPLAINT_AUTO_CLOSE_DAYS days ago (the citizen
    did not say the problem remains). Returns how many closed."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.COMPLAINT_AUTO_CLOSE_DAYS)
    candidates = Complaint.all_communes.filter(state__in=ANSWERED_STATES, answered_at__lt=limit)
    if commune is not None:
        candidates = candidates.filter(commune=commune)
    closed = 0
    for pk in list(candidates.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            complaint = _lock(pk)
            # Decided again under the lock: the citizen may have reopened it, or staff closed it, meanwhile.
            if complaint.state not in ANSWERED_STATES or complaint.answered_at is None \
                    or complaint.answered_at >= limit:
                continue
            services.complaint_transition(complaint=complaint, name="auto_close", actor=None, now=now)
        closed += 1
    return closed
