"""Citizen pages of e-service requests: start a request (save a draft, resume it, submit it), "my requests", one
request (answers, documents, timeline, messages, completion, withdrawal, rating), the dated receipt (page and PDF),
attachments, and following a request without an account with its reference and secret code.

Every page serves the request's commune only (the scoped managers): another commune's reference is a 404, and so is
another citizen's. Writes go through `jamaa.cases.services`; their errors become messages next to the fields
(ValidationError) or at the top of the page (TransitionNotAllowed, StaleCase), never a 500."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jamaa.cases import selectors, services
from jamaa.cases.forms import CompletionForm, MessageForm, RatingForm, TrackForm, WithdrawForm, normalise_reference
from jamaa.cases.models import Attachment, Case, CaseEvent, CaseKind, CaseMessage, CaseState, EventKind
from jamaa.cases.workflow import RUNNING_STATES, Actor, TransitionNotAllowed, available
from jamaa.catalog import formdef
from jamaa.catalog.models import Channel, CommuneProcedure, Procedure, deadline_label
from jamaa.core.audit import client_ip
from jamaa.core.permissions import commune_required, login_required

GET_POST = require_http_methods(["GET", "POST"])

MINE_PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # larger ids in a URL are no row's (and would overflow PostgreSQL's bigint)
MINE_MAX_DRAFTS = 20
SUBMISSION_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Drafts created from the "new request" page, by the form's key: a second click on "save draft" updates the
# draft the first click created instead of creating another one.
DRAFT_KEYS_SESSION = "jamaa_cases_draft_keys"
DRAFT_KEYS_KEPT = 20
# Following a case without an account: the references proven in this session, and the wrong attempts.
TRACKED_SESSION = "jamaa_cases_tracked"
TRACKED_KEPT = 20
TRACK_FAILURES_SESSION = "jamaa_cases_track_failures"
TRACK_SESSION_LIMIT = 5
TRACK_IP_LIMIT = 20
TRACK_WINDOW_SECONDS = 15 * 60

STATE_TONES = {
    CaseState.DRAFT: "neutral",
    CaseState.SUBMITTED: "info",
    CaseState.RETURNED: "warning",
    CaseState.IN_REVIEW: "info",
    CaseState.APPROVED: "success",
    CaseState.REJECTED: "danger",
    CaseState.ACT_ISSUED: "success",
    CaseState.CLOSED: "neutral",
    CaseState.WITHDRAWN: "neutral",
}
RATEABLE_STATES = (CaseState.CLOSED, CaseState.ACT_ISSUED)


# --- reads ------------------------------------------------------------------------------------------------------


def _published_adoption(slug: str) -> CommuneProcedure | None:
    return (
        CommuneProcedure.objects.published()
        .select_related("procedure", "department")
        .filter(procedure__slug=slug)
        .first()
    )


def _submitted_from_draft(request: HttpRequest, pk: int) -> Case | None:
    """The case a draft became (the back button or a second click sends the draft's form again)."""
    return Case.objects.submitted().filter(pk=pk, citizen=request.user).first()


def _stored_files(case: Case) -> dict[str, Attachment]:
    """The case's current files by form field name (`doc__<code>` for a required document)."""
    stored: dict[str, Attachment] = {}
    for attachment in Attachment.objects.filter(case=case, message__isnull=True, is_current=True):
        if attachment.document_code:
            stored[f"{formdef.DOCUMENT_PREFIX}{attachment.document_code}"] = attachment
        elif attachment.field_name:
            stored[attachment.field_name] = attachment
    return stored


def _protected(case: Case) -> dict[str, str]:
    """The case's CIN answers (stored encrypted, as a JSON object)."""
    if not case.protected_data:
        return {}
    try:
        value = json.loads(case.protected_data)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _answers_initial(case: Case) -> dict[str, Any]:
    # The citizen's own CIN goes back into their own form: they are the one who typed it.
    return {**(case.data or {}), **_protected(case)}


def _public_events(case: Case) -> list[dict[str, Any]]:
    """The timeline the citizen sees: public events only (an internal note never reaches this page)."""
    rows = []
    for event in CaseEvent.objects.filter(case=case).public().order_by("created_at", "id"):
        rows.append({"time": event.created_at, "title": _event_title(event), "text": event.public_text})
    return rows


def _event_title(event: CaseEvent) -> str:
    if event.kind == EventKind.TRANSITION and event.to_state:
        if event.to_state == CaseState.APPROVED and event.actor_id is None and not event.by_staff:
            return _("Approved by silence (the deadline passed)")
        return str(CaseState(event.to_state).label)
    if event.kind == EventKind.MESSAGE:
        return _("Message from the commune") if event.by_staff else _("Your message")
    if event.kind == EventKind.ATTACHMENT:
        return _("File added")
    if event.kind == EventKind.RATING:
        return _("You rated the service")
    return str(EventKind(event.kind).label) if event.kind in EventKind.values else ""


# --- small helpers ----------------------------------------------------------------------------------------------


def _new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def _submission_key(value: str | None) -> str:
    return value if value and SUBMISSION_KEY_RE.match(value) else _new_submission_key()


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError next to the fields it names; anything else above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _stale_message() -> str:
    return _("This request changed since you opened the page (the commune may have acted on it, or the form was "
             "sent twice). Check its state below, then try again if needed.")


def next_step(case: Case) -> str:
    """What the citizen has to do (or wait for), in words."""
    state = case.state
    if state == CaseState.DRAFT:
        return _("Finish and send your request")
    if state in (CaseState.SUBMITTED, CaseState.IN_REVIEW):
        return _("Waiting for the commune")
    if state == CaseState.RETURNED:
        return _("Complete your request: the commune is waiting for you")
    if state == CaseState.APPROVED:
        return _("Approved: the commune is preparing your act")
    if state == CaseState.REJECTED:
        return _("Read the reasons of the decision")
    if state in RATEABLE_STATES and case.rating is None:
        if state == CaseState.ACT_ISSUED:
            return _("Your act is issued: rate the service")
        return _("Rate the service")
    return _("Nothing more to do")


def deadline_text(case: Case) -> str:
    if not case.deadline_amount:
        return ""
    return deadline_label(case.deadline_amount, case.deadline_unit)


def grouped_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


def _missing_items(case: Case) -> list[str]:
    """What a return for completion asks for, in words: field and document names become their labels."""
    labels: dict[str, str] = {}
    if case.procedure is not None:
        for spec in case.procedure.procedure.form_definition or []:
            if isinstance(spec, dict) and "name" in spec:
                labels[spec["name"]] = formdef.tr_label(spec.get("label"))
        for document in case.procedure.procedure.documents.all():
            labels[f"{formdef.DOCUMENT_PREFIX}{document.code}"] = document.name
    items = []
    for item in case.return_missing or []:
        if isinstance(item, dict):
            text = str(item.get("text") or item.get("label") or item.get("name") or "")
            items.append(labels.get(str(item.get("name", "")), text) or text)
        else:
            items.append(labels.get(str(item), str(item)))
    return [item for item in items if item]


@dataclass
class Unavailable:
    title: str
    reason: str
    procedure: Procedure | None
    department: str = ""


def _unavailable(request: HttpRequest, slug: str) -> HttpResponse:
    """Why a procedure cannot be requested online here (a 404 that explains itself)."""
    adoption = CommuneProcedure.objects.select_related("procedure", "department").filter(
        procedure__slug=slug).first()
    commune = request.commune  # type: ignore[attr-defined]
    if adoption is not None and adoption.is_published and adoption.procedure.is_active \
            and adoption.procedure.channel == Channel.COUNTER:
        info = Unavailable(
            title=_("This procedure is done at the counter"),
            reason=_("%(commune)s does not take this request online: go to the counter of the department below "
                     "with the documents listed on the procedure's page.") % {"commune": commune.name},
            procedure=adoption.procedure, department=adoption.department.name,
        )
    else:
        info = Unavailable(
            title=_("This procedure is not offered here"),
            reason=_("%(commune)s does not offer this procedure on its site. See the procedures it offers.")
            % {"commune": commune.name},
            procedure=None,
        )
    return render(request, "cases/unavailable.html", {"info": info}, status=404)


# --- new request and drafts -------------------------------------------------------------------------------------


@never_cache
@GET_POST
@login_required
def start(request: HttpRequest, slug: str) -> HttpResponse:
    adoption = _published_adoption(slug)
    if adoption is None or adoption.procedure.channel == Channel.COUNTER:
        return _unavailable(request, slug)
    return _request_form(request, adoption, draft=None)


@never_cache
@GET_POST
@login_required
def draft(request: HttpRequest, pk: int) -> HttpResponse:
    if pk > MAX_ID:
        raise Http404
    try:
        current = selectors.get_draft_for_citizen(request, pk)
    except Http404:
        if request.method == "POST":
            done = _submitted_from_draft(request, pk)
            if done is not None:
                return redirect("cases:receipt", reference=done.reference)
        raise
    if request.method == "POST" and request.POST.get("action") == "discard":
        services.draft_discard(commune=request.commune, citizen=request.user, draft=current)  # type: ignore[attr-defined, arg-type]
        messages.success(request, _("The draft was deleted."))
        return redirect("cases:mine")
    adoption = current.procedure
    if adoption is None or not adoption.is_published or not adoption.procedure.is_active \
            or adoption.procedure.channel == Channel.COUNTER:
        return render(request, "cases/draft_unavailable.html", {"draft": current}, status=404)
    return _request_form(request, adoption, draft=current)


def _remembered_draft(request: HttpRequest, key: str) -> Case | None:
    pk = request.session.get(DRAFT_KEYS_SESSION, {}).get(key)
    if not isinstance(pk, int):
        return None
    return Case.objects.filter(pk=pk, citizen=request.user, state=CaseState.DRAFT).first()


def _remember_draft(request: HttpRequest, key: str, pk: int) -> None:
    keys = dict(request.session.get(DRAFT_KEYS_SESSION, {}))
    keys[key] = pk
    request.session[DRAFT_KEYS_SESSION] = dict(list(keys.items())[-DRAFT_KEYS_KEPT:])


def _request_form(request: HttpRequest, adoption: CommuneProcedure, *, draft: Case | None) -> HttpResponse:
    stored = _stored_files(draft) if draft is not None else {}
    initial = _answers_initial(draft) if draft is not None else None
    files_lost = False
    if request.method == "POST":
        action = request.POST.get("action", "submit")
        partial = action == "draft"
        key = _submission_key(request.POST.get("submission_key"))
        form = formdef.build_form(adoption, data=request.POST, files=request.FILES, initial=initial,
                                  stored_files=stored.keys(), partial=partial)
        if draft is None and partial:
            draft = _remembered_draft(request, key)
        if form.is_valid():
            try:
                if partial:
                    saved = services.draft_save(
                        commune=request.commune, citizen=request.user,  # type: ignore[attr-defined, arg-type]
                        procedure=adoption, data=form.raw_answers(), files=form.uploads(), draft=draft,
                    )
                else:
                    case = services.case_submit(
                        commune=request.commune, procedure=adoption,  # type: ignore[attr-defined]
                        data=form.raw_answers(), files=form.uploads(), citizen=request.user,  # type: ignore[arg-type]
                        submission_key=key, draft=draft, language=get_language(),
                    )
            except ValidationError as error:
                _add_errors(form, error)
            except (TransitionNotAllowed, services.StaleCase) as error:
                messages.error(request, getattr(error, "message", "") or _stale_message())
                return redirect("cases:mine")
            else:
                if partial:
                    _remember_draft(request, key, saved.pk)
                    messages.success(request, _("Your draft was saved. You can come back to it from “My "
                                                "requests”; it is not sent to the commune until you submit it."))
                    return redirect("cases:draft", pk=saved.pk)
                messages.success(request, _("Your request was sent. Keep this receipt."))
                return redirect("cases:receipt", reference=case.reference)
        files_lost = bool(request.FILES)
    else:
        key = _new_submission_key()
        form = formdef.build_form(adoption, initial=initial, stored_files=stored.keys())
    other_drafts: list[Case] = []
    if draft is None:
        other_drafts = list(Case.objects.for_citizen(request.user).filter(
            state=CaseState.DRAFT, procedure=adoption).order_by("-updated_at", "-id")[:3])
    return render(request, "cases/request_form.html", {
        "other_drafts": other_drafts,
        "adoption": adoption,
        "procedure": adoption.procedure,
        "form": form,
        **_fields_context(form, stored),
        "submission_key": key,
        "draft": draft,
        "stored": stored,
        "files_lost": files_lost,
    }, status=400 if request.method == "POST" else 200)


def _fields_context(form: forms.Form, stored: dict[str, Attachment]) -> dict[str, Any]:
    """The form's fields with the file already stored for each (a draft's or a case's file counts as present)."""
    rows = [{"field": form[name], "stored": stored.get(name), "is_document": name.startswith(
        formdef.DOCUMENT_PREFIX)} for name in form.fields]
    return {"fields": rows, "has_documents": any(row["is_document"] for row in rows)}


# --- my requests --------------------------------------------------------------------------------------------------


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@never_cache
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    before = _cursor(request.GET.get("before"))
    cases = (
        Case.objects.submitted().for_citizen(request.user).for_list()
        .order_by("-id")
    )
    if before is not None:
        cases = cases.filter(id__lt=before)
    page = list(cases[:MINE_PAGE_SIZE + 1])
    older = page[MINE_PAGE_SIZE - 1].pk if len(page) > MINE_PAGE_SIZE else None
    page = page[:MINE_PAGE_SIZE]
    from jamaa.complaints.selectors import complaint_summaries

    complaints = complaint_summaries(page)  # a complaint has no procedure: its category and its own states
    drafts: list[Case] = []
    if before is None:
        drafts = list(
            Case.objects.for_citizen(request.user).filter(state=CaseState.DRAFT).for_list()
            .order_by("-updated_at", "-id")[:MINE_MAX_DRAFTS]
        )
    return render(request, "cases/mine.html", {
        "drafts": drafts,
        "rows": [{"case": case, "tone": STATE_TONES.get(case.state, "neutral"), "next": next_step(case),
                  "running": case.state in RUNNING_STATES, "complaint": complaints.get(case.pk)} for case in page],
        "older": older,
        "is_first_page": before is None,
        "newest": before is not None,
    })


# --- one request --------------------------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    citizen_moves = {t.name for t in available(case.state, Actor.CITIZEN)}
    case_messages = list(
        CaseMessage.objects.filter(case=case).order_by("created_at", "id")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "id")))
    )
    return {
        "case": case,
        "procedure": case.procedure.procedure if case.procedure else None,
        "tone": STATE_TONES.get(case.state, "neutral"),
        "next": next_step(case),
        "deadline": deadline_text(case),
        "events": _public_events(case),
        "case_messages": case_messages,
        "files": list(Attachment.objects.filter(case=case, message__isnull=True, is_current=True)),
        "answers": formdef.display_answers(case.procedure, case.data, _protected(case)) if case.procedure else [],
        "missing": _missing_items(case) if case.state == CaseState.RETURNED else [],
        "can_withdraw": "withdraw" in citizen_moves,
        "can_complete": "complete" in citizen_moves,
        "can_rate": case.state in RATEABLE_STATES and case.rating is None,
        "can_message": case.state not in (CaseState.WITHDRAWN, CaseState.CLOSED),
    }


