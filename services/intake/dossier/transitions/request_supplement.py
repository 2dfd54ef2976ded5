"""Request a supplement during processing (Nghị định 61 Điều 19 khoản 4): the dossier goes
back to the citizen and the clock stops until the complete dossier is received."""

from __future__ import annotations

from typing import Literal

from motcua.contracts import EventType
from services.intake.dossier import clock
from services.intake.dossier.models import Reason, TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import WORKING, Effect, Situation, TransitionSpec


class RequestSupplement(TransitionCommand):
    transition: Literal[Transition.REQUEST_SUPPLEMENT]
    reason: Reason


def handle(command: RequestSupplement, situation: Situation) -> Effect:
    dossier = situation.dossier
    return Effect(
        clock.await_supplement(dossier.clock, situation.at),
        data={"phase": "processing", "reason": command.reason},
        details={"reason": command.reason},
        changes={"supplement_count": dossier.supplement_count + 1},
    )


SPEC = TransitionSpec(
    Transition.REQUEST_SUPPLEMENT,
    sources=WORKING,
    target=DossierState.AWAITING_SUPPLEMENT,
    event_type=EventType.DOSSIER_SUPPLEMENT_REQUESTED,
    command=RequestSupplement,
    handle=handle,
)
