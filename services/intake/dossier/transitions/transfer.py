"""Transfer: another unit takes the dossier over; its subtree sees it from now on."""

from __future__ import annotations

from typing import Literal

from motcua.contracts import EventType
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import WORKING, Effect, Situation, TransitionSpec
from services.intake.dossier.transitions.assign import Handover, hand_over


class Transfer(Handover):
    transition: Literal[Transition.TRANSFER]


def handle(command: Transfer, situation: Situation) -> Effect:
    return hand_over(command, situation, Transition.TRANSFER)


SPEC = TransitionSpec(
    Transition.TRANSFER,
    sources=WORKING,
    target=DossierState.IN_PROGRESS,
    event_type=EventType.DOSSIER_ASSIGNED,
    command=Transfer,
    handle=handle,
)
