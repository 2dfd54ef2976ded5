"""Withdraw: the citizen takes the dossier back before the result."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from motcua.contracts import EventType
from services.intake.dossier.models import TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import OPEN, Effect, Situation, TransitionSpec


class Withdraw(TransitionCommand):
    transition: Literal[Transition.WITHDRAW]
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


def handle(command: Withdraw, situation: Situation) -> Effect:
    data = {"reason": command.reason} if command.reason else {}
    return Effect(situation.dossier.clock, data=data)


SPEC = TransitionSpec(
    Transition.WITHDRAW,
    sources=OPEN,
    target=DossierState.WITHDRAWN,
    event_type=EventType.DOSSIER_WITHDRAWN,
    command=Withdraw,
    handle=handle,
)
