"""Every write on a case. Keyword-only, typed, atomic; each state move goes through `workflow.find()`, adds a
timeline event, bumps `Case.version`, notifies the applicant in their language through the outbox and writes the
audit entry in the same transaction.

Errors the caller shows to the user:
- `django.core.exceptions.ValidationError` (message_dict keyed by form field name / `doc__<code>` / `__all__`) for
  bad input: invalid answers, a missing required document, a file that lies about its type or is too large, a
  message on a closed request, a second rating;
- `workflow.TransitionNotAllowed` for a move that is not allowed (including a second return for completion);
- `StaleCase` when `expected_version` is given and the case changed since the form was opened;
- `django.core.exceptions.PermissionDenied` when the person may not act on the case at all (another commune's
  staff, leadership (read-only), an agent of another department, a citizen who is not the applicant). Views fetch
  and authorise first, so this is a second line of defence.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jamaa.cases import workflow
from jamaa.cases.attachments import CheckedUpload, check_upload, private_storage
from jamaa.cases.models import Attachment, Case, CaseChannel, CaseEvent, CaseKind, CaseMessage, CaseState, EventKind
from jamaa.cases.references import allocate_reference, display_tracking_code, new_tracking_code
from jamaa.catalog import formdef
from jamaa.catalog.models import Channel as ProcedureChannel
from jamaa.catalog.models import CommuneProcedure
from jamaa.core import audit, calendar
from jamaa.core.identifiers import normalize_moroccan_mobile
from jamaa.core.models import Arrondissement, Commune, Language, Membership, Role, User
from jamaa.notifications.services import notify_applicant

DOC = formdef.DOCUMENT_PREFIX
MESSAGE_MAX_LENGTH = 5000
TEXT_MAX_LENGTH = 5000


class StaleCase(Exception):
    """The case changed since the form was opened (someone else acted on it, or the form was sent twice)."""


# Files as the forms and the API hand them over: (field name or "doc__<document code>", uploaded file).
Files = Sequence[tuple[str, UploadedFile]]


# --- who may act ------------------------------------------------------------------------------------------------


def _membership(commune_id: int, user: User | None) -> Membership | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return (
        Membership.all_communes.select_related("department")
        .filter(commune_id=commune_id, user=user, is_active=True, accepted_at__isnull=False)
        .first()
    )


def _acts_for_department(membership: Membership | None, department_id: int | None) -> bool:
    """Administrators act on every case of their commune; agents and heads on their department's; leadership reads."""
    if membership is None:
        return False
    if membership.role == Role.ADMIN:
        return True
    return (membership.role in (Role.AGENT, Role.HEAD) and membership.department_id is not None
            and membership.department_id == department_id)


def _require_staff(case: Case, actor: User | None) -> Membership:
    membership = _membership(case.commune_id, actor)
    if not _acts_for_department(membership, case.department_id):
        raise PermissionDenied(_("Your role does not allow you to act on this request."))
    assert membership is not None
    return membership


def _require_applicant(case: Case, citizen: User | None) -> User:
    if citizen is None or case.citizen_id is None or case.citizen_id != citizen.pk:
        raise PermissionDenied(_("Only the applicant can do this."))
    return citizen


# --- helpers ----------------------------------------------------------------------------------------------------


def _lock(case: Case) -> Case:
    """The case's row, locked until the end of the transaction (PostgreSQL; SQLite transactions are serialised)."""
    return (
        Case.all_communes.select_for_update(of=("self",))
        .select_related("commune", "procedure__procedure", "citizen")
        .get(pk=case.pk)
    )


def _sync(target: Case, source: Case) -> Case:
    """Bring the caller's instance up to date with the saved one (callers keep using the object they passed)."""
    if target is not source:
        target.refresh_from_db()
    return target


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise StaleCase


def _language(value: str | None) -> str:
    code = (value or "").split("-")[0].lower()
    return code if code in Language.values else Language.ARABIC


def _applicant_language(case: Case) -> str:
    return _language(case.citizen.language if case.citizen is not None else case.language)


def _in_case_language(case: Case, text: Any) -> str:
    with translation.override(case.language):
        return str(text)


