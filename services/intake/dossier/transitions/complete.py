"""Complete: the result is produced (granted or refused); the clock's verdict is final."""

from __future__ import annotations

from typing import Literal

from motcua.contracts import EventType
from motcua.dossier import finished_late
from services.intake.dossier.models import TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import WORKING, Effect, Situation, TransitionSpec


class Complete(TransitionCommand):
    transition: Literal[Transition.COMPLETE]
    outcome: Literal["granted", "refused"]


def handle(command: Complete, situation: Situation) -> Effect:
    current = situation.dossier.clock
    late = finished_late(due_at=current.due_at, finished_at=situation.at)
    return Effect(
        current,
        data={"outcome": command.outcome, "late": late},
        details={"outcome": command.outcome, "late": late},
        changes={"completed_at": situation.at},
    )


SPEC = TransitionSpec(
    Transition.COMPLETE,
    sources=WORKING,
    target=DossierState.COMPLETED,
    event_type=EventType.DOSSIER_COMPLETED,
    command=Complete,
    handle=handle,
)
