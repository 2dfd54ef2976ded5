"""What a command writes, decided without writing it: a receipt's rows and event, a
transition's changes and event, the outcome each answers, a replay's stored outcome.

Nothing here runs SQL (``db_session`` only refreshes the catalogue); the store
(:mod:`~services.intake.dossier.store`) writes what is planned here, and the service
(:mod:`~services.intake.dossier.service`) puts the two together.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from psycopg import Connection

from motcua.contracts import EventType, History, format_instant, new_event
from motcua.dossier import LOCAL_ZONE, ClockState, local_instant
from services.intake.auth import Principal
from services.intake.dossier import clock as dossier_clock
from services.intake.dossier.code import MAX_PER_DAY, DossierCode
from services.intake.dossier.errors import (
    IntakeError,
    out_of_order,
    retired_unit,
    unknown_reference,
)
from services.intake.dossier.fingerprint import fingerprint
from services.intake.dossier.models import ReceiveDossier, TransitionCommand
from services.intake.dossier.receipt import Receipt
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.state import DossierState, IllegalTransition, Transition
from services.intake.dossier.transitions import (
    SPECS,
    Dossier,
    Effect,
    Situation,
    allowed_transitions,
    event_data,
    next_state,
)
from services.intake.metrics import RECEIVED, TRANSITIONS
from services.intake.reference.catalog import ProcedureInfo, UnitInfo, unit_accepts
from services.intake.reference.models import PausePolicy

SOURCE = "/motcua/intake"


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False
    events: list[str] = field(default_factory=list)
    counts: tuple[Callable[[float], None], ...] = ()
    """Metrics to count once the transaction has committed (:func:`committed`): a batch
    tried at once and rolled back must not have counted its dossiers."""
    receipt: Callable[[], Receipt] | None = None
    """Mẫu 01 of a dossier just received, from what the transaction wrote, once it is
    numbered (never stored: it names the citizen; a replay reads it again from the
    store)."""


Result = Outcome | IntakeError
"""A command's answer: what it did (or replayed), or why it was refused."""


def committed(outcomes: Iterable[Outcome]) -> None:
    """The transaction that produced ``outcomes`` committed: count them, each metric once
    with its total (a batch of 1,000 receipts is a handful of increments, not 1,000)."""
    totals = Counter(count for outcome in outcomes for count in outcome.counts)
    for count, times in totals.items():
        count(times)


def replayed(recorded: tuple[Any, ...], event_id: str, request: bytes) -> Outcome:
    """The outcome stored for ``event_id`` (a row of ``store.RECORDED_COLUMNS``), for the
    same request (fingerprint) sent again.

    The same id with a different request is refused (422, as the IETF idempotency-key draft
    and payment APIs do), naming what the id was first used for; rows older than the
    fingerprint column replay as before.
    """
    _, outcome, stored, transition, published_id, dossier_code = recorded
    if stored is not None and bytes(stored) != request:
        detail = (
            f"event_id {event_id} was already used for {transition} of dossier {dossier_code} "
            f"(event {published_id}) with a different request; a new command needs a new "
            "event_id"
        )
        raise IntakeError(
            422,
            "Event id reused",
            detail,
            errors=[{"field": "event_id", "message": "already used for a different request"}],
            original={
                "transition": transition,
                "dossier_code": dossier_code,
                "event_id": published_id,
            },
            reason="event_id_reused",
        )
    return Outcome(outcome["status"], outcome["body"], replayed=True)


def sequence_exhausted(unit_code: str, day: date) -> IntakeError:
    return IntakeError(
        409,
        "Daily sequence exhausted",
        f"unit {unit_code} has received {MAX_PER_DAY} dossiers on {day}; the national code "
        "format has four digits for the sequence",
        reason="sequence_exhausted",
    )


def local_day(at: datetime) -> date:
    """The day whose daily sequence numbers a receipt at ``at``."""
    return at.astimezone(LOCAL_ZONE).date()


def applicant_ref(rules: IntakeRules, kind: str, id_number: str | None) -> str:
    """A pseudonym: stable per person when a key is configured, else random per dossier."""
    if rules.applicant_ref_key and id_number:
        digest = hmac.new(rules.applicant_ref_key, f"{kind}:{id_number}".encode(), hashlib.sha256)
        return "apl_" + digest.hexdigest()[:32]
    return "apl_" + secrets.token_urlsafe(24)


def _event(
    event_type: EventType,
    dossier_id: uuid.UUID,
    data: dict[str, Any],
    at: datetime,
    history: History | None = None,
) -> dict[str, Any]:
    subject = str(dossier_id)
    return new_event(
        event_type, source=SOURCE, subject=subject, data=data, time=at, history=history
    )


