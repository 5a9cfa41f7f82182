"""A citizen's own cases in the commune of the Host: list, detail, submit (idempotent), withdraw, messages.

Writes go through `jamaa.cases.services`; a case of another commune, or of someone else, is a 404."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, P, Router, Schema, Status
from ninja.params import Header, PathEx, Query

from jamaa.api.auth import token_auth
from jamaa.api.catalog import DeadlineOut, published
from jamaa.api.common import ALL_FIELDS, InvalidInput, department_out, names, request_commune
from jamaa.api.schemas import CITIZEN_ERRORS, DepartmentOut, Error, NamesOut
from jamaa.cases import services
from jamaa.cases.models import Attachment, Case, CaseChannel, CaseEvent, CaseMessage, CaseState
from jamaa.cases.selectors import get_case_for_citizen
from jamaa.cases.workflow import TransitionNotAllowed
from jamaa.catalog import formdef
from jamaa.catalog.models import Channel, CommuneProcedure
from jamaa.core.models import User

router = Router(tags=["my cases"], auth=token_auth)

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_MESSAGE_LENGTH = 5000
MAX_REASON_LENGTH = 1000
ReferencePath = PathEx[str, P(pattern=r"^[A-Za-z0-9-]{1,24}$", description="The case's reference: SAL-2026-000123.")]
# Keys the client chooses (a UUID is a good one); ours are prefixed so they never meet the website's form tokens.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,60}$"
IDEMPOTENCY_KEY_HELP = "Retrying a POST with the same key returns the case the first one created."
KEY_PREFIX = "api:"


class ProcedureRefOut(NamesOut):
    slug: str


class CaseSummaryOut(Schema):
    reference: str
    state: str
    state_label: str
    procedure: ProcedureRefOut | None
    channel: str
    submitted_at: dt.datetime | None
    due_date: dt.date | None


class CasePageOut(Schema):
    items: list[CaseSummaryOut]
    next: str | None = Field(description="The `cursor` of the next page; null on the last page.")


class AnswerOut(Schema):
    label: str
    value: str  # as shown to people; CIN numbers masked


class TimelineEventOut(Schema):
    at: dt.datetime
    kind: str
    from_state: str
    to_state: str
    text: str
    by_staff: bool


class AttachmentOut(Schema):
    field: str  # the form's file field, doc__<code> for a required document, "" on a message
    name: str
    content_type: str
    size: int
    created_at: dt.datetime


class CaseOut(CaseSummaryOut):
    department: DepartmentOut | None
    legal_deadline: DeadlineOut | None  # the deadline applied to this case (the commune's, at submission)
    legal_basis: str
    silence_means_approval: bool
    approved_by_silence: bool
    return_missing: list[str]  # what the citizen must add, when the case was returned for completion
    rejection_reason: str
    answers: list[AnswerOut]
    data: dict[str, Any]  # the answers as values (CIN numbers are never included)
    timeline: list[TimelineEventOut]
    attachments: list[AttachmentOut]


class MessageOut(Schema):
    id: int
    at: dt.datetime
    from_staff: bool
    body: str
    attachments: list[AttachmentOut]


# What POST /cases accepts, for the OpenAPI schema (the view reads the body itself: JSON or multipart).
SUBMIT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {
            "type": "object", "required": ["procedure"],
            "properties": {
                "procedure": {"type": "string", "description": "The procedure's slug."},
                "answers": {"type": "object", "description": "The answers, by form field name."},
            },
        }},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["procedure"],
            "properties": {
                "procedure": {"type": "string", "description": "The procedure's slug."},
                "answers": {"type": "string", "description": "The answers as a JSON object, by form field name."},
            },
            "additionalProperties": {"type": "string", "format": "binary",
                                     "description": "Files: the form's file fields and doc__<code>."},
        }},
    },
}
WITHDRAW_BODY = {
    "required": False,
    "content": {"application/json": {"schema": {
        "type": "object", "properties": {"reason": {"type": "string", "maxLength": 1000}}}}},
}
MESSAGE_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {
            "type": "object", "required": ["body"], "properties": {"body": {"type": "string"}}}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["body"], "properties": {"body": {"type": "string"}},
            "additionalProperties": {"type": "string", "format": "binary"}}},
    },
}


# --- reading the request ------------------------------------------------------------------------------------------


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _read_body(request: HttpRequest) -> tuple[dict[str, Any], list[tuple[str, UploadedFile]]]:
    """The fields and files of a JSON or multipart (or url-encoded) body."""
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            fields = {name: request.POST.get(name, "") for name in request.POST}
            files = [(name, upload) for name, uploads in request.FILES.lists() for upload in uploads]
        except (RequestDataTooBig, TooManyFilesSent):
            raise InvalidInput.field(ALL_FIELDS, _("The request is too large.")) from None
        except MultiPartParserError:
            raise InvalidInput.field(ALL_FIELDS, _("The multipart body could not be read.")) from None
        return fields, files
    if content_type == "application/json":
        try:
            body = json.loads(request.body or b"null")
        except RequestDataTooBig:
            raise InvalidInput.field(ALL_FIELDS, _("The request is too large.")) from None
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput.field(ALL_FIELDS, _("The body is not valid JSON.")) from None
        if not isinstance(body, dict):
            raise InvalidInput.field(ALL_FIELDS, _("The body must be a JSON object."))
        return body, []
    raise InvalidInput.field(ALL_FIELDS, _("Send application/json, or multipart/form-data with files."))


def _has_body(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return True


def _answers(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput.field("answers", _("The answers are not valid JSON.")) from None
    if not isinstance(value, dict):
        raise InvalidInput.field("answers", _("The answers must be a JSON object, by form field name."))
    if _has_nul(value):
        raise InvalidInput.field("answers", _("The answers contain a character that is not allowed."))
    return value


def _file_fields(adoption: CommuneProcedure) -> set[str]:
    definition = adoption.procedure.form_definition if isinstance(adoption.procedure.form_definition, list) else []
    fields = {spec.get("name") for spec in definition if isinstance(spec, dict) and spec.get("type") == "file"}
    documents = {f"{formdef.DOCUMENT_PREFIX}{code}" for code in adoption.procedure.documents.values_list("code",
                                                                                                          flat=True)}
    return {name for name in fields if isinstance(name, str)} | documents


def _check_files(adoption: CommuneProcedure, files: list[tuple[str, UploadedFile]]) -> None:
    allowed = _file_fields(adoption)
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for name, _upload in files:
        if name not in allowed:
            errors.setdefault(name, []).append(_("This procedure asks for no file by this name."))
        elif name in seen:
            errors.setdefault(name, []).append(_("Send one file per field."))
        seen.add(name)
    if errors:
        raise InvalidInput(errors)


def _adoption(request: HttpRequest, slug: Any) -> CommuneProcedure:
    if not isinstance(slug, str) or not slug:
        raise InvalidInput.field("procedure", _("Name the procedure by its slug."))
    adoption = published(request_commune(request)).filter(procedure__slug=slug).first() if "\x00" not in slug else None
    if adoption is None:
        raise InvalidInput.field("procedure", _("This commune does not offer this procedure."))
    if adoption.procedure.channel == Channel.COUNTER:
        raise InvalidInput.field("procedure", _("This procedure is only available at the counter."))
    return adoption


# --- writing the answers ----------------------------------------------------------------------------------------


def _attachment_out(attachment: Attachment) -> dict[str, Any]:
    field = f"{formdef.DOCUMENT_PREFIX}{attachment.document_code}" if attachment.document_code \
        else attachment.field_name
    return {"field": field, "name": attachment.original_name, "content_type": attachment.content_type,
            "size": attachment.size, "created_at": attachment.created_at}


def case_summary_out(case: Case) -> dict[str, Any]:
    procedure = case.procedure.procedure if case.procedure is not None else None
    return {
        "reference": case.reference,
        "state": case.state,
        "state_label": str(CaseState(case.state).label),
        "procedure": {"slug": procedure.slug, **names(procedure)} if procedure is not None else None,
        "channel": case.channel,
        "submitted_at": case.submitted_at,
        "due_date": case.due_date,
    }


def _protected(case: Case) -> dict[str, str]:
    value: Any = case.protected_data
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else {}
        except ValueError:
            value = {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def case_out(case: Case) -> dict[str, Any]:
    events = CaseEvent.objects.public().filter(case=case).order_by("created_at", "id")
    attachments = Attachment.objects.filter(case=case, message__isnull=True, is_current=True).order_by(
        "created_at", "id")
    answers = formdef.display_answers(case.procedure, case.data or {}, _protected(case), mask_cin=True) \
        if case.procedure is not None else []
    return {
        **case_summary_out(case),
        "department": department_out(case.department) if case.department is not None else None,
        "legal_deadline": {"amount": case.deadline_amount, "unit": case.deadline_unit}
        if case.deadline_amount else None,
        "legal_basis": case.legal_basis,
        "silence_means_approval": case.silence_means_approval,
        "approved_by_silence": case.approved_by_silence,
        "return_missing": [str(item) for item in case.return_missing] if isinstance(case.return_missing, list) else [],
        "rejection_reason": case.rejection_reason,
        "answers": [{"label": str(label), "value": str(value)} for label, value in answers],
        "data": case.data if isinstance(case.data, dict) else {},
        "timeline": [
            {"at": event.created_at, "kind": event.kind, "from_state": event.from_state, "to_state": event.to_state,
             "text": event.public_text, "by_staff": event.by_staff}
            for event in events
        ],
        "attachments": [_attachment_out(attachment) for attachment in attachments],
    }


def message_out(message: CaseMessage) -> dict[str, Any]:
    return {"id": message.pk, "at": message.created_at, "from_staff": message.from_staff, "body": message.body,
            "attachments": [_attachment_out(attachment) for attachment in message.attachments.all()]}


def _own_case(request: HttpRequest, reference: str) -> Case:
    request_commune(request)
    return get_case_for_citizen(request, reference)


def _citizen(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# --- keyset pagination ------------------------------------------------------------------------------------------


def _encode_cursor(case_id: int) -> str:
    return base64.urlsafe_b64encode(f"c:{case_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = text.split(":", 1)
        case_id = int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.field("cursor", _("This cursor is not valid: use the `next` of a previous page.")) from None
    if kind != "c" or case_id < 1:
        raise InvalidInput.field("cursor", _("This cursor is not valid: use the `next` of a previous page."))
    return case_id


# --- endpoints --------------------------------------------------------------------------------------------------


@router.get("/cases", response={200: CasePageOut, **CITIZEN_ERRORS}, summary="My requests in this commune")
def list_cases(
    request: HttpRequest,
    cursor: str = Query("", max_length=40, pattern=r"^[A-Za-z0-9_-]*$"),
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    """The citizen's submitted requests in the commune of the Host, newest first, `limit` per page; pass the
    answer's `next` as `cursor` for the following page."""
    request_commune(request)
    qs = (Case.objects.submitted().for_citizen(_citizen(request))
          .select_related("procedure__procedure").order_by("-id"))
    if cursor:
        qs = qs.filter(id__lt=_decode_cursor(cursor))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [case_summary_out(case) for case in rows],
            "next": _encode_cursor(rows[-1].pk) if more else None}