def _procedure_in_commune(commune: Commune, procedure: CommuneProcedure) -> CommuneProcedure:
    """The commune's published adoption, freshly read (never another commune's, never an unpublished one)."""
    found = (
        CommuneProcedure.all_communes.select_related("procedure", "department")
        .filter(pk=procedure.pk, commune=commune, is_published=True, procedure__is_active=True)
        .first()
    )
    if found is None:
        raise ValidationError({"__all__": [_("This procedure is not offered by this commune.")]})
    return found


def _file_keys(procedure: CommuneProcedure) -> set[str]:
    definition = procedure.procedure.form_definition if isinstance(procedure.procedure.form_definition, list) else []
    keys = {spec.get("name", "") for spec in definition if isinstance(spec, dict) and spec.get("type") == "file"}
    keys |= {f"{DOC}{code}" for code in procedure.procedure.documents.values_list("code", flat=True)}
    return keys


def _check_files(files: Files, allowed: set[str] | None) -> tuple[list[tuple[str, CheckedUpload]], dict[str, list]]:
    checked: list[tuple[str, CheckedUpload]] = []
    errors: dict[str, list[ValidationError]] = {}
    for key, upload in files:
        if upload is None:
            continue
        if allowed is not None and key not in allowed:
            errors.setdefault(key, []).append(
                ValidationError(_("This procedure does not ask for this file."), code="unknown_file"))
            continue
        try:
            checked.append((key, check_upload(upload)))
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.error_list)
    return checked, errors


def _current_file_keys(case: Case | None) -> set[str]:
    if case is None or case.pk is None:
        return set()
    rows = Attachment.all_communes.filter(case=case, message__isnull=True, is_current=True).values_list(
        "field_name", "document_code")
    return {f"{DOC}{code}" if code else field for field, code in rows}


def _store_files(
    case: Case, checked: Sequence[tuple[str, CheckedUpload]], *, uploader: User | None, by_staff: bool,
    message: CaseMessage | None = None,
) -> list[Attachment]:
    stored: list[Attachment] = []
    now = timezone.now()
    for key, upload in checked:
        field_name, document_code = ("", key[len(DOC):]) if key.startswith(DOC) else (key, "")
        if message is None:
            # A new file for the same field replaces the previous one, which stays on record.
            Attachment.all_communes.filter(case=case, message__isnull=True, field_name=field_name,
                                           document_code=document_code, is_current=True).update(is_current=False)
        attachment = Attachment(
            commune_id=case.commune_id, case=case, message=message,
            field_name="" if message is not None else field_name, document_code=document_code,
            token=secrets.token_hex(16), original_name=upload.original_name, content_type=upload.content_type,
            size=upload.size, sha256=upload.sha256, uploaded_by=uploader, by_staff=by_staff, created_at=now,
        )
        attachment.file.save(upload.original_name, ContentFile(upload.content), save=False)
        written = _written_files.get()
        if written is not None:
            written.append(attachment.file.name)
        attachment.save()
        stored.append(attachment)
    return stored


# Files written during the current service call: removed if its transaction fails (see `_files_cleanup`).
_written_files: ContextVar[list[str] | None] = ContextVar("jamaa_case_written_files", default=None)


def _answers(
    procedure: CommuneProcedure, data: Mapping[str, Any], *, present: set[str], partial: bool,
    file_errors: dict[str, list],
) -> formdef.CleanAnswers:
    """The cleaned answers; the answers' errors and the files' errors together, so the person sees all at once."""
    errors: dict[str, list] = {key: list(value) for key, value in file_errors.items()}
    cleaned = formdef.CleanAnswers()
    try:
        cleaned = formdef.clean_answers(procedure, data, present_files=present, partial=partial)
    except ValidationError as exc:
        for key, messages in exc.error_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.error_list)]:
            # A file that was sent but refused is reported once, with its own reason.
            if key in errors:
                continue
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _store_answers(case: Case, cleaned: formdef.CleanAnswers) -> None:
    case.data = cleaned.data
    case.protected_data = json.dumps(cleaned.protected, ensure_ascii=False) if cleaned.protected else ""
    arrondissement_id = cleaned.arrondissement_id
    if arrondissement_id is not None and not Arrondissement.all_communes.filter(
            pk=arrondissement_id, commune_id=case.commune_id).exists():
        arrondissement_id = None
    case.arrondissement_id = arrondissement_id


