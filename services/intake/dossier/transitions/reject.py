"""Reject: the agency refuses the dossier, with its reasons (Mẫu 03)."""

from __future__ import annotations

from typing import Literal

from motcua.contracts import EventType
from services.intake.dossier.models import Reason, TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import OPEN, Effect, Situation, TransitionSpec


class Reject(TransitionCommand):
    transition: Literal[Transition.REJECT]
    reason: Reason


def handle(command: Reject, situation: Situation) -> Effect:
    reason = {"reason": command.reason}
    data = {**reason, **situation.dossier.invitation_fields}
    return Effect(situation.dossier.clock, data=data, details=reason)


SPEC = TransitionSpec(
    Transition.REJECT,
    sources=OPEN,
    target=DossierState.REJECTED,
    event_type=EventType.DOSSIER_REJECTED,
    command=Reject,
    handle=handle,
)