@dataclass(frozen=True)
class Written:
    """A change ready to write: its timeline entry, its event, and the outcome to answer.

    Built with no lock held and no I/O; the store writes many in a few statements.
    """

    dossier_id: uuid.UUID
    sequence: int
    principal: Principal
    command_id: str
    transition: str
    occurred_at: datetime
    details: dict[str, Any]
    event: dict[str, Any]
    outcome: Outcome
    request: bytes

    def timeline_row(self) -> dict[str, Any]:
        """A ``dossier_events`` row; ``request`` is compared by :func:`replayed` later."""
        return {
            "dossier_id": self.dossier_id,
            "sequence": self.sequence,
            "source_system": self.principal.system_id,
            "upstream_event_id": self.command_id,
            "event_id": self.event["id"],
            "transition": self.transition,
            "occurred_at": self.occurred_at,
            "details": self.details,
            "outcome": {"status": self.outcome.status, "body": self.outcome.body},
            "request": self.request,
        }


@dataclass(frozen=True)
class NewDossier:
    """A receipt ready to write: its dossier and applicant rows, and what it publishes.

    Its daily sequence number is not known yet: the statement that writes the dossier
    takes it from the counter (``k``-th of the ``n`` receipts of its unit's day in this
    write), so the counter is locked only for the statements that write. The event was
    validated with ``0000`` in its place, the same shape; the statements put the real one
    into what is stored and published, and :meth:`number` into what is answered.
    """

    dossier: dict[str, Any]
    applicant: dict[str, Any]
    written: Written
    counter: tuple[str, date]

    def number(self, sequence: int) -> None:
        self.written.outcome.body["dossier_code"] = str(DossierCode(*self.counter, sequence))


@dataclass(frozen=True)
class PreparedReceipt:
    """A receipt checked against the catalogue and the caller's scope, its clock started:
    all it still needs is its daily sequence number."""

    command: ReceiveDossier
    unit: UnitInfo
    procedure: ProcedureInfo
    clock: dossier_clock.Clock
    applicant_ref: str
    request: bytes

    @property
    def counter(self) -> tuple[str, date]:
        return self.command.unit_code, local_day(self.command.occurred_at)

    def receipt(self, code: str) -> Receipt:
        """Mẫu 01 as the store reads it back, from what this receipt wrote."""
        command, applicant, processing = (
            self.command,
            self.command.applicant,
            self.procedure.processing_time,
        )
        return Receipt(
            agency=self.unit.name,
            parent_agency=self.unit.parent_name,
            agency_address=self.unit.address,
            agency_head_title=self.unit.head_title,
            agency_phone=self.unit.public_phone,
            dossier_code=code,
            procedure_code=command.procedure_code,
            procedure_name=self.procedure.name,
            applicant_name=applicant.full_name,
            applicant_phone=applicant.phone,
            applicant_email=applicant.email,
            applicant_address=applicant.address,
            contact_preference=command.contact_preference,
            channel=command.channel,
            documents=tuple(command.documents),
            processing_amount=processing.amount,
            processing_unit=processing.unit,
            received_at=command.occurred_at,
            due_at=self.clock.due_at,
        )

    def _clock_json(self) -> dict[str, Any]:
        due = self.clock.due_at
        return ClockState(running=True, due_at=due, original_due_at=due).as_json()

    def _event_data(self, dossier_id: uuid.UUID, code: str) -> dict[str, Any]:
        """``dossier.received``'s data."""
        command, processing = self.command, self.procedure.processing_time
        return {
            "dossier_id": str(dossier_id),
            "dossier_code": code,
            "unit_code": command.unit_code,
            "unit_path": self.unit.path,
            "procedure_code": command.procedure_code,
            "sequence": 1,
            "channel": command.channel,
            "applicant_ref": self.applicant_ref,
            "applicant_kind": command.applicant.kind,
            "contact_preference": command.contact_preference,
            "received_at": format_instant(command.occurred_at),
            "clock_starts_at": format_instant(self.clock.started_at),
            "processing_time": {"amount": processing.amount, "unit": processing.unit},
            "online_level": self.procedure.online_level,
            "clock": self._clock_json(),
        }

    def _outcome(self, dossier_id: uuid.UUID, code: str, event_id: str) -> Outcome:
        """The 201 the receipt answers (its code numbered once written)."""
        command, processing = self.command, self.procedure.processing_time
        body: dict[str, Any] = {
            "dossier_id": str(dossier_id),
            "dossier_code": code,
            "state": DossierState.RECEIVED.value,
            "received_at": format_instant(command.occurred_at),
            "clock_started_at": format_instant(self.clock.started_at),
            "due_at": format_instant(self.clock.due_at),
            "processing_time": {"amount": processing.amount, "unit": processing.unit},
            "clock": self._clock_json(),
            "event_id": event_id,
        }
        return Outcome(
            201,
            body,
            events=[event_id],
            counts=(RECEIVED.labels(command.channel, self.unit.level).inc,),
            receipt=lambda: self.receipt(body["dossier_code"]),
        )

    def _dossier_row(self, dossier_id: uuid.UUID, principal: Principal) -> dict[str, Any]:
        command = self.command
        return {
            "id": dossier_id,
            "day": self.counter[1].isoformat(),
            "procedure_code": command.procedure_code,
            "unit_code": command.unit_code,
            "unit_path": self.unit.path,
            "channel": command.channel,
            "state": DossierState.RECEIVED.value,
            "applicant_ref": self.applicant_ref,
            "contact_preference": command.contact_preference,
            "received_at": command.occurred_at,
            "clock_started_at": self.clock.started_at,
            "due_at": self.clock.due_at,
            "source_system": principal.system_id,
        }

    def new_dossier(
        self, principal: Principal, *, code: str | None = None, history: History | None = None
    ) -> NewDossier:
        """The receipt's rows and event, its sequence number still to come (``code``: an
        imported dossier's own, with its ``history`` mark)."""
        command = self.command
        unit_code, day = self.counter
        code = code or f"{unit_code}-{day:%y%m%d}-0000"
        dossier_id = uuid.uuid4()
        data = self._event_data(dossier_id, code)
        event = _event(EventType.DOSSIER_RECEIVED, dossier_id, data, command.occurred_at, history)
        written = Written(
            dossier_id,
            1,
            principal,
            command.event_id,
            "receive",
            command.occurred_at,
            {"channel": command.channel, "documents": command.documents},
            event,
            self._outcome(dossier_id, code, event["id"]),
            self.request,
        )
        applicant = {"ref": self.applicant_ref, **command.applicant.model_dump()}
        return NewDossier(
            self._dossier_row(dossier_id, principal), applicant, written, self.counter
        )