def _event(
    case: Case, *, kind: str, actor: User | None, by_staff: bool, public_text: str = "", internal_note: str = "",
    from_state: str = "", to_state: str = "", is_public: bool = True,
) -> CaseEvent:
    return CaseEvent.all_communes.create(
        commune_id=case.commune_id, case=case, kind=kind, from_state=from_state, to_state=to_state, actor=actor,
        by_staff=by_staff, public_text=public_text, internal_note=internal_note if by_staff else "",
        is_public=is_public, created_at=timezone.now(),
    )


def _link(case: Case, language: str) -> str:
    """Where the applicant follows the case: their request page, or the tracking form without an account."""
    with translation.override(language):
        try:
            if case.citizen_id is not None:
                path = reverse("cases:detail", kwargs={"reference": case.reference})
            else:
                path = reverse("cases:track")
        except NoReverseMatch:
            path = "/"
    return case.commune.absolute_url(path)


def _notify(case: Case, template: str, **extra: Any) -> None:
    """Tell the applicant, in their language, through the outbox (in the caller's transaction)."""
    language = _applicant_language(case)
    context: dict[str, Any] = {
        "case": case, "reference": case.reference, "procedure": case.procedure, "due_date": case.due_date,
        "link": _link(case, language), **extra,
    }
    notify_applicant(citizen=case.citizen, phone=case.applicant_phone, email=case.applicant_email,
                     language=language, template=template, context=context, commune=case.commune)


def _audit(case: Case, action: str, actor: User | None, **details: Any) -> None:
    audit.record(action=action, commune=case.commune, actor=actor, target=case,
                 target_label=case.reference or str(case), subject=case.citizen,
                 details={"reference": case.reference, **details})


# --- drafts -----------------------------------------------------------------------------------------------------


def draft_save(
    *, commune: Commune, citizen: User, procedure: CommuneProcedure, data: Mapping[str, Any], files: Files = (),
    draft: Case | None = None,
) -> Case:
    """Create or update the citizen's draft (no validation of required answers: a draft may be incomplete; files
    are still checked). Returns the draft."""
    with _files_cleanup(), transaction.atomic():
        procedure = _procedure_in_commune(commune, procedure)
        if draft is not None:
            draft = _lock(draft)
            _require_applicant(draft, citizen)
            if draft.commune_id != commune.pk or draft.procedure_id != procedure.pk:
                raise PermissionDenied(_("This draft belongs to another procedure."))
            if draft.state != CaseState.DRAFT:
                raise workflow.TransitionNotAllowed(_("This request was already submitted."))
        checked, file_errors = _check_files(files, _file_keys(procedure))
        present = _current_file_keys(draft) | {key for key, _upload in checked}
        cleaned = _answers(procedure, data, present=present, partial=True, file_errors=file_errors)
        case = draft or Case(commune=commune, procedure=procedure, citizen=citizen, state=CaseState.DRAFT,
                             department_id=procedure.department_id, language=_language(citizen.language),
                             channel=CaseChannel.ONLINE)
        _store_answers(case, cleaned)
        if draft is not None:
            case.version += 1
        case.save()
        _store_files(case, checked, uploader=citizen, by_staff=False)
        _audit(case, "case.draft_saved", citizen, procedure=procedure.procedure.slug)
        return case


def draft_discard(*, commune: Commune, citizen: User, draft: Case) -> None:
    with transaction.atomic():
        draft = _lock(draft)
        _require_applicant(draft, citizen)
        if draft.commune_id != commune.pk:
            raise PermissionDenied(_("This draft belongs to another commune."))
        if draft.state != CaseState.DRAFT:
            raise workflow.TransitionNotAllowed(_("This request was already submitted: it is no longer a draft."))
        names = list(Attachment.all_communes.filter(case=draft).values_list("file", flat=True))
        _audit(draft, "case.draft_discarded", citizen)
        draft.delete()
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: Sequence[str]) -> None:
    for name in names:
        if name:
            private_storage.delete(name)


