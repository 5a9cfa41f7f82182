"""The allowed moves of a case, listed in one place. Services consult `find()`; pages list `available()`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jamaa.cases.models import CaseState

S = CaseState


class Actor(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    actor: Actor
    label: Promise
    # The citizen must be told why (a rejection is always reasoned; a return lists everything missing).
    needs_reason: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", frozenset({S.DRAFT}), S.SUBMITTED, Actor.CITIZEN, _("Submit")),
    Transition("start_review", frozenset({S.SUBMITTED}), S.IN_REVIEW, Actor.STAFF, _("Start the review")),
    # At most once per case (Law 55-19); the service refuses a second return.
    Transition("return", frozenset({S.SUBMITTED, S.IN_REVIEW}), S.RETURNED, Actor.STAFF,
               _("Return for completion"), needs_reason=True),
    Transition("complete", frozenset({S.RETURNED}), S.IN_REVIEW, Actor.CITIZEN, _("Send the completed request")),
    Transition("approve", frozenset({S.SUBMITTED, S.IN_REVIEW}), S.APPROVED, Actor.STAFF, _("Approve")),
    Transition("approve_by_silence", frozenset({S.SUBMITTED, S.IN_REVIEW}), S.APPROVED, Actor.SYSTEM,
               _("Approved by silence")),
    Transition("reject", frozenset({S.SUBMITTED, S.IN_REVIEW}), S.REJECTED, Actor.STAFF, _("Reject"),
               needs_reason=True),
    Transition("issue_act", frozenset({S.APPROVED}), S.ACT_ISSUED, Actor.STAFF, _("Issue the act")),
    Transition("close", frozenset({S.APPROVED, S.REJECTED, S.ACT_ISSUED}), S.CLOSED, Actor.STAFF, _("Close")),
    Transition("withdraw", frozenset({S.SUBMITTED, S.RETURNED, S.IN_REVIEW}), S.WITHDRAWN, Actor.CITIZEN,
               _("Withdraw the request")),
)

BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}

# States where the legal deadline runs (a returned case's deadline is suspended).
RUNNING_STATES = frozenset({S.SUBMITTED, S.IN_REVIEW})
FINAL_STATES = frozenset({S.CLOSED, S.WITHDRAWN})


class TransitionNotAllowed(Exception):
    """The move is not in the list for this state and actor; `message` is translated and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def find(name: str, state: str, actor: Actor) -> Transition:
    transition = BY_NAME.get(name)
    if transition is None or transition.actor != actor:
        raise TransitionNotAllowed(str(_("This action does not exist.")))
    if state not in transition.sources:
        raise TransitionNotAllowed(
            str(_("This action is not possible while the request is “%(state)s”.") % {"state": S(state).label})
        )
    return transition


def available(state: str, actor: Actor) -> list[Transition]:
    return [t for t in TRANSITIONS if t.actor == actor and state in t.sources]
