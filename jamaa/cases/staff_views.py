"""The staff back office for cases: the queue, a case (data, attachments, timeline, messages, moves, notes,
assignment), reason templates, and requests filed at the counter.

Agents and heads of department see their department's cases; administrators the whole commune; the leadership
reads only (no form is shown to them and every write view refuses them). Another department's or commune's case is
a 404 (`get_case_for_staff`)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jamaa.cases import queue, services, workflow
from jamaa.cases.models import (
    Attachment,
    Case,
    CaseChannel,
    CaseEvent,
    CaseKind,
    CaseMessage,
    CaseState,
    EventKind,
    ReasonTemplate,
)
from jamaa.cases.references import display_tracking_code
from jamaa.cases.selectors import get_case_for_staff, staff_cases
from jamaa.cases.staff_forms import (
    AssignForm,
    BulkAssignForm,
    CounterApplicantForm,
    CounterProcedureForm,
    MessageForm,
    NoteForm,
    QueueFilterForm,
    ReasonTemplateForm,
    TransitionForm,
)
from jamaa.catalog import formdef
from jamaa.catalog.models import CommuneProcedure, DeadlineUnit
from jamaa.core import audit
from jamaa.core.models import Membership, Role, User
from jamaa.core.permissions import staff_required

# Who works the cases (the leadership reads only).
ACTING_ROLES = (Role.AGENT, Role.HEAD, Role.ADMIN)
GET_POST = require_http_methods(["GET", "POST"])
BULK_ASSIGN_MAX = 200
ACCESS_REASON = "case handling"
COUNTER_CODE_KEY = "jamaa_counter_tracking_code"


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _can_act(request: HttpRequest) -> bool:
    return _membership(request).role in ACTING_ROLES


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _errors_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


# --- the queue -------------------------------------------------------------------------------------------------


@require_GET
@staff_required()
def queue_view(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = QueueFilterForm(request.GET or None, membership=membership)
    filters = form.filters()
    deadlines = queue.Deadlines.for_commune(request.commune)  # type: ignore[attr-defined]
    page = queue.queue_page(
        membership=membership, user=request.user, filters=filters, deadlines=deadlines,  # type: ignore[arg-type]
        cursor=queue.Cursor.decode(request.GET.get("cursor")),
    )
    can_act = _can_act(request)
    bulk_form = BulkAssignForm(membership=membership, department_id=filters.department_id) if can_act else None
    return render(request, "cases/staff/queue.html", {
        "form": form, "page": page, "rows": page.rows, "filters": filters, "can_act": can_act,
        "bulk_form": bulk_form, "deadlines": deadlines, "show_department": not form.sees_one_department,
    })


@require_POST
@staff_required(*ACTING_ROLES)
def bulk_assign(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    back = _safe_next(request, reverse("staff:queue"))
    ids = sorted({int(v) for v in request.POST.getlist("cases") if v.isascii() and v.isdigit() and len(v) < 18})
    if not ids:
        messages.error(request, _("Select at least one case to assign."))
        return HttpResponseRedirect(back)
    if len(ids) > BULK_ASSIGN_MAX:
        messages.error(request, _("Assign at most %(count)s cases at once.") % {"count": BULK_ASSIGN_MAX})
        return HttpResponseRedirect(back)
    form = BulkAssignForm(request.POST, membership=membership)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("assignee", [])))
        return HttpResponseRedirect(back)
    assignee: Membership = form.cleaned_data["assignee"]
    cases = list(staff_cases(membership).filter(pk__in=ids).select_related("department"))
    if len(cases) != len(ids):
        messages.error(request, _("Some of the selected cases are not yours to assign: nothing was changed."))
        return HttpResponseRedirect(back)
    elsewhere = [c for c in cases if c.department_id != assignee.department_id]
    if elsewhere:
        messages.error(request, _(
            "%(name)s does not work in the department of %(reference)s: nothing was changed."
        ) % {"name": assignee.user.full_name, "reference": elsewhere[0].reference})
        return HttpResponseRedirect(back)
    try:
        changed = services.case_assign(cases=cases, assignee=assignee.user, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, _errors_text(error))
        return HttpResponseRedirect(back)
    messages.success(request, ngettext(
        "%(count)s case assigned to %(name)s.", "%(count)s cases assigned to %(name)s.", changed,
    ) % {"count": changed, "name": assignee.user.full_name})
    return HttpResponseRedirect(back)


# --- a case ----------------------------------------------------------------------------------------------------


def _protected(case: Case) -> dict[str, str]:
    """The case's protected answers (CIN numbers), stored as a JSON object in an encrypted column."""
    if not case.protected_data:
        return {}
    try:
        value = json.loads(case.protected_data)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _record_access(request: HttpRequest, case: Case, what: str) -> None:
    actor: User = request.user  # type: ignore[assignment]
    commune = request.commune  # type: ignore[attr-defined]
    if case.citizen is not None:
        audit.record_personal_data_access(actor=actor, commune=commune, subject=case.citizen, target=case,
                                          reason=ACCESS_REASON, request=request, fields=[what])
    else:
        # A counter request: the applicant has no account, the read is logged all the same.
        audit.record(action="personal_data.viewed", commune=commune, actor=actor, target=case,
                     reason=ACCESS_REASON, request=request, details={"fields": [what]})


