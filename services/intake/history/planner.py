"""A validated history record as the rows and events intake would have written. Pure.

The record is replayed through intake's own domain code: the receipt as
:class:`~services.intake.dossier.plans.PreparedReceipt` builds it (clock started by
:mod:`~services.intake.dossier.clock`, or the recorded due date kept), then each recorded
fact, in time order, as the transition command intake would have received, decided by
:func:`~services.intake.dossier.plans.decide_transition` on the dossier as it stood. So
the events are the ones intake publishes for the same history, each at its recorded
time and marked ``history`` (closed when the record ends the dossier, else open).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from motcua.contracts import History
from services.intake.auth import Principal
from services.intake.dossier import clock as dossier_clock
from services.intake.dossier.code import DossierCode
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.fingerprint import fingerprint
from services.intake.dossier.models import Applicant, ReceiveDossier, TransitionCommand
from services.intake.dossier.plans import (
    PreparedReceipt,
    Written,
    applicant_ref,
    decide_transition,
    local_day,
    locked_dossier,
)
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.transitions import Situation
from services.intake.dossier.transitions.complete import Complete
from services.intake.dossier.transitions.pause import Pause
from services.intake.dossier.transitions.receive_supplement import ReceiveSupplement
from services.intake.dossier.transitions.reject import Reject
from services.intake.dossier.transitions.request_supplement import RequestSupplement
from services.intake.dossier.transitions.resume import Resume
from services.intake.dossier.transitions.return_result import ReturnResult
from services.intake.dossier.transitions.withdraw import Withdraw
from services.intake.history.record import HistoryRecord, LineError
from services.intake.reference.catalog import ProcedureInfo, UnitInfo
from services.intake.reference.models import PausePolicy


@dataclass(frozen=True)
class KnownUnit:
    """A unit as the importer checks it: what a receipt reads, and when it was retired."""

    info: UnitInfo
    retired_on: date | None = None
    successor: str | None = None


@dataclass(frozen=True)
class PlannedDossier:
    """What one record writes: the dossier's final row, its applicant, its timeline and
    events in order, and the daily counter its code holds a number of."""

    dossier: dict[str, Any]
    applicant: dict[str, Any]
    written: list[Written]
    counter: tuple[str, date, int]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [w.event for w in self.written]


def _event_id(record: HistoryRecord, step: int) -> str:
    """The upstream event id of a recorded fact: stable, so the timeline's idempotency key
    names the import and the fact."""
    return f"history:{record.dossier_code}:{step}"


def _outcome_commands(record: HistoryRecord) -> list[tuple[str, dict[str, Any]]]:
    """The closing facts: (the field an error names, the command's fields)."""
    closing: dict[str, Any] = {"occurred_at": record.outcome_at}
    if record.outcome_reason:
        closing["reason"] = record.outcome_reason
    if record.outcome == "rejected":
        return [("outcome", {"transition": "reject", **closing})]
    if record.outcome == "withdrawn":
        return [("outcome", {"transition": "withdraw", **closing})]
    if record.outcome is None:
        return []
    complete = {
        "transition": "complete",
        "occurred_at": record.completed_at,
        "outcome": record.result,
    }
    if record.outcome == "completed":
        return [("completed_at", complete)]
    returned = {
        "transition": "return_result",
        "occurred_at": record.returned_at,
        "channel": record.return_channel,
    }
    return [("completed_at", complete), ("returned_at", returned)]


def _facts(record: HistoryRecord) -> list[tuple[str, dict[str, Any]]]:
    """Every recorded fact after the receipt, in time order (a tie keeps the file's
    order: a request before its supplement, a pause before its resumption)."""
    facts: list[tuple[str, dict[str, Any]]] = []
    for i, supplement in enumerate(record.supplements):
        facts.append(
            (
                f"supplements.{i}.requested_at",
                {
                    "transition": "request_supplement",
                    "occurred_at": supplement.requested_at,
                    "reason": supplement.reason,
                },
            )
        )
        if supplement.received_at is not None:
            facts.append(
                (
                    f"supplements.{i}.received_at",
                    {"transition": "receive_supplement", "occurred_at": supplement.received_at},
                )
            )
    for i, pause in enumerate(record.pauses):
        fields = {
            "transition": "pause",
            "occurred_at": pause.start,
            "reason_code": pause.reason_code,
        }
        if pause.reason:
            fields["reason"] = pause.reason
        facts.append((f"pauses.{i}.from", fields))
        if pause.end is not None:
            facts.append((f"pauses.{i}.to", {"transition": "resume", "occurred_at": pause.end}))
    facts.sort(key=lambda fact: fact[1]["occurred_at"])
    return facts + _outcome_commands(record)


_COMMANDS: dict[str, type[TransitionCommand]] = {
    "request_supplement": RequestSupplement,
    "receive_supplement": ReceiveSupplement,
    "pause": Pause,
    "resume": Resume,
    "complete": Complete,
    "return_result": ReturnResult,
    "reject": Reject,
    "withdraw": Withdraw,
}


def _receipt(
    record: HistoryRecord, unit: UnitInfo, procedure: ProcedureInfo, rules: IntakeRules
) -> PreparedReceipt:
    """The receipt as intake would have prepared it, its due date the recorded one when
    the file says so."""
    person = record.applicant
    command = ReceiveDossier(
        event_id=_event_id(record, 1),
        occurred_at=record.received_at,
        procedure_code=record.procedure_code,
        unit_code=record.unit_code,
        channel=record.received_channel,
        contact_preference=record.contact_preference,
        applicant=Applicant(
            kind=person.kind,
            full_name=person.name,
            id_number=person.id_number,
            phone=person.phone,
            email=person.email,
            address=person.address,
        ),
    )
    clock = dossier_clock.start(
        rules.calendar,
        record.received_at,
        paper=record.received_channel != "online",
        processing_time=procedure.processing_time,
        cutoff=rules.paper_cutoff,
    )
    if record.due_rule == "recorded" and record.due_at is not None:
        clock = replace(clock, due_at=record.due_at)
    ref = applicant_ref(rules, person.kind, person.id_number)
    return PreparedReceipt(command, unit, procedure, clock, ref, fingerprint(command))


def _check_unit(record: HistoryRecord, unit: KnownUnit) -> None:
    """A retired unit received dossiers only before it was retired."""
    if unit.retired_on is not None and local_day(record.received_at) >= unit.retired_on:
        raise LineError(
            "unit_code",
            f"unit {record.unit_code} was retired on {unit.retired_on} (successor "
            f"{unit.successor}); a dossier received on or after that day needs a current unit",
        )
    code = DossierCode.parse(record.dossier_code)
    if code.unit_code != record.unit_code:
        raise LineError(
            "dossier_code", f"the code's unit {code.unit_code} is not unit_code {record.unit_code}"
        )


def _initial_row(receipt: PreparedReceipt, dossier: dict[str, Any], code: str) -> dict[str, Any]:
    """The dossier row as intake stores it right after the receipt."""
    row = {key: value for key, value in dossier.items() if key != "day"}
    return row | {
        "code": code,
        "original_due_at": receipt.clock.due_at,
        "rescheduled_due_at": None,
        "paused_at": None,
        "remaining_seconds": None,
        "supplement_count": 0,
        "completed_at": None,
        "sequence": 1,
        "last_event_at": receipt.command.occurred_at,
    }


def _situation(
    row: dict[str, Any], at: datetime, procedure: ProcedureInfo, rules: IntakeRules
) -> Situation:
    return Situation(
        dossier=locked_dossier(row),
        at=at,
        calendar=rules.calendar,
        processing_time=procedure.processing_time,
        pause_stops_clock=procedure.pause_policy != PausePolicy.CLOCK_RUNS,
        paper_cutoff=rules.paper_cutoff,
        reschedule_once=rules.reschedule_once,
        find_unit=lambda _code: None,
    )


def plan(
    record: HistoryRecord,
    *,
    unit: KnownUnit,
    procedure: ProcedureInfo,
    rules: IntakeRules,
    principal: Principal,
) -> PlannedDossier:
    """The rows and events of ``record``; :class:`LineError` when intake's state machine or
    clock refuses one of its facts."""
    _check_unit(record, unit)
    history = History.CLOSED if record.closed else History.OPEN
    receipt = _receipt(record, unit.info, procedure, rules)
    new = receipt.new_dossier(principal, code=record.dossier_code, history=history)
    row = _initial_row(receipt, new.dossier, record.dossier_code)
    written = [new.written]
    for step, (field, fields) in enumerate(_facts(record), start=2):
        command = _COMMANDS[fields["transition"]].model_validate(
            {**fields, "event_id": _event_id(record, step)}
        )
        situation = _situation(row, command.occurred_at, procedure, rules)
        try:
            decided = decide_transition(command, situation, principal=principal, history=history)
        except IntakeError as exc:
            raise LineError(field, exc.detail) from exc
        row.update(decided.changes)
        written.append(decided.written)
    code = DossierCode.parse(record.dossier_code)
    return PlannedDossier(
        row, new.applicant, written, (code.unit_code, code.received_on, code.sequence)
    )
