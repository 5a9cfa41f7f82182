"""Every write on a case. Keyword-only, typed, atomic; each state move goes through `workflow.find()`, adds a
timeline event, bumps `Case.version`, notifies the applicant in their language through the outbox and writes the
audit entry in the same transaction.

Errors the caller shows to the user:
- `django.core.exceptions.ValidationError` (message_dict keyed by form field name / `doc__<code>` / `__all__`) for
  bad input: invalid answers, a missing required document, a file that lies about its type or is too large;
- `workflow.TransitionNotAllowed` for a move that is not allowed;
- `StaleCase` when `expected_version` is given and the case changed since the form was opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from jamaa.cases.models import Case, CaseChannel, CaseEvent, CaseMessage
from jamaa.catalog.models import CommuneProcedure
from jamaa.core.models import Commune, User


class StaleCase(Exception):
    """The case changed since the form was opened (someone else acted on it, or the form was sent twice)."""


# Files as the forms and the API hand them over: (field name or "doc__<document code>", uploaded file).
Files = Sequence[tuple[str, UploadedFile]]


def draft_save(
    *, commune: Commune, citizen: User, procedure: CommuneProcedure, data: Mapping[str, Any], files: Files = (),
    draft: Case | None = None,
) -> Case:
    """Create or update the citizen's draft (no validation of required answers: a draft may be incomplete; files
    are still checked). Returns the draft."""
    raise NotImplementedError


def draft_discard(*, commune: Commune, citizen: User, draft: Case) -> None:
    raise NotImplementedError


def case_submit(
    *, commune: Commune, procedure: CommuneProcedure, data: Mapping[str, Any], files: Files = (),
    citizen: User | None, channel: str = CaseChannel.ONLINE, submission_key: str = "", draft: Case | None = None,
    applicant_name: str = "", applicant_phone: str = "", applicant_email: str = "", language: str | None = None,
    actor: User | None = None,
) -> Case:
    """Validate the answers with the procedure's form definition and the required documents (a draft's stored files
    count), allocate the reference, compute the due date, create the tracking code, add the timeline event, notify
    the applicant (receipt) and return the case. Idempotent: the same (citizen, submission_key), or a draft already
    submitted, returns the existing case instead of creating a second one. `actor` is the member of staff who
    files a counter request for an applicant without an account."""
    raise NotImplementedError


def case_transition(
    *, case: Case, name: str, actor: User | None, by_staff: bool, public_text: str = "", internal_note: str = "",
    expected_version: int | None = None, missing: Sequence[str] = (),
) -> Case:
    """Apply a named move of `workflow.TRANSITIONS` (staff moves: start_review, return, approve, reject, issue_act,
    close; citizen: withdraw). `return` needs `missing` (everything the citizen must add) and happens at most once;
    `reject` needs `public_text` (the reasons)."""
    raise NotImplementedError


def case_complete(
    *, case: Case, citizen: User, data: Mapping[str, Any], files: Files = (), public_text: str = "",
    expected_version: int | None = None,
) -> Case:
    """The citizen answers a return for completion: updated answers and documents; the deadline resumes with the
    working (or calendar) days that were left when it was returned."""
    raise NotImplementedError


def approve_overdue_by_silence(*, commune: Commune | None = None) -> int:
    """Mark approved every running case past its due date whose procedure says silence means approval; tell the
    citizen. Idempotent; returns how many cases it approved. `commune=None` sweeps every commune."""
    raise NotImplementedError


def case_assign(*, cases: Sequence[Case], assignee: User | None, actor: User) -> int:
    """Assign (or unassign with None) cases to a member of staff of their department; returns how many changed."""
    raise NotImplementedError


def message_post(
    *, case: Case, author: User | None, body: str, by_staff: bool, files: Files = (),
) -> CaseMessage:
    """A message on the case (from the citizen, or from staff: then the citizen is notified)."""
    raise NotImplementedError


def note_add(*, case: Case, actor: User, text: str) -> CaseEvent:
    """An internal note: on the staff timeline only."""
    raise NotImplementedError


def case_rate(*, case: Case, citizen: User, rating: int, comment: str = "") -> Case:
    """Rate the service (1 to 5) once the case is closed (or the act issued); once per case."""
    raise NotImplementedError
