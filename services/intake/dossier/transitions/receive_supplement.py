"""The complete dossier is back: the processing time is counted again from the start
(Nghị định 61 Điều 19 khoản 4), never to a date before an apology letter's appointment."""

from __future__ import annotations

from typing import Literal

from motcua.contracts import EventType
from motcua.dossier import local_instant
from services.intake.dossier import clock
from services.intake.dossier.models import TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import Effect, Situation, TransitionSpec


class ReceiveSupplement(TransitionCommand):
    transition: Literal[Transition.RECEIVE_SUPPLEMENT]


def handle(command: ReceiveSupplement, situation: Situation) -> Effect:
    dossier = situation.dossier
    restarted = clock.restart(
        situation.calendar,
        dossier.clock,
        situation.at,
        paper=dossier.paper,
        processing_time=situation.processing_time,
        cutoff=situation.paper_cutoff,
        not_before=dossier.rescheduled_due_at,
    )
    return Effect(restarted, data={"clock_restarts_at": local_instant(restarted.started_at)})


SPEC = TransitionSpec(
    Transition.RECEIVE_SUPPLEMENT,
    sources=frozenset({DossierState.AWAITING_SUPPLEMENT}),
    target=DossierState.IN_PROGRESS,
    event_type=EventType.DOSSIER_SUPPLEMENT_RECEIVED,
    command=ReceiveSupplement,
    handle=handle,
)