def prepare_receipt(
    command: ReceiveDossier, *, principal: Principal, rules: IntakeRules, db_session: Connection
) -> PreparedReceipt:
    """Check a receipt's unit, scope and procedure and start its clock (``db_session``
    only refreshes the catalogue); raises :class:`IntakeError` for a refusal."""
    unit = rules.catalog.unit(command.unit_code, db_session=db_session)
    if unit is None:
        raise unknown_reference("unit_code", f"no unit has code {command.unit_code}")
    if not principal.covers(unit.path):
        raise IntakeError(
            403,
            "Outside your units",
            f"{principal.name} may write for the units under {principal.unit_code} only",
            reason="out_of_scope",
        )
    if not unit_accepts(unit, local_day(command.occurred_at)):
        assert unit.retired_on is not None
        raise retired_unit(command.unit_code, unit.retired_on, unit.successor)
    procedure = rules.catalog.procedure(command.procedure_code, db_session=db_session)
    if procedure is None or not procedure.active:
        raise unknown_reference(
            "procedure_code", f"no active procedure has code {command.procedure_code}"
        )
    clock = dossier_clock.start(
        rules.calendar,
        command.occurred_at,
        paper=command.channel != "online",
        processing_time=procedure.processing_time,
        cutoff=rules.paper_cutoff,
    )
    applicant = command.applicant
    return PreparedReceipt(
        command,
        unit,
        procedure,
        clock,
        applicant_ref(rules, applicant.kind, applicant.id_number),
        fingerprint(command),
    )


def locked_dossier(row: dict[str, Any]) -> Dossier:
    """A dossier row (``store.LOCK_DOSSIER_SQL``'s columns) as the transitions read it."""
    remaining = row["remaining_seconds"]
    return Dossier(
        id=str(row["id"]),
        code=row["code"],
        procedure_code=row["procedure_code"],
        unit_code=row["unit_code"],
        unit_path=tuple(row["unit_path"]),
        channel=row["channel"],
        state=DossierState(row["state"]),
        clock=dossier_clock.Clock(
            row["clock_started_at"],
            row["due_at"],
            row["paused_at"],
            timedelta(seconds=remaining) if remaining is not None else None,
        ),
        original_due_at=row["original_due_at"],
        rescheduled_due_at=row["rescheduled_due_at"],
        supplement_count=row["supplement_count"],
        sequence=row["sequence"],
        last_event_at=row["last_event_at"],
        contact_preference=row["contact_preference"],
    )


@dataclass(frozen=True)
class PlannedTransition:
    """A transition decided on a locked dossier: the columns it changes, and what it
    writes to the timeline and publishes."""

    changes: dict[str, Any]
    written: Written


