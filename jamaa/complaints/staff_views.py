"""The complaints back office: the list and the map with their filters, a complaint (filer's contact, photos,
timeline, deadlines, moves with answer templates, internal notes, sending to another department, merging), the
categories and their routing, the answer templates and the Open311 keys.

Agents and heads of department see their department's complaints; administrators and the leadership the whole
commune (the leadership reads only: no form is shown to them and every write view refuses them). Another
department's or commune's complaint is a 404 (`get_complaint_for_staff`), as for the e-service cases."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jamaa.cases import attachments
from jamaa.cases import services as case_services
from jamaa.cases.models import CaseEvent, CaseState, EventKind
from jamaa.catalog.formdef import parse_yesno, tr_label
from jamaa.complaints import admin_services, services, workflow
from jamaa.complaints.models import (
    OPEN_STATES,
    AnswerTemplate,
    Area,
    Category,
    Complaint,
    ComplaintKind,
    ComplaintQuerySet,
    ComplaintState,
    Open311Key,
    Photo,
    RoutingRule,
)
from jamaa.complaints.staff_forms import (
    ALL,
    LATE_LEGAL,
    LATE_TARGET,
    OPEN,
    AnswerTemplateForm,
    CategoryCreateForm,
    CategoryForm,
    ComplaintFilterForm,
    ComplaintFilters,
    MergeForm,
    MoveForm,
    NoteForm,
    Open311KeyForm,
    RerouteForm,
    RoutingForm,
    ordered_categories,
)
from jamaa.core import audit, calendar
from jamaa.core.models import Arrondissement, Membership, Role, User
from jamaa.core.permissions import staff_required

# Who works the complaints (the leadership reads only).
ACTING_ROLES = (Role.AGENT, Role.HEAD, Role.ADMIN)
TEMPLATE_EDITORS = (Role.ADMIN, Role.HEAD)
GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50
# The map shows at most this many complaints (the most urgent first) and says so when there are more.
MAP_MAX_POINTS = 2000
ACCESS_REASON = "complaint handling"
REFERENCE_MAX = 40


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _errors_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def _add_errors(form: Any, error: ValidationError) -> None:
    """A service's ValidationError on the form's fields (or above the form for the others)."""
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


# --- reads ----------------------------------------------------------------------------------------------------------


def staff_complaints(membership: Membership) -> ComplaintQuerySet:
    """The complaints a member of staff sees: their department's; administrators and leadership the whole commune
    (the same rule as `jamaa.cases.selectors.staff_cases`)."""
    qs: ComplaintQuerySet = Complaint.objects.all()
    if membership.role in (Role.ADMIN, Role.LEADERSHIP) or membership.department_id is None:
        return qs
    return qs.filter(case__department_id=membership.department_id)


def get_complaint_for_staff(request: HttpRequest, reference: str) -> Complaint:
    """A complaint the member of staff (`request.membership`, set by `staff_required`) may see, else 404."""
    if len(reference) > REFERENCE_MAX:
        raise Http404
    complaint = (
        staff_complaints(_membership(request))
        .select_related("case__citizen", "case__department", "case__arrondissement", "case__assigned_to",
                        "category__parent", "category__department", "merged_into__case", "commune")
        .filter(case__reference=reference.strip().upper())
        .first()
    )
    if complaint is None:
        raise Http404
    return complaint


@dataclass(frozen=True)
class Mark:
    """How a date stands, in words and in a tone (never colour alone)."""

    tone: str  # danger, warning, neutral, success
    label: Promise | str


ACK_LATE = Mark("danger", gettext_lazy("Acknowledgement late"))
TARGET_PASSED = Mark("danger", gettext_lazy("Late: target passed"))
TARGET_NEAR = Mark("warning", gettext_lazy("Target near"))
LEGAL_PASSED = Mark("danger", gettext_lazy("Late: legal date passed"))
LEGAL_NEAR = Mark("warning", gettext_lazy("Legal date near"))
ON_TIME = Mark("neutral", gettext_lazy("On time"))


@dataclass(frozen=True)
class Days:
    """Today in Morocco and the last dates counted as "near" for one commune (the reminder and escalation windows
    of the sweeps, in working days)."""

    today: datetime.date
    target_near_until: datetime.date
    legal_near_until: datetime.date

    @classmethod
    def for_commune(cls, commune: Any, now: datetime.datetime | None = None) -> Days:
        today = calendar.local_date(now or timezone.now())
        return cls(
            today=today,
            target_near_until=calendar.add_working_days(commune, today, settings.COMPLAINT_REMIND_BEFORE_TARGET),
            legal_near_until=calendar.add_working_days(commune, today, settings.COMPLAINT_ESCALATE_BEFORE_LEGAL),
        )

    def ack(self, complaint: Complaint) -> Mark | None:
        if complaint.state in OPEN_STATES and complaint.acknowledged_at is None and complaint.ack_due < self.today:
            return ACK_LATE
        return None

    def target(self, complaint: Complaint) -> Mark | None:
        if complaint.state not in OPEN_STATES:
            return None
        if complaint.target_due < self.today:
            return TARGET_PASSED
        return TARGET_NEAR if complaint.target_due <= self.target_near_until else ON_TIME

    def legal(self, complaint: Complaint) -> Mark | None:
        if complaint.state not in OPEN_STATES:
            return None
        if complaint.legal_due < self.today:
            return LEGAL_PASSED
        return LEGAL_NEAR if complaint.legal_due <= self.legal_near_until else ON_TIME


def filter_states(filters: ComplaintFilters) -> tuple[str, ...] | None:
    """The states asked for (None: every state)."""
    if filters.state == OPEN:
        states: tuple[str, ...] | None = OPEN_STATES
    elif filters.state == ALL:
        states = None
    else:
        states = (filters.state,)
    if filters.late:
        # A deadline runs only while the answer is owed.
        states = tuple(s for s in (states or ComplaintState.values) if s in OPEN_STATES)
    return states


def filtered_complaints(membership: Membership, filters: ComplaintFilters, days: Days) -> ComplaintQuerySet:
    qs = staff_complaints(membership)
    states = filter_states(filters)
    if states is not None:
        qs = qs.filter(state__in=states)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.category_id is not None:
        qs = qs.filter(Q(category_id=filters.category_id) | Q(category__parent_id=filters.category_id))
    if filters.department_id is not None:
        qs = qs.filter(case__department_id=filters.department_id)
    if filters.arrondissement_id is not None:
        qs = qs.filter(case__arrondissement_id=filters.arrondissement_id)
    if filters.late == LATE_TARGET:
        qs = qs.filter(target_due__lt=days.today)
    elif filters.late == LATE_LEGAL:
        qs = qs.filter(legal_due__lte=days.legal_near_until)
    if filters.reference:
        qs = qs.filter(case__reference__contains=filters.reference)
    return qs


@dataclass(frozen=True)
class Cursor:
    target_due: datetime.date
    id: int

    def encode(self) -> str:
        return f"{self.target_due.isoformat()}_{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """The cursor of a `?cursor=` value, or None for anything malformed (the first page is shown then)."""
        if not raw or len(raw) > 40:
            return None
        day_text, sep, id_text = raw.partition("_")
        if not sep or not id_text.isascii() or not id_text.isdigit() or len(id_text) > 18:
            return None
        try:
            day = datetime.date.fromisoformat(day_text)
        except ValueError:
            return None
        return cls(target_due=day, id=int(id_text))


@dataclass
class Row:
    complaint: Complaint
    ack: Mark | None
    target: Mark | None
    legal: Mark | None


@dataclass
class Page:
    rows: list[Row] = field(default_factory=list)
    next_cursor: str | None = None
    is_first: bool = True


# What a list row does not show: long texts, answers, and the case's encrypted or heavy columns.
LIST_DEFERRED = ("description", "answers", "answer", "case__data", "case__protected_data", "case__tracking_code",
                 "case__return_missing", "case__legal_basis", "case__rejection_reason", "case__rating_comment")


def list_page(qs: ComplaintQuerySet, days: Days, cursor: Cursor | None, page_size: int = PAGE_SIZE) -> Page:
    """One page of the list, most urgent target first, in one query whatever the number of rows (keyset on
    (target_due, id): no OFFSET, no COUNT)."""
    if cursor is not None:
        qs = qs.filter(Q(target_due__gt=cursor.target_due) | Q(target_due=cursor.target_due, id__gt=cursor.id))
    found = list(
        qs.select_related("case__department", "case__arrondissement", "category__parent")
        .defer(*LIST_DEFERRED).order_by("target_due", "id")[: page_size + 1]
    )
    shown = found[:page_size]
    next_cursor = None
    if len(found) > page_size:
        last = shown[-1]
        next_cursor = Cursor(target_due=last.target_due, id=last.pk).encode()
    return Page(rows=[Row(c, days.ack(c), days.target(c), days.legal(c)) for c in shown], next_cursor=next_cursor,
                is_first=cursor is None)


def _filter_form(request: HttpRequest) -> ComplaintFilterForm:
    return ComplaintFilterForm(request.GET or None, membership=_membership(request), categories=ordered_categories())


# --- the list -------------------------------------------------------------------------------------------------------


@require_GET
@staff_required()
def complaint_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = form.filters()
    days = Days.for_commune(request.commune)  # type: ignore[attr-defined]
    page = list_page(filtered_complaints(_membership(request), filters, days), days,
                     Cursor.decode(request.GET.get("cursor")))
    return render(request, "complaints/staff/list.html", {
        "form": form, "filters": filters, "page": page, "rows": page.rows,
        "show_department": not form.sees_one_department, "section": "list",
    })


# --- the map --------------------------------------------------------------------------------------------------------

# Marker colours by state; the legend and the markers read them from here (text labels carry the meaning too).
STATE_COLOURS: dict[str, str] = {
    ComplaintState.RECEIVED: "#1d4ed8",
    ComplaintState.ACKNOWLEDGED: "#0e7490",
    ComplaintState.IN_PROGRESS: "#b45309",
    ComplaintState.REOPENED: "#b91c1c",
    ComplaintState.RESOLVED: "#15803d",
    ComplaintState.REJECTED: "#6b21a8",
    ComplaintState.CLOSED: "#4b5563",
}


@require_GET
@staff_required()
def complaint_map(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    form.filters()  # reports the invalid values on their fields
    outline = Area.objects.filter(arrondissement__isnull=True).first()
    query = request.GET.urlencode()
    return render(request, "complaints/staff/map.html", {
        "form": form, "filters": form.filters(), "section": "map",
        "data_url": reverse("complaints_staff:map_data") + (f"?{query}" if query else ""),
        "list_url": reverse("complaints_staff:list") + (f"?{query}" if query else ""),
        "outline": outline, "tile_url": settings.COMPLAINT_MAP_TILE_URL,
        "attribution": settings.COMPLAINT_MAP_ATTRIBUTION,
        "legend": [(value, label, STATE_COLOURS[value]) for value, label in ComplaintState.choices],
        "max_points": MAP_MAX_POINTS,
    })


@require_GET
@staff_required()
def map_data(request: HttpRequest) -> JsonResponse:
    """The complaints with a place that match the filters, most urgent first, at most MAP_MAX_POINTS."""
    form = _filter_form(request)
    filters = form.filters()
    days = Days.for_commune(request.commune)  # type: ignore[attr-defined]
    qs = (filtered_complaints(_membership(request), filters, days)
          .filter(lat__isnull=False, lon__isnull=False).order_by("target_due", "id"))
    rows = list(qs.values_list("case__reference", "lat", "lon", "state", "category_id", "address")
                [: MAP_MAX_POINTS + 1])
    truncated = len(rows) > MAP_MAX_POINTS
    rows = rows[:MAP_MAX_POINTS]
    names = {c.pk: c.name for c in Category.objects.filter(pk__in={r[4] for r in rows})} if rows else {}
    states = dict(ComplaintState.choices)
    detail = reverse("complaints_staff:detail", kwargs={"reference": "REF"})
    points = [{
        "ref": ref, "lat": round(lat, 6), "lon": round(lon, 6), "state": state, "stateLabel": str(states[state]),
        "colour": STATE_COLOURS.get(state, "#4b5563"), "category": names.get(category_id, ""), "address": address,
        "url": detail.replace("REF", ref),
    } for ref, lat, lon, state, category_id, address in rows]
    message = ""
    if truncated:
        message = _("Only the %(count)s most urgent complaints are on the map: narrow the filters to see the "
                    "others.") % {"count": MAP_MAX_POINTS}
    elif not points:
        message = _("No complaint with a place matches these filters.")
    else:
        message = ngettext("%(count)s complaint on the map.", "%(count)s complaints on the map.",
                           len(points)) % {"count": len(points)}
    response = JsonResponse({"points": points, "truncated": truncated, "max": MAP_MAX_POINTS, "message": message})
    response["Cache-Control"] = "private, no-store"
    return response


# --- a complaint ----------------------------------------------------------------------------------------------------


def _contact(complaint: Complaint) -> dict[str, str]:
    case = complaint.case
    if case.citizen is not None:
        return {"name": case.citizen.full_name, "phone": case.citizen.phone or "", "email": case.citizen.email or "",
                "account": "1"}
    return {"name": case.applicant_name, "phone": case.applicant_phone, "email": case.applicant_email}


def _record_access(request: HttpRequest, complaint: Complaint, what: str) -> None:
    case = complaint.case
    commune = request.commune  # type: ignore[attr-defined]
    if case.citizen is not None:
        audit.record_personal_data_access(actor=_user(request), commune=commune, subject=case.citizen, target=case,
                                          reason=ACCESS_REASON, request=request, fields=[what])
    else:
        # Filed without an account (a confirmed phone number or e-mail): the read is logged all the same.
        audit.record(action="personal_data.viewed", commune=commune, actor=_user(request), target=case,
                     target_label=case.reference, reason=ACCESS_REASON, request=request,
                     details={"fields": [what]})


def _answers(complaint: Complaint) -> list[tuple[str, str]]:
    """The answers to the category's extra questions, labelled in the page's language."""
    rows: list[tuple[str, str]] = []
    answers = complaint.answers or {}
    for spec in complaint.category.questions or []:
        if not isinstance(spec, dict) or spec.get("name") not in answers:
            continue
        value = answers[spec["name"]]
        if spec.get("type") == "yesno":
            answer = parse_yesno(value)
            shown = str(_("Yes") if answer else _("No")) if answer is not None else str(value)
        elif spec.get("type") == "choice":
            shown = next((tr_label(c.get("label")) for c in spec.get("choices", [])
                          if isinstance(c, dict) and c.get("value") == value), str(value))
        else:
            shown = str(value)
        rows.append((tr_label(spec.get("label")) or spec["name"], shown))
    return rows


def _timeline(complaint: Complaint) -> list[dict[str, Any]]:
    states = dict(CaseState.choices)
    kinds = dict(EventKind.choices)
    items = []
    for event in CaseEvent.objects.filter(case=complaint.case).select_related("actor").order_by("created_at", "id"):
        if event.kind == EventKind.TRANSITION and event.to_state:
            title = str(states.get(event.to_state, event.to_state))
        else:
            title = str(kinds.get(event.kind, event.kind))
        items.append({
            "time": event.created_at, "title": title, "text": event.public_text, "note": event.internal_note,
            "internal": not event.is_public, "actor": event.actor,
        })
    return items


def _move_forms(complaint: Complaint, bound: MoveForm | None = None) -> list[tuple[workflow.Move, MoveForm]]:
    forms = []
    for move in workflow.available(complaint.state, workflow.Actor.STAFF):
        if bound is not None and bound.move.name == move.name:
            forms.append((move, bound))
        else:
            forms.append((move, MoveForm(move=move, complaint=complaint)))
    return forms


def _nearby(complaint: Complaint) -> list[tuple[Complaint, int]]:
    """Open public reports of the same category near this one: likely the same problem."""
    if (complaint.kind != ComplaintKind.REPORT or complaint.lat is None or complaint.lon is None
            or not complaint.is_open or complaint.merged_into_id is not None):
        return []
    found = services.nearby_open(complaint.commune, complaint.category, complaint.lat, complaint.lon)
    return [(other, round(distance)) for other, distance in found if other.pk != complaint.pk]


def _render_detail(request: HttpRequest, complaint: Complaint, *, status: int = 200,
                   move_form: MoveForm | None = None, note_form: NoteForm | None = None,
                   reroute_form: RerouteForm | None = None, merge_form: MergeForm | None = None) -> HttpResponse:
    membership = _membership(request)
    case = complaint.case
    can_act = services.acts_on(membership, case.department_id)
    contact = _contact(complaint)
    if not complaint.is_anonymous and any(contact.get(k) for k in ("name", "phone", "email")):
        _record_access(request, complaint, "contact")
    days = Days.for_commune(complaint.commune)
    context: dict[str, Any] = {
        "complaint": complaint, "case": case, "can_act": can_act, "contact": contact, "section": "list",
        "answers": _answers(complaint),
        "photos": list(Photo.objects.filter(complaint=complaint).select_related("attachment")),
        "timeline": _timeline(complaint),
        "ack_mark": days.ack(complaint), "target_mark": days.target(complaint), "legal_mark": days.legal(complaint),
        "duplicates": list(Complaint.objects.filter(merged_into=complaint).select_related("case")
                           .only("id", "case__reference", "state")),
    }
    if can_act:
        context.update({
            "move_forms": _move_forms(complaint, move_form),
            "note_form": note_form or NoteForm(),
            "reroute_form": reroute_form or RerouteForm(current_department_id=case.department_id),
            "merge_form": merge_form or MergeForm(),
            "nearby": _nearby(complaint),
            "can_merge": complaint.is_open and complaint.merged_into_id is None,
        })
    return render(request, "complaints/staff/detail.html", context, status=status)


@require_GET
@staff_required()
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render_detail(request, get_complaint_for_staff(request, reference))


def _to_detail(complaint: Complaint) -> HttpResponse:
    return redirect("complaints_staff:detail", reference=complaint.reference)


def _acting_complaint(request: HttpRequest, reference: str) -> Complaint:
    """A complaint the member may see and act on: another department's is a 404 (as on reading), and a member who
    sees it without acting for it (an agent without department) is refused."""
    complaint = get_complaint_for_staff(request, reference)
    if not services.acts_on(_membership(request), complaint.case.department_id):
        raise PermissionDenied(_("Your role does not allow you to act on this complaint."))
    return complaint


@require_POST
@staff_required(*ACTING_ROLES)
def move(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _acting_complaint(request, reference)
    name = request.POST.get("move", "")
    chosen = next((m for m in workflow.available(complaint.state, workflow.Actor.STAFF) if m.name == name), None)
    if chosen is None:
        known = workflow.BY_NAME.get(name)
        if known is not None and known.actor == workflow.Actor.STAFF and complaint.state == known.target:
            messages.info(request, _("This was already done: %(action)s.") % {"action": known.label})
            return _to_detail(complaint)
        if known is None or known.actor != workflow.Actor.STAFF:
            messages.error(request, _("This action does not exist."))
        else:
            messages.error(request, _("This action is not possible while the complaint is “%(state)s”.")
                           % {"state": complaint.get_state_display()})
        return _render_detail(request, complaint, status=400)
    form = MoveForm(request.POST, move=chosen, complaint=complaint)
    if "use_template" in request.POST:
        refilled = form.refilled()
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "complaints/staff/detail.html#move_form",
                          {"complaint": complaint, "move": chosen, "form": refilled})
        return _render_detail(request, complaint, move_form=refilled)
    if not form.is_valid():
        return _render_detail(request, complaint, status=400, move_form=form)
    try:
        services.complaint_transition(complaint=complaint, name=chosen.name, actor=_user(request),
                                      text=form.cleaned_data.get("text", ""),
                                      internal_note=form.cleaned_data.get("internal_note", ""))
    except workflow.TransitionNotAllowed as error:
        form.add_error(None, error.message)
        return _render_detail(request, complaint, status=400, move_form=form)
    except ValidationError as error:
        _add_errors(form, error)
        return _render_detail(request, complaint, status=400, move_form=form)
    messages.success(request, _("Done: %(action)s.") % {"action": chosen.label})
    return _to_detail(complaint)


@require_POST
@staff_required(*ACTING_ROLES)
def note(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _acting_complaint(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, complaint, status=400, note_form=form)
    try:
        case_services.note_add(case=complaint.case, actor=_user(request), text=form.cleaned_data["text"])
    except ValidationError as error:
        form.add_error("text", _errors_text(error))
        return _render_detail(request, complaint, status=400, note_form=form)
    messages.success(request, _("The internal note was added."))
    return _to_detail(complaint)


@require_POST
@staff_required(*ACTING_ROLES)
def reroute(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _acting_complaint(request, reference)
    form = RerouteForm(request.POST, current_department_id=complaint.case.department_id)
    if not form.is_valid():
        return _render_detail(request, complaint, status=400, reroute_form=form)
    department = form.cleaned_data["department"]
    try:
        admin_services.complaint_reroute(complaint=complaint, department=department, actor=_user(request),
                                         note=form.cleaned_data.get("note", ""))
    except ValidationError as error:
        _add_errors(form, error)
        return _render_detail(request, complaint, status=400, reroute_form=form)
    messages.success(request, _("%(reference)s was sent to the department %(department)s.")
                     % {"reference": complaint.reference, "department": department.name})
    if not staff_complaints(_membership(request)).filter(pk=complaint.pk).exists():
        return redirect("complaints_staff:list")  # no longer one of this member's complaints
    return _to_detail(complaint)


@require_POST
@staff_required(*ACTING_ROLES)
def merge(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = _acting_complaint(request, reference)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, complaint, status=400, merge_form=form)
    target = (Complaint.objects.select_related("case").filter(case__reference=form.cleaned_data["reference"])
              .first())
    if target is None:
        form.add_error("reference", _("No complaint of the commune has this reference."))
    elif target.pk == complaint.pk:
        form.add_error("reference", _("A complaint cannot be merged into itself."))
    elif target.kind != complaint.kind:
        form.add_error("reference", _("Merge a report into a report, a grievance into a grievance."))
    elif not target.is_open:
        form.add_error("reference", _("%(reference)s is no longer open: merge into an open complaint.")
                       % {"reference": target.reference})
    if target is None or form.errors:
        return _render_detail(request, complaint, status=400, merge_form=form)
    try:
        services.complaint_merge(duplicate=complaint, into=target, actor=_user(request))
    except ValidationError as error:
        _add_errors(form, error)
        return _render_detail(request, complaint, status=400, merge_form=form)
    messages.success(request, _("%(reference)s was merged into %(target)s.")
                     % {"reference": complaint.reference, "target": target.reference})
    return _to_detail(complaint)


def _photo(complaint: Complaint, pk: int) -> Photo:
    photo = Photo.objects.select_related("attachment").filter(complaint=complaint, pk=pk).first()
    if photo is None:
        raise Http404
    return photo


@require_GET
@staff_required()
def photo(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    complaint = get_complaint_for_staff(request, reference)
    return attachments.attachment_response(_photo(complaint, pk).attachment, inline=True)


@require_POST
@staff_required(*ACTING_ROLES)
def photo_visibility(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    complaint = _acting_complaint(request, reference)
    item = _photo(complaint, pk)
    public = request.POST.get("public")
    if public not in ("0", "1"):
        messages.error(request, _("Choose whether the photo is shown or hidden."))
        return _render_detail(request, complaint, status=400)
    admin_services.photo_set_public(photo=item, is_public=public == "1", actor=_user(request))
    if public == "1":
        messages.success(request, _("The photo is shown on the public page."))
    else:
        messages.success(request, _("The photo is hidden from the public page; staff still see it."))
    return _to_detail(complaint)


# --- categories (administrators) ------------------------------------------------------------------------------------


@require_GET
@staff_required(Role.ADMIN)
def categories(request: HttpRequest) -> HttpResponse:
    items = ordered_categories()
    rules: dict[int, int] = {}
    for category_id in RoutingRule.objects.values_list("category_id", flat=True):
        rules[category_id] = rules.get(category_id, 0) + 1
    for category in items:
        category.routing_count = rules.get(category.pk, 0)  # type: ignore[attr-defined]
    return render(request, "complaints/staff/categories.html", {"categories": items, "section": "categories"})


@require_POST
@staff_required(Role.ADMIN)
def categories_install(request: HttpRequest) -> HttpResponse:
    created = admin_services.categories_install(commune=request.commune, actor=_user(request))  # type: ignore[attr-defined]
    if created:
        messages.success(request, _("%(count)s categories of the default set were added.") % {"count": created})
    else:
        messages.info(request, _("The commune already has every category of the default set."))
    return redirect("complaints_staff:categories")


def _category(pk: int) -> Category:
    return get_object_or_404(Category.objects.select_related("parent", "department"), pk=pk)


@GET_POST
@staff_required(Role.ADMIN)
def category_create(request: HttpRequest, parent_pk: int | None = None) -> HttpResponse:
    parent = _category(parent_pk) if parent_pk is not None else None
    if parent is not None and parent.parent_id is not None:
        raise Http404  # a sub-category has no sub-categories
    form = CategoryCreateForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        try:
            category = admin_services.category_create(
                commune=request.commune, actor=_user(request),  # type: ignore[attr-defined]
                code=form.cleaned_data["code"], kind=form.cleaned_data.get("kind", ""),
                fields=form.category_fields(), parent=parent)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The category %(name)s was added.") % {"name": category.name})
            return redirect("complaints_staff:category", pk=category.pk)
    return render(request, "complaints/staff/category_form.html", {
        "form": form, "parent": parent, "creating": True, "section": "categories",
    }, status=400 if form.is_bound and form.errors else 200)


def _routing_form(category: Category, data: Any = None) -> RoutingForm:
    arrondissements = list(Arrondissement.objects.order_by("position", "pk"))
    rules = dict(RoutingRule.objects.filter(category=category).values_list("arrondissement_id", "department_id"))
    return RoutingForm(data, category=category, arrondissements=arrondissements, rules=rules)


def _render_category(request: HttpRequest, category: Category, form: CategoryForm, routing: RoutingForm,
                     status: int = 200) -> HttpResponse:
    children = list(Category.objects.filter(parent=category).order_by("position", "pk"))
    return render(request, "complaints/staff/category_form.html", {
        "form": form, "category": category, "routing": routing, "children": children, "creating": False,
        "parent": category.parent, "section": "categories",
    }, status=status)


@GET_POST
@staff_required(Role.ADMIN)
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = _category(pk)
    form = CategoryForm(request.POST or None, category=category)
    if request.method == "POST":
        if form.is_valid():
            try:
                admin_services.category_update(category=category, actor=_user(request), fields=form.category_fields())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The category %(name)s was saved.") % {"name": category.name})
                return redirect("complaints_staff:category", pk=category.pk)
        return _render_category(request, category, form, _routing_form(category), status=400)
    return _render_category(request, category, form, _routing_form(category))


@require_POST
@staff_required(Role.ADMIN)
def category_routing(request: HttpRequest, pk: int) -> HttpResponse:
    category = _category(pk)
    routing = _routing_form(category, request.POST)
    if routing.is_valid():
        try:
            changed = admin_services.routing_rules_set(category=category, actor=_user(request),
                                                       routes=routing.routes())
        except ValidationError as error:
            _add_errors(routing, error)
        else:
            if changed:
                messages.success(request, _("The routing per arrondissement was saved."))
            else:
                messages.info(request, _("Nothing changed in the routing."))
            return redirect("complaints_staff:category", pk=category.pk)
    return _render_category(request, category, CategoryForm(category=category), routing, status=400)


# --- answer templates (administrators and heads of department) ------------------------------------------------------


@require_GET
@staff_required(*TEMPLATE_EDITORS)
def templates(request: HttpRequest) -> HttpResponse:
    items = list(AnswerTemplate.objects.select_related("category__parent").order_by("use", "category_id", "pk"))
    return render(request, "complaints/staff/templates.html", {"templates": items, "section": "templates"})


@GET_POST
@staff_required(*TEMPLATE_EDITORS)
def template_create(request: HttpRequest) -> HttpResponse:
    form = AnswerTemplateForm(request.POST or None, categories=ordered_categories())
    if request.method == "POST" and form.is_valid():
        try:
            admin_services.answer_template_create(commune=request.commune, actor=_user(request),  # type: ignore[attr-defined]
                                                  fields=form.template_fields())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The answer template was added."))
            return redirect("complaints_staff:templates")
    return render(request, "complaints/staff/template_form.html", {
        "form": form, "creating": True, "section": "templates",
    }, status=400 if form.is_bound and form.errors else 200)


@GET_POST
@staff_required(*TEMPLATE_EDITORS)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(AnswerTemplate.objects.all(), pk=pk)
    form = AnswerTemplateForm(request.POST or None, categories=ordered_categories(), template=template)
    if request.method == "POST" and form.is_valid():
        try:
            admin_services.answer_template_update(template=template, actor=_user(request),
                                                  fields=form.template_fields())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The answer template was saved."))
            return redirect("complaints_staff:templates")
    return render(request, "complaints/staff/template_form.html", {
        "form": form, "creating": False, "template": template, "section": "templates",
    }, status=400 if form.is_bound and form.errors else 200)


@require_POST
@staff_required(*TEMPLATE_EDITORS)
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(AnswerTemplate.objects.all(), pk=pk)
    admin_services.answer_template_delete(template=template, actor=_user(request))
    messages.success(request, _("The answer template was deleted."))
    return redirect("complaints_staff:templates")


# --- Open311 keys (administrators) ----------------------------------------------------------------------------------


def _render_keys(request: HttpRequest, form: Open311KeyForm, *, issued: tuple[Open311Key, str] | None = None,
                 status: int = 200) -> HttpResponse:
    keys = list(Open311Key.objects.select_related("created_by").order_by("-id"))
    response = render(request, "complaints/staff/open311_keys.html", {
        "form": form, "keys": keys, "issued": issued, "section": "open311",
    }, status=status)
    response["Cache-Control"] = "private, no-store"  # the new key is on the page once
    return response


@never_cache
@GET_POST
@staff_required(Role.ADMIN)
def open311_keys(request: HttpRequest) -> HttpResponse:
    from jamaa.complaints.open311_keys import open311_key_issue

    if request.method != "POST":
        return _render_keys(request, Open311KeyForm())
    form = Open311KeyForm(request.POST)
    if not form.is_valid():
        return _render_keys(request, form, status=400)
    try:
        key, raw = open311_key_issue(commune=request.commune, name=form.cleaned_data["name"],  # type: ignore[attr-defined]
                                     actor=_user(request))
    except ValidationError as error:
        _add_errors(form, error)
        return _render_keys(request, form, status=400)
    messages.success(request, _("The key for %(name)s was issued.") % {"name": key.name})
    return _render_keys(request, Open311KeyForm(), issued=(key, raw))


@require_POST
@staff_required(Role.ADMIN)
def open311_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    from jamaa.complaints.open311_keys import open311_key_revoke as revoke

    key = get_object_or_404(Open311Key.objects.all(), pk=pk)
    if revoke(key=key, actor=_user(request)):
        messages.success(request, _("The key of %(name)s was revoked: the application can no longer file "
                                    "complaints with it.") % {"name": key.name})
    else:
        messages.info(request, _("This key was already revoked."))
    return HttpResponseRedirect(reverse("complaints_staff:open311_keys"))