@contextmanager
def _files_cleanup() -> Iterator[None]:
    """Files written by a service whose transaction then failed are removed (their rows never existed)."""
    written: list[str] = []
    token = _written_files.set(written)
    try:
        yield
    except BaseException:
        _delete_files(written)
        raise
    finally:
        _written_files.reset(token)


# --- submission -------------------------------------------------------------------------------------------------


def _key(raw: str) -> str:
    """The idempotency key as stored (64 characters at most: a longer key is stored as its SHA-256)."""
    key = (raw or "").strip()
    return key if len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()


def _existing_by_key(commune: Commune, citizen: User | None, key: str) -> Case | None:
    """The case already submitted with this key: the citizen's (any commune), or for a counter request without an
    account, the commune's counter case (constraint `case_counter_submission_key_unique`)."""
    if not key:
        return None
    if citizen is None:
        return Case.all_communes.filter(commune=commune, citizen__isnull=True, submission_key=key).exclude(
            state=CaseState.DRAFT).first()
    return Case.all_communes.filter(citizen=citizen, submission_key=key).exclude(state=CaseState.DRAFT).first()


def case_submit(
    *, commune: Commune, procedure: CommuneProcedure, data: Mapping[str, Any], files: Files = (),
    citizen: User | None, channel: str = CaseChannel.ONLINE, submission_key: str = "", draft: Case | None = None,
    applicant_name: str = "", applicant_phone: str = "", applicant_email: str = "", language: str | None = None,
    actor: User | None = None,
) -> Case:
    """Validate the answers with the procedure's form definition and the required documents (a draft's stored files
    count), allocate the reference, compute the due date, create the tracking code, add the timeline event, notify
    the applicant (receipt) and return the case. Idempotent: the same (citizen, submission_key), the same (commune,
    submission_key) for a counter request without an account, or a draft already submitted, returns the existing
    case instead of creating a second one. `actor` is the member of staff who
    files a counter request for an applicant without an account."""
    submission_key = _key(submission_key)
    existing = _existing_by_key(commune, citizen, submission_key)
    if existing is not None:
        return existing
    try:
        with _files_cleanup(), transaction.atomic():
            return _submit(
                commune=commune, procedure=procedure, data=data, files=files, citizen=citizen, channel=channel,
                submission_key=submission_key, draft=draft, applicant_name=applicant_name,
                applicant_phone=applicant_phone, applicant_email=applicant_email, language=language, actor=actor,
            )
    except IntegrityError:
        # The same form sent twice at the same moment: the other request created the case first.
        existing = _existing_by_key(commune, citizen, submission_key)
        if existing is None:
            raise
        return existing


