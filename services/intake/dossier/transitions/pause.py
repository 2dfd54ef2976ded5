"""Pause for a reason outside the agency (another agency's verification, force majeure).

Whether the clock stops is the procedure's pause policy (docs/domain.md: unconfirmed as a
general rule); when it keeps running the dossier can still run late while paused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from motcua.contracts import EventType
from services.intake.dossier import clock
from services.intake.dossier.models import TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import WORKING, Effect, Situation, TransitionSpec


class Pause(TransitionCommand):
    transition: Literal[Transition.PAUSE]
    reason_code: Literal["external_verification", "other_agency", "force_majeure", "other"]
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


def handle(command: Pause, situation: Situation) -> Effect:
    dossier = situation.dossier
    data: dict[str, str] = {"reason_code": command.reason_code}
    if command.reason:
        data["reason"] = command.reason
    stops = situation.pause_stops_clock
    after = (
        clock.stop(
            situation.calendar, dossier.clock, situation.at, unit=situation.processing_time.unit
        )
        if stops
        else dossier.clock
    )
    return Effect(
        after, data=data, details={"reason_code": command.reason_code, "clock_stopped": stops}
    )


SPEC = TransitionSpec(
    Transition.PAUSE,
    sources=WORKING,
    target=DossierState.PAUSED,
    event_type=EventType.DOSSIER_PAUSED,
    command=Pause,
    handle=handle,
)