@router.get("/cases/{reference}", response={200: CaseOut, **CITIZEN_ERRORS}, summary="One of my requests")
def get_case(request: HttpRequest, reference: ReferencePath) -> dict[str, Any]:
    return case_out(_own_case(request, reference))


@router.post("/cases", response={200: CaseOut, 201: CaseOut, 409: Error, **CITIZEN_ERRORS},
             summary="Submit a request", openapi_extra={"requestBody": SUBMIT_BODY})
def submit_case(
    request: HttpRequest,
    idempotency_key: str = Header("", alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN,
                                  description=IDEMPOTENCY_KEY_HELP),
) -> Status[dict[str, Any]]:
    """Submit a request for one of the commune's procedures: `procedure` (slug) and `answers` (by form field name),
    as JSON, or as multipart/form-data with `answers` as a JSON string and the files named like the form's file
    fields and `doc__<code>` for the required documents. 201 with the case; 422 with the errors by field.

    With an `Idempotency-Key` header, sending the same request again (after a timeout, say) returns the case the
    first one created (200) instead of creating a second one."""
    commune = request_commune(request)
    citizen = _citizen(request)
    submission_key = f"{KEY_PREFIX}{idempotency_key}" if idempotency_key else ""
    if submission_key:
        existing = (Case.all_communes.filter(citizen=citizen, submission_key=submission_key)
                    .select_related("procedure__procedure", "department").first())
        if existing is not None:
            if existing.commune_id != commune.pk:
                return Status(409, {"detail": _("This Idempotency-Key was already used for a request to another "
                                                "commune.")})
            return Status(200, case_out(existing))
    fields, files = _read_body(request)
    adoption = _adoption(request, fields.get("procedure"))
    answers = _answers(fields.get("answers"))
    _check_files(adoption, files)
    try:
        case = services.case_submit(commune=commune, procedure=adoption, data=answers, files=files, citizen=citizen,
                                    channel=CaseChannel.API, submission_key=submission_key)
    except PermissionDenied:
        raise Http404 from None
    except DjangoValidationError as exc:
        raise InvalidInput.from_django(exc) from None
    return Status(201, case_out(get_case_for_citizen(request, case.reference)))


