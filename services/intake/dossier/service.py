"""Receive dossiers and record their transitions: the one code path behind REST, batch and Kafka.

Each function works inside the caller's transaction (``db_session``) and writes the state
change, the timeline entry and the outbox row together, so an event is published if and
only if its change committed. Errors raise :class:`IntakeError` before anything is
written, or the caller rolls the transaction (or its savepoint) back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from motcua.calendar import WorkingCalendar
from motcua.contracts import EventType, format_instant, new_event
from motcua.dossier import LOCAL_ZONE, ClockState, local_instant
from motcua.kafka import Topic
from motcua.outbox import enqueue
from services.intake.auth import Principal
from services.intake.dossier import clock as dossier_clock
from services.intake.dossier.code import MAX_PER_DAY, DossierCode
from services.intake.dossier.errors import (
    IntakeError,
    no_such_dossier,
    out_of_order,
    unknown_reference,
)
from services.intake.dossier.fingerprint import fingerprint
from services.intake.dossier.models import (
    DossierView,
    ReceiveDossier,
    TimelineEntry,
    TransitionCommand,
)
from services.intake.dossier.receipt import Receipt
from services.intake.dossier.state import DossierState, IllegalTransition, Transition
from services.intake.dossier.transitions import (
    SPECS,
    Dossier,
    Situation,
    allowed_transitions,
    event_data,
    next_state,
)
from services.intake.dossier.window import InstantWindow
from services.intake.metrics import RECEIVED, TRANSITIONS
from services.intake.reference.catalog import ReferenceCatalog
from services.intake.reference.models import PausePolicy

SOURCE = "/motcua/intake"


@dataclass(frozen=True)
class IntakeRules:
    """The configurable parts of the law (DOMAIN.md marks them so), and the catalogue."""

    calendar: WorkingCalendar
    catalog: ReferenceCatalog = field(default_factory=ReferenceCatalog)
    paper_cutoff: time = time(15)
    applicant_ref_key: bytes | None = None
    window: InstantWindow = field(default_factory=InstantWindow)
    reschedule_once: bool = True


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False
    events: list[str] = field(default_factory=list)
    counts: tuple[Callable[[], None], ...] = ()
    """Metrics to count once the transaction has committed (:func:`committed`): a batch
    tried at once and rolled back must not have counted its dossiers."""


def committed(outcomes: Iterable[Outcome]) -> None:
    """The transaction that produced ``outcomes`` committed: count them."""
    for outcome in outcomes:
        for count in outcome.counts:
            count()


def _replay(
    principal: Principal, event_id: str, request: bytes, *, db_session: Connection
) -> Outcome | None:
    """The stored outcome when ``event_id`` was seen with this same request (fingerprint).

    The same id with a different request is refused (422, as the IETF idempotency-key draft
    and payment APIs do), naming what the id was first used for; rows older than the
    fingerprint column replay as before.
    """
    row = db_session.execute(
        "SELECT e.outcome, e.request_sha256, e.transition, e.event_id, d.code "
        "FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id "
        "WHERE e.source_system = %s AND e.upstream_event_id = %s",
        (principal.system_id, event_id),
    ).fetchone()
    if row is None:
        return None
    outcome, stored, transition, published_id, dossier_code = row
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


def _applicant_ref(rules: IntakeRules, kind: str, id_number: str | None) -> str:
    """A pseudonym: stable per person when a key is configured, else random per dossier."""
    if rules.applicant_ref_key and id_number:
        digest = hmac.new(rules.applicant_ref_key, f"{kind}:{id_number}".encode(), hashlib.sha256)
        return "apl_" + digest.hexdigest()[:32]
    return "apl_" + secrets.token_urlsafe(24)


def _next_code(unit_code: str, received_at: datetime, *, db_session: Connection) -> str:
    day = received_at.astimezone(LOCAL_ZONE).date()
    row = db_session.execute(
        "INSERT INTO dossier_code_counters (unit_code, day, last) VALUES (%s, %s, 1) "
        "ON CONFLICT (unit_code, day) DO UPDATE SET last = dossier_code_counters.last + 1 "
        "RETURNING last",
        (unit_code, day),
    ).fetchone()
    assert row is not None
    if row[0] > MAX_PER_DAY:
        raise IntakeError(
            409,
            "Daily sequence exhausted",
            f"unit {unit_code} has received {MAX_PER_DAY} dossiers on {day}; the national code "
            "format has four digits for the sequence",
            reason="sequence_exhausted",
        )
    return str(DossierCode(unit_code, day, row[0]))


def _publish(
    event_type: EventType,
    dossier_id: uuid.UUID,
    data: dict[str, Any],
    at: datetime,
    *,
    db_session: Connection,
) -> str:
    event = new_event(event_type, source=SOURCE, subject=str(dossier_id), data=data, time=at)
    return enqueue(
        event, topic=Topic.DOSSIER_EVENTS.value, key=str(dossier_id), db_session=db_session
    )


def _record(
    dossier_id: uuid.UUID,
    sequence: int,
    principal: Principal,
    command_id: str,
    event_id: str,
    transition: str,
    occurred_at: datetime,
    details: dict[str, Any],
    outcome: Outcome,
    *,
    request: bytes,
    db_session: Connection,
) -> None:
    """``request`` is the command's fingerprint, compared by :func:`_replay` later."""
    db_session.execute(
        "INSERT INTO dossier_events (dossier_id, sequence, source_system, upstream_event_id, "
        "event_id, transition, occurred_at, details, outcome, request_sha256) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            dossier_id,
            sequence,
            principal.system_id,
            command_id,
            event_id,
            transition,
            occurred_at,
            Jsonb(details),
            Jsonb({"status": outcome.status, "body": outcome.body}),
            request,
        ),
    )


