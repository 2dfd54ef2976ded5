"""The dossier state machine: which lifecycle transition is legal in which state.

Pure: no I/O. Intake applies it inside the dossier row's lock, so two upstream systems
racing on one dossier see the transitions one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from motcua.contracts import EventType


class DossierState(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    PAUSED = "paused"
    COMPLETED = "completed"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def is_open(self) -> bool:
        """An open dossier's result has not been produced yet: its clock matters."""
        return self in _OPEN


_OPEN = frozenset(
    {
        DossierState.RECEIVED,
        DossierState.IN_PROGRESS,
        DossierState.AWAITING_SUPPLEMENT,
        DossierState.PAUSED,
    }
)


class Transition(StrEnum):
    """What an upstream system may ask intake to record about an existing dossier."""

    ASSIGN = "assign"
    TRANSFER = "transfer"
    REQUEST_SUPPLEMENT = "request_supplement"
    RECEIVE_SUPPLEMENT = "receive_supplement"
    PAUSE = "pause"
    RESUME = "resume"
    COMPLETE = "complete"
    RETURN_RESULT = "return_result"
    REJECT = "reject"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[DossierState]
    target: DossierState
    event_type: EventType


_WORKING = frozenset({DossierState.RECEIVED, DossierState.IN_PROGRESS})

RULES: dict[Transition, Rule] = {
    Transition.ASSIGN: Rule(_WORKING, DossierState.IN_PROGRESS, EventType.DOSSIER_ASSIGNED),
    Transition.TRANSFER: Rule(_WORKING, DossierState.IN_PROGRESS, EventType.DOSSIER_ASSIGNED),
    Transition.REQUEST_SUPPLEMENT: Rule(
        _WORKING, DossierState.AWAITING_SUPPLEMENT, EventType.DOSSIER_SUPPLEMENT_REQUESTED
    ),
    Transition.RECEIVE_SUPPLEMENT: Rule(
        frozenset({DossierState.AWAITING_SUPPLEMENT}),
        DossierState.IN_PROGRESS,
        EventType.DOSSIER_SUPPLEMENT_RECEIVED,
    ),
    Transition.PAUSE: Rule(_WORKING, DossierState.PAUSED, EventType.DOSSIER_PAUSED),
    Transition.RESUME: Rule(
        frozenset({DossierState.PAUSED}), DossierState.IN_PROGRESS, EventType.DOSSIER_RESUMED
    ),
    Transition.COMPLETE: Rule(_WORKING, DossierState.COMPLETED, EventType.DOSSIER_COMPLETED),
    Transition.RETURN_RESULT: Rule(
        frozenset({DossierState.COMPLETED}), DossierState.RETURNED, EventType.DOSSIER_RETURNED
    ),
    Transition.REJECT: Rule(_OPEN, DossierState.REJECTED, EventType.DOSSIER_REJECTED),
    Transition.WITHDRAW: Rule(_OPEN, DossierState.WITHDRAWN, EventType.DOSSIER_WITHDRAWN),
}


class IllegalTransition(Exception):
    """The transition is not allowed from the dossier's current state."""

    def __init__(self, transition: Transition, current: DossierState) -> None:
        self.transition = transition
        self.current = current
        self.allowed = allowed_transitions(current)
        allowed = ", ".join(self.allowed) or "none (the dossier is closed)"
        super().__init__(
            f"cannot {transition.value} a dossier that is {current.value}; allowed: {allowed}"
        )


def allowed_transitions(state: DossierState) -> list[Transition]:
    return [transition for transition, rule in RULES.items() if state in rule.sources]


def next_state(current: DossierState, transition: Transition) -> DossierState:
    rule = RULES[transition]
    if current not in rule.sources:
        raise IllegalTransition(transition, current)
    return rule.target