@router.post("/cases/{reference}/withdraw", response={200: CaseOut, 409: Error, **CITIZEN_ERRORS},
             summary="Withdraw one of my requests", openapi_extra={"requestBody": WITHDRAW_BODY})
def withdraw_case(request: HttpRequest, reference: ReferencePath) -> Status[dict[str, Any]]:
    """Optionally with a `reason` (JSON), which the office reads on the timeline."""
    case = _own_case(request, reference)
    fields, _files = _read_body(request) if _has_body(request) else ({}, [])
    reason = fields.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH or "\x00" in reason:
        raise InvalidInput.field("reason", _("Give the reason as text of at most %(count)d characters.")
                                 % {"count": MAX_REASON_LENGTH})
    try:
        services.case_transition(case=case, name="withdraw", actor=_citizen(request), by_staff=False,
                                 public_text=reason.strip())
    except TransitionNotAllowed as exc:
        return Status(409, {"detail": exc.message})
    except PermissionDenied:
        raise Http404 from None
    except DjangoValidationError as exc:
        raise InvalidInput.from_django(exc) from None
    return Status(200, case_out(get_case_for_citizen(request, case.reference)))


@router.get("/cases/{reference}/messages", response={200: list[MessageOut], **CITIZEN_ERRORS},
            summary="The messages on one of my requests")