def receive_dossier(
    command: ReceiveDossier,
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
    maybe_replay: bool = True,
) -> Outcome:
    """``maybe_replay=False`` when the caller already knows the event id is new (batch)."""
    if maybe_replay:
        replayed = _replay(principal, command.event_id, fingerprint(command), db_session=db_session)
        if replayed:
            return replayed
    unit = rules.catalog.unit(command.unit_code, db_session=db_session)
    if unit is None:
        raise unknown_reference("unit_code", f"no unit has code {command.unit_code}")
    unit_path, unit_level = unit.path, unit.level
    if not principal.covers(unit_path):
        raise IntakeError(
            403,
            "Outside your units",
            f"{principal.name} may write for the units under {principal.unit_code} only",
            reason="out_of_scope",
        )
    procedure = rules.catalog.procedure(command.procedure_code, db_session=db_session)
    if procedure is None or not procedure.active:
        raise unknown_reference(
            "procedure_code", f"no active procedure has code {command.procedure_code}"
        )
    processing = procedure.processing_time
    clock = dossier_clock.start(
        rules.calendar,
        command.occurred_at,
        paper=command.channel != "online",
        processing_time=processing,
        cutoff=rules.paper_cutoff,
    )
    # Locks in the one global order: the day's counter first, then the applicant (a batch
    # pre-locks every counter it needs before any applicant; the other order deadlocks).
    code = _next_code(command.unit_code, command.occurred_at, db_session=db_session)
    applicant = command.applicant
    applicant_ref = _applicant_ref(rules, applicant.kind, applicant.id_number)
    db_session.execute(
        "INSERT INTO applicants (ref, kind, full_name, id_number, phone, email, address) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (ref) DO UPDATE SET "
        "full_name = EXCLUDED.full_name, phone = EXCLUDED.phone, email = EXCLUDED.email, "
        "address = EXCLUDED.address, updated_at = now()",
        (
            applicant_ref,
            applicant.kind,
            applicant.full_name,
            applicant.id_number,
            applicant.phone,
            applicant.email,
            applicant.address,
        ),
    )
    dossier_id = uuid.uuid4()
    db_session.execute(
        "INSERT INTO dossiers (id, code, procedure_code, unit_code, unit_path, channel, state, "
        "applicant_ref, contact_preference, received_at, clock_started_at, due_at, "
        "original_due_at, sequence, source_system, last_event_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s, %s)",
        (
            dossier_id,
            code,
            command.procedure_code,
            command.unit_code,
            unit_path,
            command.channel,
            DossierState.RECEIVED.value,
            applicant_ref,
            command.contact_preference,
            command.occurred_at,
            clock.started_at,
            clock.due_at,
            clock.due_at,
            principal.system_id,
            command.occurred_at,
        ),
    )
    clock_json = ClockState(
        running=True, due_at=clock.due_at, original_due_at=clock.due_at
    ).as_json()
    data = {
        "dossier_id": str(dossier_id),
        "dossier_code": code,
        "unit_code": command.unit_code,
        "unit_path": unit_path,
        "procedure_code": command.procedure_code,
        "sequence": 1,
        "channel": command.channel,
        "applicant_ref": applicant_ref,
        "applicant_kind": applicant.kind,
        "contact_preference": command.contact_preference,
        "received_at": format_instant(command.occurred_at),
        "clock_starts_at": format_instant(clock.started_at),
        "processing_time": {"amount": processing.amount, "unit": processing.unit},
        "online_level": procedure.online_level,
        "clock": clock_json,
    }
    event_id = _publish(
        EventType.DOSSIER_RECEIVED, dossier_id, data, command.occurred_at, db_session=db_session
    )
    body = {
        "dossier_id": str(dossier_id),
        "dossier_code": code,
        "state": DossierState.RECEIVED.value,
        "received_at": format_instant(command.occurred_at),
        "clock_started_at": format_instant(clock.started_at),
        "due_at": format_instant(clock.due_at),
        "processing_time": {"amount": processing.amount, "unit": processing.unit},
        "clock": clock_json,
        "event_id": event_id,
    }
    outcome = Outcome(201, body, events=[event_id])
    _record(
        dossier_id,
        1,
        principal,
        command.event_id,
        event_id,
        "receive",
        command.occurred_at,
        {"channel": command.channel, "documents": command.documents},
        outcome,
        request=fingerprint(command),
        db_session=db_session,
    )
    return replace(outcome, counts=(RECEIVED.labels(command.channel, unit_level).inc,))


