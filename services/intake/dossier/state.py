"""The dossier's states and the transitions between them. Pure: no I/O.

Which transition is legal from which state, what it does and which event it records is
declared next to its handler, one module per transition, in ``transitions/``. Intake
applies them inside the dossier row's lock, so two upstream systems racing on one dossier
see the transitions one after the other.
"""

from __future__ import annotations

from enum import StrEnum


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
    """What intake may record about an existing dossier."""

    ASSIGN = "assign"
    TRANSFER = "transfer"
    REQUEST_SUPPLEMENT = "request_supplement"
    RECEIVE_SUPPLEMENT = "receive_supplement"
    PAUSE = "pause"
    RESUME = "resume"
    RESCHEDULE = "reschedule"
    COMPLETE = "complete"
    RETURN_RESULT = "return_result"
    REJECT = "reject"
    WITHDRAW = "withdraw"


class IllegalTransition(Exception):
    """The transition is not allowed from the dossier's current state."""

    def __init__(
        self, transition: Transition, current: DossierState, allowed: list[Transition]
    ) -> None:
        self.transition = transition
        self.current = current
        self.allowed = allowed
        names = ", ".join(allowed) or "none (the dossier is closed)"
        super().__init__(
            f"cannot {transition.value} a dossier that is {current.value}; allowed: {names}"
        )