def _submit(
    *, commune: Commune, procedure: CommuneProcedure, data: Mapping[str, Any], files: Files, citizen: User | None,
    channel: str, submission_key: str, draft: Case | None, applicant_name: str, applicant_phone: str,
    applicant_email: str, language: str | None, actor: User | None,
) -> Case:
    procedure = _procedure_in_commune(commune, procedure)
    if draft is not None:
        draft = _lock(draft)
        _require_applicant(draft, citizen)
        if draft.state != CaseState.DRAFT:
            return draft  # already submitted (a form sent twice)
        if draft.commune_id != commune.pk or draft.procedure_id != procedure.pk:
            raise PermissionDenied(_("This draft belongs to another procedure."))

    staff_member: User | None = None
    if citizen is None:
        if channel != CaseChannel.COUNTER:
            raise ValidationError({"__all__": [_("A request without an account is filed at the counter.")]})
        if not _acts_for_department(_membership(commune.pk, actor), procedure.department_id):
            raise PermissionDenied(_("Your role does not allow you to file this request."))
        staff_member = actor
        errors: dict[str, list[str]] = {}
        applicant_name = " ".join(applicant_name.split())[:150]
        if not applicant_name:
            errors["applicant_name"] = [_("Enter the applicant's name.")]
        try:
            applicant_phone = normalize_moroccan_mobile(applicant_phone or "")
        except ValidationError as exc:
            errors["applicant_phone"] = list(exc.messages)
        if errors:
            raise ValidationError(errors)
    else:
        if channel == CaseChannel.COUNTER:
            if not _acts_for_department(_membership(commune.pk, actor), procedure.department_id):
                raise PermissionDenied(_("Your role does not allow you to file this request."))
            staff_member = actor
        elif procedure.procedure.channel == ProcedureChannel.COUNTER:
            raise ValidationError({"__all__": [_("This procedure is requested at the commune's counter.")]})
        applicant_name = applicant_name or citizen.full_name

    checked, file_errors = _check_files(files, _file_keys(procedure))
    present = _current_file_keys(draft) | {key for key, _upload in checked}
    cleaned = _answers(procedure, data, present=present, partial=False, file_errors=file_errors)

    now = timezone.now()
    language = _language(language or (citizen.language if citizen is not None else None) or translation.get_language())
    case = draft or Case(commune=commune, procedure=procedure, citizen=citizen, state=CaseState.DRAFT)
    case.commune = commune
    case.procedure = procedure
    case.channel = channel if channel in CaseChannel.values else CaseChannel.ONLINE
    case.applicant_name = applicant_name
    case.applicant_phone = applicant_phone if citizen is None else ""
    case.applicant_email = applicant_email.strip() if citizen is None else ""
    case.language = language
    case.department_id = procedure.department_id
    _store_answers(case, cleaned)
    case.deadline_amount = procedure.effective_deadline_amount
    case.deadline_unit = procedure.effective_deadline_unit
    case.legal_basis = procedure.procedure.tr("legal_basis", language)
    case.silence_means_approval = procedure.procedure.silence_means_approval
    case.submitted_at = now
    case.due_date = calendar.due_date(commune, now, case.deadline_amount, case.deadline_unit)
    case.tracking_code = new_tracking_code()
    case.submission_key = submission_key
    case.state = CaseState.SUBMITTED
    if case.pk is not None:
        case.version += 1
    case.full_clean(exclude=["procedure", "citizen", "department", "arrondissement", "commune", "assigned_to",
                             "data", "protected_data", "tracking_code", "return_missing"],
                    validate_unique=False, validate_constraints=False)
    # The number is taken in the savepoint that saves the case: a duplicate submission gives it back.
    with transaction.atomic():
        reference = allocate_reference(commune=commune, at=now)
        case.year, case.number, case.reference = reference.year, reference.number, reference.text
        case.save()

    by_staff = staff_member is not None
    _store_files(case, checked, uploader=citizen or staff_member, by_staff=by_staff)
    _event(case, kind=EventKind.TRANSITION, actor=citizen or staff_member, by_staff=by_staff,
           from_state=CaseState.DRAFT, to_state=CaseState.SUBMITTED,
           public_text=_in_case_language(case, gettext_lazy("Request received.")))
    _notify(case, "case_submitted", tracking_code=display_tracking_code(case.tracking_code))
    _audit(case, "case.submitted", citizen or staff_member, procedure=procedure.procedure.slug, channel=case.channel)
    return case


# --- state moves ------------------------------------------------------------------------------------------------

def _default_text(name: str) -> Any:
    # Listed so that makemessages finds them; translated in the case's language when stored.
    texts = {
        "start_review": gettext_lazy("Your request is being reviewed."),
        "approve": gettext_lazy("Your request is approved."),
        "issue_act": gettext_lazy("The act you asked for is issued."),
        "close": gettext_lazy("Your request is closed."),
        "withdraw": gettext_lazy("You withdrew your request."),
    }
    return texts.get(name, "")


def _clean_text(text: str) -> str:
    return (text or "").strip()[:TEXT_MAX_LENGTH]


