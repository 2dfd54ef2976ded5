"""Every transition intake records: one module each, holding its rule (from which states,
to which), its command, its handler and its event type.

Adding a transition is one module here (plus its ``Transition`` member and its event
schema); ``tests/contracts/test_transitions.py`` walks them all and checks each has a
schema with examples, a handler, a case in deadlines' tracker and a line in docs/intake.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from services.intake.dossier.state import DossierState, IllegalTransition, Transition
from services.intake.dossier.transitions import (
    assign,
    complete,
    pause,
    receive_supplement,
    reject,
    request_supplement,
    reschedule,
    resume,
    return_result,
    transfer,
    withdraw,
)
from services.intake.dossier.transitions._spec import (
    Dossier,
    Effect,
    Situation,
    TransitionSpec,
    event_data,
)

SPECS: dict[Transition, TransitionSpec[Any]] = {
    module.SPEC.transition: module.SPEC
    for module in (
        assign,
        transfer,
        request_supplement,
        receive_supplement,
        pause,
        resume,
        reschedule,
        complete,
        return_result,
        reject,
        withdraw,
    )
}

UpstreamTransition = Annotated[
    assign.Assign
    | transfer.Transfer
    | request_supplement.RequestSupplement
    | receive_supplement.ReceiveSupplement
    | pause.Pause
    | resume.Resume
    | complete.Complete
    | return_result.ReturnResult
    | reject.Reject
    | withdraw.Withdraw,
    Field(discriminator="transition"),
]
"""The transitions an upstream system may ask for (REST, batch, Kafka); a reschedule comes
only from an issued apology letter."""


def allowed_transitions(state: DossierState, door: str = "upstream") -> list[Transition]:
    return [t for t, spec in SPECS.items() if state in spec.sources and spec.door == door]


def next_state(current: DossierState, transition: Transition) -> DossierState:
    spec = SPECS[transition]
    if current not in spec.sources:
        raise IllegalTransition(transition, current, allowed_transitions(current, spec.door))
    return spec.target_from(current)


__all__ = [
    "SPECS",
    "Dossier",
    "Effect",
    "Situation",
    "TransitionSpec",
    "UpstreamTransition",
    "allowed_transitions",
    "event_data",
    "next_state",
]