def _timeline(case: Case) -> list[dict[str, Any]]:
    states = dict(CaseState.choices)
    kinds = dict(EventKind.choices)
    items = []
    for event in CaseEvent.objects.filter(case=case).select_related("actor").order_by("created_at", "id"):
        if event.kind == EventKind.TRANSITION and event.to_state:
            title = str(states.get(event.to_state, event.to_state))
        else:
            title = str(kinds.get(event.kind, event.kind))
        items.append({
            "time": event.created_at, "title": title, "text": event.public_text, "note": event.internal_note,
            "internal": not event.is_public, "actor": event.actor, "by_staff": event.by_staff,
        })
    return items


def _answers(case: Case, *, mask_cin: bool) -> list[tuple[str, str]]:
    if case.procedure is None:
        return []
    return formdef.display_answers(case.procedure, case.data, _protected(case), mask_cin=mask_cin)


def _transition_forms(
    case: Case, bound: TransitionForm | None = None
) -> list[tuple[workflow.Transition, TransitionForm]]:
    forms = []
    for transition in workflow.available(case.state, workflow.Actor.STAFF):
        if transition.name == "return" and case.returned_at is not None:
            continue  # at most once: the page says so instead of offering the form
        if bound is not None and bound.transition.name == transition.name:
            forms.append((transition, bound))
        else:
            forms.append((transition, TransitionForm(transition=transition, procedure=case.procedure,
                                                     initial={"expected_version": case.version})))
    return forms


def _render_detail(
    request: HttpRequest, case: Case, *, status: int = 200, transition_form: TransitionForm | None = None,
    note_form: NoteForm | None = None, message_form: MessageForm | None = None,
    assign_form: AssignForm | None = None,
) -> HttpResponse:
    can_act = _can_act(request)
    membership = _membership(request)
    _record_access(request, case, "answers")
    context: dict[str, Any] = {
        "case": case,
        "can_act": can_act,
        "answers": _answers(case, mask_cin=not can_act),
        "attachments": list(Attachment.objects.filter(case=case).order_by("-is_current", "created_at", "id")),
        "timeline": _timeline(case),
        "case_messages": list(CaseMessage.objects.filter(case=case).select_related("author")
                              .order_by("created_at", "id")),
        "deadline": queue.Deadlines.for_commune(request.commune).status(case),  # type: ignore[attr-defined]
        "deadline_unit": dict(DeadlineUnit.choices).get(case.deadline_unit, case.deadline_unit),
        "returned_once": case.returned_at is not None,
        "is_counter": case.channel == CaseChannel.COUNTER,
    }
    context["missing_labels"] = [str(item) for item in case.return_missing or []]
    from jamaa.documents.staff_views import case_documents_context

    context.update(case_documents_context(request, case))
    handed = request.session.get(COUNTER_CODE_KEY)
    if isinstance(handed, dict) and handed.get("reference") == case.reference:
        context["tracking_code"] = request.session.pop(COUNTER_CODE_KEY)["code"]
    if can_act:
        context.update({
            "reason_texts": {str(t.pk): t.text for t in ReasonTemplate.objects.filter(is_active=True)},
            "transition_forms": _transition_forms(case, transition_form),
            "note_form": note_form or NoteForm(),
            "message_form": message_form or MessageForm(),
            "assign_form": assign_form or AssignForm(
                membership=membership, department_id=case.department_id,
                initial={"assignee": case.assigned_to_id}),
        })
    return render(request, "cases/staff/detail.html", context, status=status)


@require_GET
@staff_required()
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_for_staff(request, reference)
    if case.kind == CaseKind.COMPLAINT:
        return redirect("complaints_staff:detail", reference=case.reference)  # a complaint has its own page
    return _render_detail(request, case)


def _to_detail(case: Case) -> HttpResponse:
    return redirect("staff:detail", reference=case.reference)