def case_transition(
    *, case: Case, name: str, actor: User | None, by_staff: bool, public_text: str = "", internal_note: str = "",
    expected_version: int | None = None, missing: Sequence[str] = (),
) -> Case:
    """Apply a named move of `workflow.TRANSITIONS` (staff moves: start_review, return, approve, reject, issue_act,
    close; citizen: withdraw). `return` needs `missing` (everything the citizen must add) and happens at most once;
    `reject` needs `public_text` (the reasons)."""
    if name in ("submit", "complete"):
        raise workflow.TransitionNotAllowed(_("This action does not exist."))
    with transaction.atomic():
        locked = _lock(case)
        # Who acts is checked first: someone who may not act learns nothing about the request's state.
        if by_staff:
            _require_staff(locked, actor)
        else:
            _require_applicant(locked, actor)
            internal_note = ""
        if locked.kind == CaseKind.COMPLAINT:
            # A complaint moves through its own workflow (jamaa.complaints), which keeps this case in step.
            raise workflow.TransitionNotAllowed(_("This action does not exist."))
        move = workflow.find(name, locked.state, workflow.Actor.STAFF if by_staff else workflow.Actor.CITIZEN)
        _check_version(locked, expected_version)
        public_text = _clean_text(public_text)
        internal_note = _clean_text(internal_note)
        now = timezone.now()
        details: dict[str, Any] = {}
        if move.name == "return":
            if locked.returned_at is not None:
                raise workflow.TransitionNotAllowed(_(
                    "This request was already returned for completion once; Law 55-19 allows a single return. "
                    "Decide on the file as it is."))
            items = [" ".join(str(item).split()) for item in missing]
            items = [item[:300] for item in items if item]
            if not items:
                raise ValidationError({"missing": [_("List everything the applicant must add: a file can be "
                                                     "returned only once.")]})
            locked.return_missing = items
            locked.returned_at = now
            with translation.override(locked.language):
                listed = "\n".join(f"- {item}" for item in items)
                intro = _("Your request is returned for completion. Please add:")
                public_text = f"{public_text}\n\n{intro}\n{listed}" if public_text else f"{intro}\n{listed}"
            details["missing"] = len(items)
        elif move.name == "reject":
            if not public_text:
                raise ValidationError({"public_text": [_("Give the reasons for the rejection: the applicant must "
                                                         "know why (Law 55-19).")]})
            locked.rejection_reason = public_text
            locked.decided_at = now
        elif move.name == "approve":
            locked.decided_at = now
        elif move.name == "issue_act":
            locked.act_issued_at = now
            # The act itself: signed, rendered and sealed in this transaction (an error leaves the case approved).
            from jamaa.documents.issuance import IssueError, document_issue

            try:
                document = document_issue(case=locked, actor=actor, now=now)
            except IssueError as exc:
                raise workflow.TransitionNotAllowed(exc.message) from exc
            details["document"] = document.reference
        elif move.name == "close":
            locked.closed_at = now
        if not public_text:
            public_text = _in_case_language(locked, _default_text(move.name))
        from_state = locked.state
        locked.state = move.target
        locked.version += 1
        locked.save()
        _event(locked, kind=EventKind.TRANSITION, actor=actor, by_staff=by_staff, from_state=from_state,
               to_state=move.target, public_text=public_text, internal_note=internal_note)
        _notify(locked, f"case_{move.target}", public_text=public_text, missing=locked.return_missing)
        _audit(locked, f"case.{move.name}", actor, from_state=from_state, to_state=move.target, **details)
    return _sync(case, locked)


def record_document_revoked(*, case: Case, actor: User, reference: str, reason: str) -> None:
    """A document issued for `case` was revoked: a public timeline event with the reason, and the applicant is told
    (called by `jamaa.documents.issuance.document_revoke`, in its transaction)."""
    with translation.override(case.language):
        text = _("Document %(reference)s was revoked. Reason: %(reason)s") % {"reference": reference,
                                                                              "reason": reason}
    _event(case, kind=EventKind.DOCUMENT, actor=actor, by_staff=True, public_text=text)
    _notify(case, "document_revoked", public_text=text, document_reference=reference, reason=reason)


def _resumed_due_date(case: Case, completed_at: Any) -> date | None:
    """The deadline resumes with what was left of it when the case was returned, counted from the completion."""
    if case.due_date is None or case.returned_at is None or not case.deadline_unit:
        return case.due_date
    returned_on = calendar.local_date(case.returned_at)
    if case.deadline_unit == calendar.Unit.WORKING:
        remaining = calendar.working_days_between(case.commune, returned_on, case.due_date)
    else:
        remaining = (case.due_date - returned_on).days
    remaining = max(0, min(remaining, calendar.MAX_DAYS))
    resumed = calendar.due_date(case.commune, completed_at, remaining, case.deadline_unit)
    return max(resumed, calendar.local_date(completed_at))