def _target(dossier: Dossier, command: TransitionCommand) -> DossierState:
    """The state ``command`` leads to; 409 when the state machine or time forbids it."""
    try:
        target = next_state(dossier.state, Transition(command.transition))
    except IllegalTransition as exc:
        raise IntakeError(
            409,
            "Illegal transition",
            str(exc),
            current_state=dossier.state.value,
            allowed_transitions=[t.value for t in exc.allowed],
            reason="illegal_transition",
        ) from exc
    if command.occurred_at < dossier.last_event_at and must_follow_last_event(command):
        raise out_of_order(command.occurred_at, dossier.last_event_at)
    return target


def must_follow_last_event(command: TransitionCommand) -> bool:
    """Whether a command dated before the dossier's last event is refused. An issued
    apology letter is not: it is the law's answer to the lateness, and the desk may well
    have recorded a step between the letter's signing and intake reading it. Refusing it
    would leave the citizen holding a new date intake never knew of."""
    return command.transition != Transition.RESCHEDULE


def recorded_at(command: TransitionCommand, dossier: Dossier) -> datetime:
    """When the timeline records ``command``: its own instant, or for a letter that
    arrives after a later step, that step's instant (the timeline stays in order; the
    letter keeps its date of issue in deadlines' record and on the letter)."""
    if must_follow_last_event(command):
        return command.occurred_at
    return max(command.occurred_at, dossier.last_event_at)


def _situation(
    dossier: Dossier, at: datetime, rules: IntakeRules, db_session: Connection
) -> Situation:
    procedure = rules.catalog.procedure(dossier.procedure_code, db_session=db_session)
    assert procedure is not None
    return Situation(
        dossier=dossier,
        at=at,
        calendar=rules.calendar,
        processing_time=procedure.processing_time,
        pause_stops_clock=procedure.pause_policy != PausePolicy.CLOCK_RUNS,
        paper_cutoff=rules.paper_cutoff,
        reschedule_once=rules.reschedule_once,
        find_unit=lambda unit_code: rules.catalog.unit(unit_code, db_session=db_session),
    )


def _changes(target: DossierState, sequence: int, at: datetime, effect: Effect) -> dict[str, Any]:
    """The dossier's columns the transition sets."""
    after = effect.clock
    remaining = after.remaining
    return {
        "state": target.value,
        "sequence": sequence,
        "last_event_at": at,
        "clock_started_at": after.started_at,
        "due_at": after.due_at,
        "paused_at": after.stopped_at,
        "remaining_seconds": int(remaining.total_seconds()) if remaining is not None else None,
        **effect.changes,
    }


def plan_transition(
    row: dict[str, Any],
    command: TransitionCommand,
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> PlannedTransition:
    """Decide ``command`` on the dossier ``row`` (locked, ``store.LOCK_DOSSIER_SQL``'s
    columns); raises :class:`IntakeError` for a refusal. ``db_session`` only refreshes
    the catalogue."""
    dossier = locked_dossier(row)
    situation = _situation(dossier, recorded_at(command, dossier), rules, db_session)
    return decide_transition(command, situation, principal=principal)


def decide_transition(
    command: TransitionCommand,
    situation: Situation,
    *,
    principal: Principal,
    history: History | None = None,
) -> PlannedTransition:
    """Decide ``command`` on ``situation.dossier``, with no I/O; raises
    :class:`IntakeError` for a refusal. ``history`` marks an imported dossier's events."""
    dossier = situation.dossier
    transition = Transition(command.transition)
    target = _target(dossier, command)
    at = recorded_at(command, dossier)
    effect = SPECS[transition].handle(command, situation)
    sequence, after = dossier.sequence + 1, effect.clock
    changes = _changes(target, sequence, at, effect)
    data = event_data(dossier, effect, target)
    dossier_id = uuid.UUID(dossier.id)
    event = _event(SPECS[transition].event_type, dossier_id, data, at, history)
    body = {
        "dossier_id": dossier.id,
        "dossier_code": dossier.code,
        "state": target.value,
        "sequence": sequence,
        "due_at": local_instant(after.due_at),
        "clock": data["clock"],
        "allowed_transitions": [t.value for t in allowed_transitions(target)],
        "event_id": event["id"],
    }
    outcome = Outcome(
        200, body, events=[event["id"]], counts=(TRANSITIONS.labels(transition.value).inc,)
    )
    request = fingerprint(command, dossier.code)
    written = Written(
        dossier_id,
        sequence,
        principal,
        command.event_id,
        transition.value,
        at,
        effect.details,
        event,
        outcome,
        request,
    )
    return PlannedTransition(changes, written)
