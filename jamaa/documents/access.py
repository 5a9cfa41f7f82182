"""Who may see, download and revoke an issued document: fetch-and-authorise helpers for the wallet and the back
office, and the revocation rule.

- The holder sees their own documents, in the request's commune only (the scoped manager): anybody else's reference,
  or another commune's, is a 404.
- Staff see the documents of the cases they may see (`jamaa.cases.selectors.staff_cases`).
- Revoking is acting on the case: the same rule as the case's transitions (`jamaa.cases.services._require_staff`:
  administrators of the commune, agents and heads of the case's department; the leadership reads only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest

from jamaa.cases.models import Case
from jamaa.cases.selectors import staff_cases
from jamaa.core.models import Membership, User
from jamaa.documents import issuance
from jamaa.documents.models import DocumentEventKind, IssuedDocument

REFERENCE_MAX_LENGTH = 32


def _clean_reference(reference: str) -> str:
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise Http404
    return reference.strip().upper()


def get_document_for_citizen(request: HttpRequest, reference: str) -> IssuedDocument:
    """The logged-in citizen's own document (this commune's only)."""
    document = (
        IssuedDocument.objects.select_related("case__procedure__procedure")
        .filter(citizen=request.user, reference=_clean_reference(reference))
        .first()
    )
    if document is None:
        raise Http404
    return document


def get_document_for_staff(request: HttpRequest, reference: str) -> IssuedDocument:
    """A document of a case the member of staff (`request.membership`, set by `staff_required`) may see."""
    membership: Membership = request.membership  # type: ignore[attr-defined]
    document = (
        IssuedDocument.objects.select_related("case")
        .filter(reference=_clean_reference(reference), case__in=staff_cases(membership))
        .first()
    )
    if document is None:
        raise Http404
    return document


def may_act_on_case(case: Case, user: User | None) -> bool:
    """The rule of the case's transitions: whoever may move the case may revoke what it issued."""
    from jamaa.cases.services import _require_staff

    try:
        _require_staff(case, user)
    except PermissionDenied:
        return False
    return True


def require_revoke_permission(document: IssuedDocument, actor: User | None) -> None:
    """PermissionDenied unless `actor` may revoke `document` (staff acting on its case, in its commune)."""
    if document.case.commune_id != document.commune_id or not may_act_on_case(document.case, actor):
        raise PermissionDenied


def revoke(*, document: IssuedDocument, actor: User, reason: str) -> IssuedDocument:
    """Revoke `document` if `actor` may (PermissionDenied otherwise); ValidationError for an empty reason or a
    document already revoked."""
    require_revoke_permission(document, actor)
    return issuance.document_revoke(document=document, actor=actor, reason=reason)


@dataclass(frozen=True)
class StaffDocument:
    """A document as the staff case page shows it."""

    document: IssuedDocument
    verifications: int
    downloads: int
    can_revoke: bool


def case_documents(case: Case, user: Any) -> list[StaffDocument]:
    """The documents issued for `case`, newest first, with their counts of verifications and downloads (one query,
    plus one for the permission when there is a document to revoke)."""
    documents = list(
        IssuedDocument.objects.filter(case=case)
        .select_related("revoked_by")
        .defer("act", "facts", "qr_url", "revoked_by__cin", "revoked_by__password")
        .annotate(
            verification_count=Count("events", filter=Q(events__kind=DocumentEventKind.VERIFIED)),
            download_count=Count("events", filter=Q(events__kind=DocumentEventKind.DOWNLOADED)),
        )
        .order_by("-issued_at", "-pk")
    )
    may_act = any(not d.is_revoked for d in documents) and may_act_on_case(case, user)
    return [StaffDocument(document=d, verifications=d.verification_count,  # type: ignore[attr-defined]
                          downloads=d.download_count,  # type: ignore[attr-defined]
                          can_revoke=may_act and not d.is_revoked) for d in documents]