def case_complete(
    *, case: Case, citizen: User, data: Mapping[str, Any], files: Files = (), public_text: str = "",
    expected_version: int | None = None,
) -> Case:
    """The citizen answers a return for completion: updated answers and documents; the deadline resumes with the
    working (or calendar) days that were left when it was returned."""
    with _files_cleanup(), transaction.atomic():
        locked = _lock(case)
        _require_applicant(locked, citizen)
        move = workflow.find("complete", locked.state, workflow.Actor.CITIZEN)
        _check_version(locked, expected_version)
        procedure = locked.procedure
        if procedure is None:
            raise workflow.TransitionNotAllowed(_("This request cannot be completed online."))
        checked, file_errors = _check_files(files, _file_keys(procedure))
        present = _current_file_keys(locked) | {key for key, _upload in checked}
        cleaned = _answers(procedure, data, present=present, partial=False, file_errors=file_errors)
        now = timezone.now()
        _store_answers(locked, cleaned)
        locked.completed_at = now
        locked.due_date = _resumed_due_date(locked, now)
        from_state = locked.state
        locked.state = move.target
        locked.version += 1
        locked.save()
        _store_files(locked, checked, uploader=citizen, by_staff=False)
        text = _clean_text(public_text)
        with translation.override(locked.language):
            received = _("Completed request received; the deadline runs again.")
        _event(locked, kind=EventKind.TRANSITION, actor=citizen, by_staff=False, from_state=from_state,
               to_state=move.target, public_text=f"{received}\n\n{text}" if text else received)
        _notify(locked, "case_completed")
        _audit(locked, "case.complete", citizen, from_state=from_state, to_state=move.target,
               files=len(checked), due_date=locked.due_date.isoformat() if locked.due_date else "")
    return _sync(case, locked)