_DOSSIER_COLUMNS = (
    "id, code, procedure_code, unit_code, unit_path, channel, state, received_at, "
    "clock_started_at, due_at, original_due_at, rescheduled_due_at, paused_at, "
    "remaining_seconds, supplement_count, completed_at, sequence, last_event_at"
)

OVERDUE_SQL = (
    "CASE WHEN completed_at IS NOT NULL THEN completed_at > due_at "
    "ELSE state IN ('received', 'in_progress', 'awaiting_supplement', 'paused') "
    "AND paused_at IS NULL AND due_at < now() END"
)
"""``motcua.dossier.is_overdue`` / ``finished_late`` in SQL, so a list filtered on it and
each item's ``overdue`` field say the same (a test holds the two definitions together)."""

VIEW_COLUMNS = f"{_DOSSIER_COLUMNS}, {OVERDUE_SQL} AS overdue"


def _locked_dossier(row: dict[str, Any]) -> Dossier:
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


def apply_transition(
    code: str,
    command: TransitionCommand,
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> Outcome:
    """Apply one transition command (any of ``transitions.SPECS``) to a dossier."""
    replayed = _replay(
        principal, command.event_id, fingerprint(command, code), db_session=db_session
    )
    if replayed:
        return replayed
    with db_session.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            f"SELECT {_DOSSIER_COLUMNS}, contact_preference FROM dossiers "
            "WHERE code = %s FOR UPDATE",
            (code,),
        ).fetchone()
    if row is None or not principal.covers(row["unit_path"]):
        raise no_such_dossier(code)
    dossier = _locked_dossier(row)
    transition = Transition(command.transition)
    spec = SPECS[transition]
    try:
        target = next_state(dossier.state, transition)
    except IllegalTransition as exc:
        raise IntakeError(
            409,
            "Illegal transition",
            str(exc),
            current_state=dossier.state.value,
            allowed_transitions=[t.value for t in exc.allowed],
            reason="illegal_transition",
        ) from exc
    at = command.occurred_at
    if at < dossier.last_event_at:
        raise out_of_order(at, dossier.last_event_at)
    procedure = rules.catalog.procedure(dossier.procedure_code, db_session=db_session)
    assert procedure is not None
    situation = Situation(
        dossier=dossier,
        at=at,
        calendar=rules.calendar,
        processing_time=procedure.processing_time,
        pause_stops_clock=procedure.pause_policy != PausePolicy.CLOCK_RUNS,
        paper_cutoff=rules.paper_cutoff,
        reschedule_once=rules.reschedule_once,
        find_unit=lambda unit_code: rules.catalog.unit(unit_code, db_session=db_session),
    )
    effect = spec.handle(command, situation)
    sequence = dossier.sequence + 1
    after = effect.clock
    changes: dict[str, Any] = {
        "state": target.value,
        "sequence": sequence,
        "last_event_at": at,
        "clock_started_at": after.started_at,
        "due_at": after.due_at,
        "paused_at": after.stopped_at,
        "remaining_seconds": (
            int(after.remaining.total_seconds()) if after.remaining is not None else None
        ),
        **effect.changes,
    }
    data = event_data(dossier, effect, target)
    assignments = ", ".join(f"{column} = %s" for column in changes)
    db_session.execute(
        f"UPDATE dossiers SET {assignments}, updated_at = now() WHERE id = %s",
        (*changes.values(), dossier.id),
    )
    event_id = _publish(spec.event_type, uuid.UUID(dossier.id), data, at, db_session=db_session)
    body = {
        "dossier_id": dossier.id,
        "dossier_code": dossier.code,
        "state": target.value,
        "sequence": sequence,
        "due_at": local_instant(after.due_at),
        "clock": data["clock"],
        "allowed_transitions": [t.value for t in allowed_transitions(target)],
        "event_id": event_id,
    }
    outcome = Outcome(200, body, events=[event_id])
    _record(
        uuid.UUID(dossier.id),
        sequence,
        principal,
        command.event_id,
        event_id,
        transition.value,
        at,
        effect.details,
        outcome,
        request=fingerprint(command, code),
        db_session=db_session,
    )
    return replace(outcome, counts=(TRANSITIONS.labels(transition.value).inc,))


