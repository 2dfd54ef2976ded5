"""Return the result to the citizen: at the counter, by post, or online."""

from __future__ import annotations

from typing import Literal

from motcua.contracts import EventType
from services.intake.dossier.models import TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import Effect, Situation, TransitionSpec


class ReturnResult(TransitionCommand):
    transition: Literal[Transition.RETURN_RESULT]
    channel: Literal["counter", "postal", "online"]


def handle(command: ReturnResult, situation: Situation) -> Effect:
    channel = {"channel": command.channel}
    data = {**channel, **situation.dossier.invitation_fields}
    return Effect(situation.dossier.clock, data=data, details=channel)


SPEC = TransitionSpec(
    Transition.RETURN_RESULT,
    sources=frozenset({DossierState.COMPLETED}),
    target=DossierState.RETURNED,
    event_type=EventType.DOSSIER_RETURNED,
    command=ReturnResult,
    handle=handle,
)
