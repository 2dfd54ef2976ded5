"""Assign: the dossier goes to a handling unit (or officer) inside the same responsibility."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from motcua.contracts import EventType
from services.intake.dossier.errors import unknown_reference
from services.intake.dossier.models import TransitionCommand, UnitCode
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions._spec import WORKING, Effect, Situation, TransitionSpec


class Handover(TransitionCommand):
    to_unit_code: UnitCode
    handler_ref: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="The handling officer's reference in the upstream system."
    )


class Assign(Handover):
    transition: Literal[Transition.ASSIGN]


def hand_over(command: Handover, situation: Situation, kind: Transition) -> Effect:
    """Assign and transfer record the same fact; only a transfer moves responsibility."""
    dossier = situation.dossier
    unit = situation.find_unit(command.to_unit_code)
    if unit is None:
        raise unknown_reference("to_unit_code", f"no unit has code {command.to_unit_code}")
    data: dict[str, Any] = {
        "kind": kind.value,
        "from_unit_code": dossier.unit_code,
        "to_unit_code": command.to_unit_code,
        "to_unit_path": unit.path,
    }
    if command.handler_ref:
        data["handler_ref"] = command.handler_ref
    changes: dict[str, Any] = {}
    if kind is Transition.TRANSFER:
        changes = {"unit_code": command.to_unit_code, "unit_path": unit.path}
    details = {k: data[k] for k in ("kind", "from_unit_code", "to_unit_code")}
    return Effect(dossier.clock, data=data, details=details, changes=changes)


def handle(command: Assign, situation: Situation) -> Effect:
    return hand_over(command, situation, Transition.ASSIGN)


SPEC = TransitionSpec(
    Transition.ASSIGN,
    sources=WORKING,
    target=DossierState.IN_PROGRESS,
    event_type=EventType.DOSSIER_ASSIGNED,
    command=Assign,
    handle=handle,
)
