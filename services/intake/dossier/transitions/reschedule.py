"""Reschedule: the apology letter (Mẫu 04) gave the citizen a new appointment date.

Nghị định 61/2018 Điều 19 khoản 9: the appointment may be moved **once**; a dossier that
misses the new date too stays late and is escalated, never rescheduled again. Only the
platform's own issued letters ask for it (intake consumes ``motcua.apology-letters``), so
the due date has one owner: the desk's system, here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, StringConstraints

from motcua.contracts import EventType
from motcua.dossier import local_instant
from services.intake.dossier import clock
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.models import TransitionCommand
from services.intake.dossier.state import Transition
from services.intake.dossier.transitions._spec import OPEN, Effect, Situation, TransitionSpec

LetterNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]+/PXL$")]


class Reschedule(TransitionCommand):
    transition: Literal[Transition.RESCHEDULE]
    new_due_at: AwareDatetime
    letter_number: LetterNumber


def handle(command: Reschedule, situation: Situation) -> Effect:
    dossier = situation.dossier
    if dossier.rescheduled_due_at is not None and situation.reschedule_once:
        raise IntakeError(
            409,
            "Already rescheduled",
            "the appointment may be moved once only; it was moved to "
            f"{local_instant(dossier.rescheduled_due_at)}",
            rescheduled_due_at=local_instant(dossier.rescheduled_due_at),
            reason="already_rescheduled",
        )
    if command.new_due_at <= dossier.clock.due_at:
        detail = (
            f"the new appointment {local_instant(command.new_due_at)} is not after the one "
            f"in force, {local_instant(dossier.clock.due_at)}"
        )
        raise IntakeError(
            422,
            "Invalid request",
            detail,
            errors=[{"field": "new_due_at", "message": detail}],
            reason="not_later",
        )
    unit = situation.processing_time.unit
    moved = clock.reschedule(situation.calendar, dossier.clock, command.new_due_at, unit=unit)
    return Effect(
        moved,
        data={
            "previous_due_at": local_instant(dossier.clock.due_at),
            "new_due_at": local_instant(command.new_due_at),
            "letter_number": command.letter_number,
        },
        details={"letter_number": command.letter_number},
        changes={"rescheduled_due_at": command.new_due_at},
    )


SPEC = TransitionSpec(
    Transition.RESCHEDULE,
    sources=OPEN,
    target=None,
    event_type=EventType.DOSSIER_RESCHEDULED,
    command=Reschedule,
    handle=handle,
    door="apology_letters",
)