def approve_overdue_by_silence(*, commune: Commune | None = None, today: date | None = None) -> int:
    """Mark approved every running case past its due date whose procedure says silence means approval; tell the
    citizen. Idempotent; returns how many cases it approved. `commune=None` sweeps every commune. `today` (the date
    in Morocco) is for tests."""
    today = today or calendar.local_date(timezone.now())
    candidates = Case.all_communes.filter(state__in=workflow.RUNNING_STATES, silence_means_approval=True,
                                          due_date__lt=today)
    if commune is not None:
        candidates = candidates.filter(commune=commune)
    approved = 0
    for pk in list(candidates.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            locked = _lock(Case(pk=pk))
            # Checked again under the lock: a member of staff may have decided in the meantime.
            if (locked.state not in workflow.RUNNING_STATES or not locked.silence_means_approval
                    or locked.due_date is None or locked.due_date >= today):
                continue
            move = workflow.find("approve_by_silence", locked.state, workflow.Actor.SYSTEM)
            from_state = locked.state
            locked.state = move.target
            locked.approved_by_silence = True
            locked.decided_at = timezone.now()
            locked.version += 1
            locked.save()
            public_text = _in_case_language(locked, gettext_lazy(
                "No decision was taken within the legal deadline: under Law 55-19, this silence means that your "
                "request is approved."))
            _event(locked, kind=EventKind.TRANSITION, actor=None, by_staff=False, from_state=from_state,
                   to_state=move.target, public_text=public_text)
            _notify(locked, "case_approved_by_silence", public_text=public_text)
            _audit(locked, "case.approve_by_silence", None, from_state=from_state, to_state=move.target,
                   due_date=locked.due_date.isoformat())
            approved += 1
    return approved


# --- assignment, messages, notes, rating ------------------------------------------------------------------------


def case_assign(*, cases: Sequence[Case], assignee: User | None, actor: User) -> int:
    """Assign (or unassign with None) cases to a member of staff of their department; returns how many changed."""
    changed = 0
    with transaction.atomic():
        for case in cases:
            locked = _lock(case)
            if locked.state == CaseState.DRAFT:
                raise PermissionDenied(_("A draft is not the commune's yet."))
            _require_staff(locked, actor)
            if assignee is not None:
                membership = _membership(locked.commune_id, assignee)
                if membership is None or membership.role == Role.LEADERSHIP or (
                        membership.role != Role.ADMIN and membership.department_id != locked.department_id):
                    raise ValidationError({"assignee": [_(
                        "%(name)s cannot handle this request: choose an active member of staff of its department."
                    ) % {"name": assignee.full_name or assignee.username}]})
            if locked.assigned_to_id == (assignee.pk if assignee else None):
                continue
            locked.assigned_to = assignee
            locked.version += 1
            locked.save(update_fields=["assigned_to", "version", "updated_at"])
            note = (_("Assigned to %(name)s.") % {"name": assignee.full_name or assignee.username}
                    if assignee else _("No longer assigned."))
            _event(locked, kind=EventKind.ASSIGNMENT, actor=actor, by_staff=True, internal_note=note,
                   is_public=False)
            _audit(locked, "case.assigned", actor, assignee=assignee.pk if assignee else None)
            _sync(case, locked)
            changed += 1
    return changed


MESSAGE_CLOSED_STATES = frozenset({CaseState.DRAFT, CaseState.WITHDRAWN, CaseState.CLOSED})


def message_post(
    *, case: Case, author: User | None, body: str, by_staff: bool, files: Files = (),
) -> CaseMessage:
    """A message on the case (from the citizen, or from staff: then the citizen is notified)."""
    with _files_cleanup(), transaction.atomic():
        locked = _lock(case)
        if by_staff:
            _require_staff(locked, author)
        else:
            _require_applicant(locked, author)
        if locked.state in MESSAGE_CLOSED_STATES:
            raise ValidationError({"__all__": [_(
                "Messages are closed on this request (%(state)s).") % {"state": CaseState(locked.state).label}]})
        body = (body or "").strip()
        checked, errors = _check_files(files, None)
        if not body and not files:
            errors.setdefault("body", []).append(ValidationError(_("Write a message."), code="required"))
        if len(body) > MESSAGE_MAX_LENGTH:
            errors.setdefault("body", []).append(ValidationError(
                _("A message has at most %(count)s characters.") % {"count": MESSAGE_MAX_LENGTH}, code="max_length"))
        if errors:
            raise ValidationError(errors)
        message = CaseMessage.all_communes.create(commune_id=locked.commune_id, case=locked, author=author,
                                                  from_staff=by_staff, body=body, created_at=timezone.now())
        _store_files(locked, checked, uploader=author, by_staff=by_staff, message=message)
        if by_staff:
            _notify(locked, "case_message", body=body)
        _audit(locked, "case.message_posted", author, by_staff=by_staff, files=len(checked))
    return message


def note_add(*, case: Case, actor: User, text: str) -> CaseEvent:
    """An internal note: on the staff timeline only."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the note.")]})
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationError({"text": [_("A note has at most %(count)s characters.") % {"count": TEXT_MAX_LENGTH}]})
    with transaction.atomic():
        locked = _lock(case)
        _require_staff(locked, actor)
        if locked.state == CaseState.DRAFT:
            raise PermissionDenied(_("A draft is not the commune's yet."))
        event = _event(locked, kind=EventKind.NOTE, actor=actor, by_staff=True, internal_note=text, is_public=False)
        _audit(locked, "case.note_added", actor)
    return event


RATEABLE_STATES = frozenset({CaseState.CLOSED, CaseState.ACT_ISSUED})


def case_rate(*, case: Case, citizen: User, rating: int, comment: str = "") -> Case:
    """Rate the service (1 to 5) once the case is closed (or the act issued); once per case."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Choose a rating from 1 to 5.")]})
    comment = " ".join((comment or "").split())
    if len(comment) > 500:
        raise ValidationError({"comment": [_("A comment has at most 500 characters.")]})
    with transaction.atomic():
        locked = _lock(case)
        _require_applicant(locked, citizen)
        if locked.state not in RATEABLE_STATES:
            raise ValidationError({"__all__": [_("You can rate the service once your request is finished.")]})
        if locked.rating is not None:
            raise ValidationError({"__all__": [_("You already rated this request. Thank you!")]})
        locked.rating = rating
        locked.rating_comment = comment
        locked.version += 1
        locked.save(update_fields=["rating", "rating_comment", "version", "updated_at"])
        _event(locked, kind=EventKind.RATING, actor=citizen, by_staff=False, is_public=False,
               internal_note=f"{rating}/5 {comment}".strip())
        _audit(locked, "case.rated", citizen, rating=rating)
    return _sync(case, locked)