def list_messages(request: HttpRequest, reference: ReferencePath) -> list[dict[str, Any]]:
    case = _own_case(request, reference)
    messages = (CaseMessage.objects.filter(case=case).prefetch_related("attachments")
                .order_by("created_at", "id"))
    return [message_out(message) for message in messages]


@router.post("/cases/{reference}/messages", response={201: MessageOut, 409: Error, **CITIZEN_ERRORS},
             summary="Write to the office handling one of my requests",
             openapi_extra={"requestBody": MESSAGE_BODY})
def post_message(request: HttpRequest, reference: ReferencePath) -> Status[dict[str, Any]]:
    """`body` as JSON, or multipart/form-data with `body` and files to attach."""
    case = _own_case(request, reference)
    fields, files = _read_body(request)
    body = fields.get("body")
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput.field("body", _("Write a message."))
    if len(body) > MAX_MESSAGE_LENGTH or "\x00" in body:
        raise InvalidInput.field("body", _("Write at most %(count)d characters.") % {"count": MAX_MESSAGE_LENGTH}
                                 if len(body) > MAX_MESSAGE_LENGTH else _("The message contains a character that "
                                                                           "is not allowed."))
    try:
        message = services.message_post(case=case, author=_citizen(request), body=body.strip(), by_staff=False,
                                        files=files)
    except TransitionNotAllowed as exc:
        return Status(409, {"detail": exc.message})
    except PermissionDenied:
        raise Http404 from None
    except DjangoValidationError as exc:
        raise InvalidInput.from_django(exc) from None
    message = CaseMessage.objects.prefetch_related("attachments").get(pk=message.pk)
    return Status(201, message_out(message))