def get_dossier(
    code: str, *, principal: Principal, now: datetime, db_session: Connection
) -> DossierView:
    with db_session.cursor(row_factory=dict_row) as cursor:
        dossier = cursor.execute(
            f"SELECT {VIEW_COLUMNS} FROM dossiers WHERE code = %s", (code,)
        ).fetchone()
        if dossier is None or not principal.covers(dossier["unit_path"]):
            raise no_such_dossier(code)
        timeline = cursor.execute(
            "SELECT sequence, transition, occurred_at, recorded_at, event_id, details "
            "FROM dossier_events WHERE dossier_id = %s ORDER BY sequence",
            (dossier["id"],),
        ).fetchall()
    view = view_of(dossier)
    return view.model_copy(update={"timeline": [TimelineEntry(**entry) for entry in timeline]})


def view_of(dossier: dict[str, Any]) -> DossierView:
    """A row selected with ``VIEW_COLUMNS`` as the API shows it."""
    state = DossierState(dossier["state"])
    return DossierView(
        dossier_id=dossier["id"],
        dossier_code=dossier["code"],
        procedure_code=dossier["procedure_code"],
        unit_code=dossier["unit_code"],
        unit_path=list(dossier["unit_path"]),
        channel=dossier["channel"],
        state=state,
        received_at=dossier["received_at"],
        clock_started_at=dossier["clock_started_at"],
        due_at=dossier["due_at"],
        original_due_at=dossier["original_due_at"],
        rescheduled=dossier["rescheduled_due_at"] is not None,
        clock_running=state.is_open and dossier["paused_at"] is None,
        paused_at=dossier["paused_at"],
        supplement_count=dossier["supplement_count"],
        completed_at=dossier["completed_at"],
        overdue=bool(dossier["overdue"]),
        sequence=dossier["sequence"],
        allowed_transitions=allowed_transitions(state),
    )


def load_receipt(code: str, *, principal: Principal, db_session: Connection) -> Receipt:
    """Mẫu 01 for a dossier, from intake's own tables (the receiving unit is in the code)."""
    with db_session.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            "SELECT d.code, d.unit_path, d.channel, d.received_at, d.original_due_at, "
            "d.procedure_code, p.name AS procedure_name, p.processing_amount, "
            "p.processing_unit, a.full_name, a.phone, a.email, a.address, "
            "u.name AS agency, u.address AS agency_address, parent.name AS parent_agency, "
            "e.details "
            "FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
            "JOIN applicants a ON a.ref = d.applicant_ref "
            "JOIN units u ON u.code = split_part(d.code, '-', 1) "
            "LEFT JOIN units parent ON parent.code = u.parent_code "
            "JOIN dossier_events e ON e.dossier_id = d.id AND e.sequence = 1 "
            "WHERE d.code = %s",
            (code,),
        ).fetchone()
    if row is None or not principal.covers(row["unit_path"]):
        raise IntakeError(404, "No such dossier", f"no dossier has code {code}", reason="not_found")
    return Receipt(
        agency=row["agency"],
        parent_agency=row["parent_agency"],
        agency_address=row["agency_address"],
        dossier_code=row["code"],
        procedure_code=row["procedure_code"],
        procedure_name=row["procedure_name"],
        applicant_name=row["full_name"],
        applicant_phone=row["phone"],
        applicant_email=row["email"],
        applicant_address=row["address"],
        channel=row["channel"],
        documents=tuple(row["details"].get("documents", [])),
        processing_amount=row["processing_amount"],
        processing_unit=row["processing_unit"],
        received_at=row["received_at"],
        due_at=row["original_due_at"],
    )
