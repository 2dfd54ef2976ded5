"""Resume after a pause: the time that was left continues from now."""

from __future__ import annotations

from typing import Literal

from motcua.contracts import EventType
from services.intake.dossier import clock
from services.intake.dossier.models import TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import Effect, Situation, TransitionSpec


class Resume(TransitionCommand):
    transition: Literal[Transition.RESUME]


def handle(command: Resume, situation: Situation) -> Effect:
    current = situation.dossier.clock
    if current.running:  # the procedure's pauses do not stop the clock
        return Effect(current)
    unit = situation.processing_time.unit
    return Effect(clock.resume(situation.calendar, current, situation.at, unit=unit))


SPEC = TransitionSpec(
    Transition.RESUME,
    sources=frozenset({DossierState.PAUSED}),
    target=DossierState.IN_PROGRESS,
    event_type=EventType.DOSSIER_RESUMED,
    command=Resume,
    handle=handle,
)
