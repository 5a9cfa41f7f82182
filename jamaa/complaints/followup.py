"""The citizen's follow-up of an answered complaint: a satisfaction rating (1 to 5, with an optional comment).

Saying that the problem is not solved is the workflow's "reopen" move (`services.complaint_transition`). Who may
rate: the account that filed the complaint, or whoever proved its reference and secret code (`by_tracking`), as for
reopening. One rating per answer: after a reopening and a new answer, the citizen rates the new answer.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamaa.cases.models import CaseEvent, EventKind
from jamaa.complaints.models import Complaint, ComplaintState
from jamaa.core import audit
from jamaa.core.models import User

COMMENT_MAX = 500
RATEABLE_STATES = (ComplaintState.RESOLVED, ComplaintState.REJECTED, ComplaintState.CLOSED)


def can_rate(complaint: Complaint) -> bool:
    """Answered (resolved or rejected, maybe closed since), not merged, and this answer not rated yet."""
    if complaint.answered_at is None or complaint.state not in RATEABLE_STATES or complaint.merged_into_id:
        return False
    return not CaseEvent.all_communes.filter(case_id=complaint.case_id, kind=EventKind.RATING,
                                             created_at__gte=complaint.answered_at).exists()


@transaction.atomic
def complaint_rate(*, complaint: Complaint, citizen: User | None, by_tracking: bool, rating: int,
                   comment: str = "", now: datetime | None = None) -> Complaint:
    """Record the filer's rating of the answer on the case (`Case.rating`, `Case.rating_comment`) with a timeline
    event for the staff (kind RATING; the comment is not public). ValidationError on "rating", "comment" or the
    whole form; PermissionDenied for anyone but the filer."""
    now = now or timezone.now()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": [_("Choose a rating from 1 to 5.")]})
    comment = " ".join((comment or "").split())
    if len(comment) > COMMENT_MAX:
        raise ValidationError({"comment": [_("A comment has at most %(count)d characters.") % {"count": COMMENT_MAX}]})
    locked = (Complaint.all_communes.select_for_update(of=("self",)).select_related("case", "commune")
              .get(pk=complaint.pk))
    case = locked.case
    owner = citizen is not None and case.citizen_id is not None and case.citizen_id == citizen.pk
    if not (owner or by_tracking):
        raise PermissionDenied(_("Only the person who filed the complaint can do this."))
    if locked.answered_at is None or locked.state not in RATEABLE_STATES or locked.merged_into_id:
        raise ValidationError(_("You can rate the answer once the commune has answered."))
    if not can_rate(locked):
        raise ValidationError(_("You already rated this answer. Thank you!"))
    case.rating = rating
    case.rating_comment = comment
    case.version += 1
    case.save(update_fields=["rating", "rating_comment", "version", "updated_at"])
    CaseEvent.all_communes.create(
        commune_id=case.commune_id, case=case, kind=EventKind.RATING, actor=citizen if owner else None,
        by_staff=False, public_text="", internal_note=f"{rating}/5 {comment}".strip(), is_public=False,
        created_at=now,
    )
    audit.record(action="complaint.rated", commune=locked.commune, actor=citizen if owner else None, target=case,
                 target_label=case.reference, subject=case.citizen,
                 details={"reference": case.reference, "rating": rating, "by_tracking": not owner})
    complaint.case.rating, complaint.case.rating_comment = rating, comment
    complaint.case.version = case.version
    return complaint
