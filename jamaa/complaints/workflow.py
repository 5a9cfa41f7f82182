"""The allowed moves of a complaint, listed in one place. Services consult `find()`; pages list `available()`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jamaa.cases.models import CaseState
from jamaa.cases.workflow import Actor, TransitionNotAllowed
from jamaa.complaints.models import ComplaintState

S = ComplaintState

__all__ = ["CASE_STATE", "MOVES", "Actor", "Move", "TransitionNotAllowed", "available", "find"]


@dataclass(frozen=True)
class Move:
    name: str
    sources: frozenset[str]
    target: str
    actor: Actor
    label: Promise
    # The citizen reads the answer or the reasons (Decree 2-17-265: every complaint gets an answer).
    needs_text: bool = False


ANSWERABLE = frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED})

MOVES: tuple[Move, ...] = (
    Move("acknowledge", frozenset({S.RECEIVED, S.REOPENED}), S.ACKNOWLEDGED, Actor.STAFF, _("Acknowledge")),
    Move("start", frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.REOPENED}), S.IN_PROGRESS, Actor.STAFF,
         _("Start the work")),
    Move("resolve", ANSWERABLE, S.RESOLVED, Actor.STAFF, _("Mark as resolved"), needs_text=True),
    Move("reject", ANSWERABLE, S.REJECTED, Actor.STAFF, _("Reject"), needs_text=True),
    Move("close", frozenset({S.RESOLVED, S.REJECTED}), S.CLOSED, Actor.STAFF, _("Close")),
    # The citizen says the answer did not solve it (with a reason); the answer is owed again.
    Move("reopen", frozenset({S.RESOLVED, S.REJECTED, S.CLOSED}), S.REOPENED, Actor.CITIZEN,
         _("The problem is not solved"), needs_text=True),
    # No answer from the citizen some days after the answer: the complaint closes by itself.
    Move("auto_close", frozenset({S.RESOLVED, S.REJECTED}), S.CLOSED, Actor.SYSTEM, _("Closed")),
)

BY_NAME: dict[str, Move] = {m.name: m for m in MOVES}

# The case's coarse state follows the complaint's, so the lists shared with the e-services read right.
CASE_STATE: dict[str, str] = {
    S.RECEIVED: CaseState.SUBMITTED,
    S.ACKNOWLEDGED: CaseState.IN_REVIEW,
    S.IN_PROGRESS: CaseState.IN_REVIEW,
    S.REOPENED: CaseState.IN_REVIEW,
    S.RESOLVED: CaseState.APPROVED,
    S.REJECTED: CaseState.REJECTED,
    S.CLOSED: CaseState.CLOSED,
}


def find(name: str, state: str, actor: Actor) -> Move:
    move = BY_NAME.get(name)
    if move is None or move.actor != actor:
        raise TransitionNotAllowed(str(_("This action does not exist.")))
    if state not in move.sources:
        raise TransitionNotAllowed(
            str(_("This action is not possible while the complaint is “%(state)s”.") % {"state": S(state).label})
        )
    return move


def available(state: str, actor: Actor) -> list[Move]:
    return [m for m in MOVES if m.actor == actor and state in m.sources]