def _render_detail(request: HttpRequest, case: Case, *, message_form: MessageForm | None = None,
                   rating_form: RatingForm | None = None, status: int = 200) -> HttpResponse:
    context = _detail_context(request, case)
    context["message_form"] = message_form or MessageForm()
    context["rating_form"] = rating_form or RatingForm()
    return render(request, "cases/detail.html", context, status=status)


@never_cache
@login_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_citizen(request, reference)
    if case.kind == CaseKind.COMPLAINT:
        return redirect("reports:detail", reference=case.reference)
    return _render_detail(request, case)


@never_cache
@GET_POST
@login_required
def complete(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_citizen(request, reference)
    if case.state != CaseState.RETURNED or case.procedure is None:
        messages.info(request, _("This request is not waiting for you to complete it."))
        return redirect("cases:detail", reference=case.reference)
    stored = _stored_files(case)
    initial = _answers_initial(case)
    files_lost = False
    if request.method == "POST":
        form = formdef.build_form(case.procedure, data=request.POST, files=request.FILES, initial=initial,
                                  stored_files=stored.keys())
        extras = CompletionForm(request.POST)
        if not extras.is_valid():
            messages.error(request, _stale_message())
            return redirect("cases:detail", reference=case.reference)
        if form.is_valid():
            try:
                services.case_complete(
                    case=case, citizen=request.user, data=form.raw_answers(),  # type: ignore[arg-type]
                    files=form.uploads(), public_text=extras.cleaned_data["note"],
                    expected_version=extras.cleaned_data["expected_version"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            except services.StaleCase:
                messages.error(request, _stale_message())
                return redirect("cases:detail", reference=case.reference)
            except TransitionNotAllowed as error:
                messages.error(request, error.message)
                return redirect("cases:detail", reference=case.reference)
            else:
                messages.success(request, _("Your completed request was sent to the commune. The deadline runs "
                                            "again from today."))
                return redirect("cases:detail", reference=case.reference)
        files_lost = bool(request.FILES)
    else:
        form = formdef.build_form(case.procedure, initial=initial, stored_files=stored.keys())
        extras = CompletionForm(initial={"expected_version": case.version})
    return render(request, "cases/complete.html", {
        "case": case,
        "procedure": case.procedure.procedure,
        "form": form,
        "extras": extras,
        **_fields_context(form, stored),
        "missing": _missing_items(case),
        "files_lost": files_lost,
    }, status=400 if request.method == "POST" else 200)


@never_cache
@GET_POST
@login_required
def withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_citizen(request, reference)
    if "withdraw" not in {t.name for t in available(case.state, Actor.CITIZEN)}:
        messages.error(request, _("This request can no longer be withdrawn."))
        return redirect("cases:detail", reference=case.reference)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.case_transition(
                    case=case, name="withdraw", actor=request.user, by_staff=False,  # type: ignore[arg-type]
                    public_text=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["expected_version"],
                )
            except services.StaleCase:
                messages.error(request, _stale_message())
            except TransitionNotAllowed as error:
                messages.error(request, error.message)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Your request was withdrawn. The commune will not process it."))
            return redirect("cases:detail", reference=case.reference)
        if "expected_version" in form.errors:
            messages.error(request, _stale_message())
            return redirect("cases:detail", reference=case.reference)
    else:
        form = WithdrawForm(initial={"expected_version": case.version})
    return render(request, "cases/withdraw.html", {"case": case, "form": form},
                  status=400 if request.method == "POST" else 200)


@never_cache
@require_POST
@login_required
def message(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_citizen(request, reference)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            services.message_post(
                case=case, author=request.user, body=form.cleaned_data["body"],  # type: ignore[arg-type]
                by_staff=False, files=[("file", upload)] if upload else [],
            )
        except ValidationError as error:
            _add_errors(form, error)
        except TransitionNotAllowed as error:
            messages.error(request, error.message)
            return redirect("cases:detail", reference=case.reference)
        else:
            messages.success(request, _("Your message was sent to the commune."))
            return redirect(reverse("cases:detail", kwargs={"reference": case.reference}) + "#messages")
    return _render_detail(request, case, message_form=form, status=400)


@never_cache
@require_POST
@login_required
def rate(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_citizen(request, reference)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.case_rate(case=case, citizen=request.user,  # type: ignore[arg-type]
                               rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"])
        except ValidationError as error:
            _add_errors(form, error)
        except TransitionNotAllowed as error:
            messages.error(request, error.message)
            return redirect("cases:detail", reference=case.reference)
        else:
            messages.success(request, _("Thank you for rating the service."))
            return redirect("cases:detail", reference=case.reference)
    return _render_detail(request, case, rating_form=form, status=400)


# --- receipt and files --------------------------------------------------------------------------------------------


@never_cache
@login_required
def receipt(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case_for_citizen(request, reference)
    return render(request, "cases/receipt.html", {
        "case": case,
        "procedure": case.procedure.procedure if case.procedure else None,
        "deadline": deadline_text(case),
        "tracking_code": grouped_code(case.tracking_code),
    })


@never_cache
@login_required
def receipt_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    from jamaa.cases.receipt import render_receipt_pdf

    case = selectors.get_case_for_citizen(request, reference)
    pdf = render_receipt_pdf(case, language=get_language() or "ar")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"{case.reference}-receipt.pdf")
    return response


@never_cache
@login_required
def attachment(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    from jamaa.cases.attachments import attachment_response

    case = selectors.get_case_for_citizen(request, reference)
    found = Attachment.objects.filter(case=case, token=token).first()
    if found is None:
        raise Http404
    return attachment_response(found)


# --- following a case without an account ----------------------------------------------------------------------


def _track_ip_key(request: HttpRequest) -> str:
    return f"jamaa:cases:track-failures:{client_ip(request) or 'unknown'}"


def _track_session_failures(request: HttpRequest) -> list[float]:
    now = time.time()
    raw = request.session.get(TRACK_FAILURES_SESSION, [])
    return [t for t in raw if isinstance(t, (int, float)) and now - t < TRACK_WINDOW_SECONDS] \
        if isinstance(raw, list) else []


def _track_blocked(request: HttpRequest) -> bool:
    if len(_track_session_failures(request)) >= TRACK_SESSION_LIMIT:
        return True
    return int(cache.get(_track_ip_key(request), 0) or 0) >= TRACK_IP_LIMIT


def _track_failed(request: HttpRequest) -> None:
    request.session[TRACK_FAILURES_SESSION] = [*_track_session_failures(request), time.time()]
    key = _track_ip_key(request)
    cache.add(key, 0, TRACK_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, TRACK_WINDOW_SECONDS)


def _tracked_entry(request: HttpRequest, reference: str) -> str:
    return f"{request.commune.pk}:{reference}"  # type: ignore[attr-defined]


@never_cache
@GET_POST
@commune_required
def track(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        if _track_blocked(request):
            form.is_valid()
            form.add_error(None, _("Too many wrong attempts. Wait 15 minutes, then try again with the reference "
                                   "and the code printed on your receipt."))
            status = 429
        elif form.is_valid():
            case = selectors.get_case_by_tracking_code(form.cleaned_data["reference"], form.cleaned_data["code"])
            if case is not None:
                entries = [e for e in request.session.get(TRACKED_SESSION, []) if isinstance(e, str)]
                entry = _tracked_entry(request, case.reference)
                request.session[TRACKED_SESSION] = [*[e for e in entries if e != entry], entry][-TRACKED_KEPT:]
                return redirect("cases:tracked", reference=case.reference)
            _track_failed(request)
            form.add_error(None, _("No request matches this reference and code. Check both on your receipt."))
            status = 400
        else:
            status = 400
    else:
        form = TrackForm()
    return render(request, "cases/track.html", {"form": form}, status=status)


@never_cache
@commune_required
def tracked(request: HttpRequest, reference: str) -> HttpResponse:
    reference = normalise_reference(reference)
    if _tracked_entry(request, reference) not in request.session.get(TRACKED_SESSION, []):
        raise Http404
    case = Case.objects.submitted().select_related("procedure__procedure").filter(reference=reference).first()
    if case is None:
        raise Http404
    if case.kind == CaseKind.COMPLAINT:
        return redirect("reports:detail", reference=case.reference)
    return render(request, "cases/tracked.html", {
        "case": case,
        "procedure": case.procedure.procedure if case.procedure else None,
        "tone": STATE_TONES.get(case.state, "neutral"),
        "deadline": deadline_text(case),
        "events": _public_events(case),
    })