@require_POST
@staff_required(*ACTING_ROLES)
def transition(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_for_staff(request, reference)
    move = workflow.BY_NAME.get(request.POST.get("transition", ""))
    if move is None or move.actor != workflow.Actor.STAFF:
        messages.error(request, _("This action does not exist."))
        return _to_detail(case)
    form = TransitionForm(request.POST, transition=move, procedure=case.procedure)
    if not form.is_valid():
        return _render_detail(request, case, status=400, transition_form=form)
    data = form.cleaned_data
    try:
        services.case_transition(
            case=case, name=move.name, actor=request.user, by_staff=True,  # type: ignore[arg-type]
            public_text=data.get("public_text", ""), internal_note=data.get("internal_note", ""),
            expected_version=data["expected_version"], missing=form.missing_items(case.language),
        )
    except services.StaleCase:
        form.add_error(None, _("This case changed since you opened it: check what changed below, then send your "
                               "action again (what you typed is kept)."))
        case = get_case_for_staff(request, reference)
        return _render_detail(request, case, status=409, transition_form=_rebound(form, case))
    except workflow.TransitionNotAllowed as error:
        form.add_error(None, error.message)
        return _render_detail(request, case, status=400, transition_form=form)
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _render_detail(request, case, status=400, transition_form=form)
    messages.success(request, _("Done: %(action)s.") % {"action": move.label})
    return _to_detail(case)


def _rebound(form: TransitionForm, case: Case) -> TransitionForm:
    """The same answers on the case's current version, so that sending again applies them (errors kept)."""
    data = form.data.copy()
    data[form.add_prefix("expected_version")] = str(case.version)
    fresh = TransitionForm(data, transition=form.transition, procedure=case.procedure)
    fresh.is_valid()
    for error in form.non_field_errors():
        fresh.add_error(None, error)
    return fresh


@require_POST
@staff_required(*ACTING_ROLES)
def note(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_for_staff(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, case, status=400, note_form=form)
    try:
        services.note_add(case=case, actor=request.user, text=form.cleaned_data["text"])  # type: ignore[arg-type]
    except ValidationError as error:
        form.add_error("text", _errors_text(error))
        return _render_detail(request, case, status=400, note_form=form)
    messages.success(request, _("The internal note was added."))
    return _to_detail(case)


@require_POST
@staff_required(*ACTING_ROLES)
def message(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_for_staff(request, reference)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, case, status=400, message_form=form)
    upload = form.cleaned_data.get("attachment")
    try:
        services.message_post(case=case, author=request.user, body=form.cleaned_data["body"],  # type: ignore[arg-type]
                              by_staff=True, files=[("attachment", upload)] if upload else [])
    except ValidationError as error:
        form.add_error("attachment" if upload else "body", _errors_text(error))
        return _render_detail(request, case, status=400, message_form=form)
    messages.success(request, _("Your message was sent to the applicant."))
    return _to_detail(case)


@require_POST
@staff_required(*ACTING_ROLES)
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_for_staff(request, reference)
    form = AssignForm(request.POST, membership=_membership(request), department_id=case.department_id)
    if not form.is_valid():
        return _render_detail(request, case, status=400, assign_form=form)
    assignee: Membership | None = form.cleaned_data["assignee"]
    try:
        services.case_assign(cases=[case], assignee=assignee.user if assignee else None,
                             actor=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        form.add_error("assignee", _errors_text(error))
        return _render_detail(request, case, status=400, assign_form=form)
    if assignee is None:
        messages.success(request, _("The case is no longer assigned."))
    else:
        messages.success(request, _("The case is assigned to %(name)s.") % {"name": assignee.user.full_name})
    return _to_detail(case)


@require_GET
@staff_required()
def attachment(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    case = get_case_for_staff(request, reference)
    if len(token) > 32:
        raise Http404
    item = Attachment.objects.filter(case=case, token=token).first()
    if item is None:
        raise Http404
    from jamaa.cases import attachments

    _record_access(request, case, f"attachment:{item.document_code or item.field_name or 'message'}")
    return attachments.attachment_response(item, inline=request.GET.get("inline") == "1")


@require_GET
@staff_required(*ACTING_ROLES)
def receipt_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The receipt of a request filed at the counter, printed for the applicant (it carries the tracking code).
    An applicant with an account downloads their own receipt."""
    from django.utils.http import content_disposition_header

    from jamaa.cases.receipt import render_receipt_pdf

    case = get_case_for_staff(request, reference)
    if case.channel != CaseChannel.COUNTER or case.citizen_id is not None:
        raise Http404
    audit.record(action="case.receipt_printed", commune=request.commune, actor=request.user,  # type: ignore[attr-defined]
                 target=case, request=request)
    pdf = render_receipt_pdf(case, language=case.language or "ar")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"{case.reference}-receipt.pdf")
    return response


# --- reason templates (administrators) -------------------------------------------------------------------------


@require_GET
@staff_required(Role.ADMIN)
def reasons(request: HttpRequest) -> HttpResponse:
    templates = list(ReasonTemplate.objects.order_by("kind", "position", "pk"))
    return render(request, "cases/staff/reasons.html", {"templates": templates})


@transaction.atomic
def _save_reason_template(request: HttpRequest, form: ReasonTemplateForm, *, created: bool) -> ReasonTemplate:
    template: ReasonTemplate = form.save(commit=False)
    if created:
        template.commune = request.commune  # type: ignore[attr-defined]
    template.full_clean()
    template.save()
    audit.record(
        action="cases.reason_template_created" if created else "cases.reason_template_changed",
        commune=request.commune, actor=request.user, target=template, request=request,  # type: ignore[attr-defined]
        details={"kind": template.kind, "title": template.title_fr, "active": template.is_active},
    )
    return template


@GET_POST
@staff_required(Role.ADMIN)
def reason_create(request: HttpRequest) -> HttpResponse:
    form = ReasonTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _save_reason_template(request, form, created=True)
        messages.success(request, _("The ready-made text was added."))
        return redirect("staff:reasons")
    return render(request, "cases/staff/reason_form.html", {"form": form, "creating": True})


@GET_POST
@staff_required(Role.ADMIN)
def reason_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(ReasonTemplate.objects.all(), pk=pk)
    form = ReasonTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        _save_reason_template(request, form, created=False)
        messages.success(request, _("The ready-made text was saved."))
        return redirect("staff:reasons")
    return render(request, "cases/staff/reason_form.html", {"form": form, "creating": False, "template": template})


# --- requests filed at the counter -----------------------------------------------------------------------------


@GET_POST
@staff_required(*ACTING_ROLES)
def counter(request: HttpRequest) -> HttpResponse:
    """Step 1 (GET): choose the procedure. Step 2 (GET ?procedure=, then POST): the applicant and the form."""
    source = request.POST if request.method == "POST" else request.GET
    choice = CounterProcedureForm(source if "procedure" in source else None, membership=_membership(request))
    procedure: CommuneProcedure | None = choice.cleaned_data["procedure"] if choice.is_valid() else None
    if procedure is None:
        return render(request, "cases/staff/counter.html", {"choice": choice},
                      status=400 if choice.is_bound else 200)

    if request.method == "POST":
        applicant = CounterApplicantForm(request.POST, prefix="applicant")
        request_form = formdef.build_form(procedure, data=request.POST, files=request.FILES)
        if applicant.is_valid() and request_form.is_valid():
            data = applicant.cleaned_data
            # The services recognise a form sent twice by (citizen, key); a counter request has no citizen.
            already = _counter_case_by_key(data.get("submission_key", ""))
            if already is not None:
                return _to_detail(already)
            try:
                case = services.case_submit(
                    commune=request.commune, procedure=procedure,  # type: ignore[attr-defined]
                    data=request_form.raw_answers(), files=request_form.uploads(), citizen=None,
                    channel=CaseChannel.COUNTER, submission_key=data.get("submission_key", ""),
                    applicant_name=data["applicant_name"], applicant_phone=data["applicant_phone"],
                    language=data["language"], actor=request.user,  # type: ignore[arg-type]
                )
            except ValidationError as error:
                _add_service_errors(request_form, error)
            else:
                messages.success(request, _("Request %(reference)s was filed.") % {"reference": case.reference})
                # Shown once on the case page; kept in the (server-side) session rather than in a flash cookie.
                request.session[COUNTER_CODE_KEY] = {"reference": case.reference,
                                                     "code": display_tracking_code(case.tracking_code)}
                return _to_detail(case)
        status = 400
    else:
        applicant = CounterApplicantForm(initial={"submission_key": secrets.token_urlsafe(24)}, prefix="applicant")
        request_form = formdef.build_form(procedure)
        status = 200
    return render(request, "cases/staff/counter.html", {
        "choice": choice, "procedure": procedure, "applicant": applicant, "request_form": request_form,
    }, status=status)


def _counter_case_by_key(key: str) -> Case | None:
    if not key:
        return None
    return Case.objects.submitted().filter(citizen__isnull=True, channel=CaseChannel.COUNTER,
                                           submission_key=key[:64]).first()


def _add_service_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
