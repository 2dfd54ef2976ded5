"""Receive dossiers and record their transitions: the one code path behind REST, batch and Kafka.

Each function works inside the caller's transaction (``db_session``) and writes the state
change, the timeline entry and the outbox row together, so an event is published if and
only if its change committed. Errors raise :class:`IntakeError` before anything is
written, or the caller rolls the transaction (or its savepoint) back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from motcua.calendar import WorkingCalendar
from motcua.contracts import EventType, format_instant, new_event
from motcua.kafka import Topic
from services.intake.auth import Principal
from services.intake.dossier import clock as dossier_clock
from services.intake.dossier.code import MAX_PER_DAY, DossierCode
from services.intake.dossier.fingerprint import fingerprint
from services.intake.dossier.models import (
    Assign,
    Complete,
    DossierView,
    Pause,
    ReceiveDossier,
    Reject,
    RequestSupplement,
    ReturnResult,
    TimelineEntry,
    TransitionCommand,
    Withdraw,
)
from services.intake.dossier.receipt import Receipt
from services.intake.dossier.state import (
    RULES,
    DossierState,
    IllegalTransition,
    Transition,
    allowed_transitions,
    next_state,
)
from services.intake.dossier.window import InstantWindow
from services.intake.metrics import RECEIVED, TRANSITIONS
from services.intake.reference.catalog import ReferenceCatalog
from services.intake.reference.models import PausePolicy

SOURCE = "/motcua/intake"
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class IntakeError(Exception):
    """A command intake refuses; ``status`` follows HTTP so every door reports it alike."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra

    @property
    def reason(self) -> str:
        """A short machine-readable reason, for metrics and dead-letter records."""
        return str(self.extra.get("reason", self.title.lower().replace(" ", "_")))


@dataclass(frozen=True)
class IntakeRules:
    """The configurable parts of the law (DOMAIN.md marks them so), and the catalogue."""

    calendar: WorkingCalendar
    catalog: ReferenceCatalog = field(default_factory=ReferenceCatalog)
    paper_cutoff: time = time(15)
    applicant_ref_key: bytes | None = None
    window: InstantWindow = field(default_factory=InstantWindow)


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False
    events: list[str] = field(default_factory=list)


def _unknown(field_name: str, detail: str) -> IntakeError:
    return IntakeError(
        422,
        "Unknown reference",
        detail,
        errors=[{"field": field_name, "message": detail}],
        reason=f"unknown_{field_name}",
    )


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
    db_session.execute(
        "INSERT INTO outbox (event_id, topic, message_key, payload) VALUES (%s, %s, %s, %s)",
        (event["id"], Topic.DOSSIER_EVENTS.value, str(dossier_id), Jsonb(event, dumps=_dumps)),
    )
    return str(event["id"])


def _dumps(event: dict[str, Any]) -> str:
    """``new_event`` validated the event already; serialising it is all that is left."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


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
        raise _unknown("unit_code", f"no unit has code {command.unit_code}")
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
        raise _unknown("procedure_code", f"no active procedure has code {command.procedure_code}")
    processing = procedure.processing_time
    clock = dossier_clock.start(
        rules.calendar,
        command.occurred_at,
        paper=command.channel != "online",
        processing_time=processing,
        cutoff=rules.paper_cutoff,
    )
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
    code = _next_code(command.unit_code, command.occurred_at, db_session=db_session)
    db_session.execute(
        "INSERT INTO dossiers (id, code, procedure_code, unit_code, unit_path, channel, state, "
        "applicant_ref, contact_preference, received_at, clock_started_at, due_at, "
        "original_due_at, sequence, source_system) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, %s)",
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
        ),
    )
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
        "due_at": format_instant(clock.due_at),
        "online_level": procedure.online_level,
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
    RECEIVED.labels(command.channel, unit_level).inc()
    return outcome


_DOSSIER_COLUMNS = (
    "id, code, procedure_code, unit_code, unit_path, channel, state, received_at, "
    "clock_started_at, due_at, original_due_at, paused_at, remaining_seconds, "
    "supplement_count, completed_at, sequence"
)


def apply_transition(
    code: str,
    command: TransitionCommand,
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> Outcome:
    replayed = _replay(
        principal, command.event_id, fingerprint(command, code), db_session=db_session
    )
    if replayed:
        return replayed
    with db_session.cursor(row_factory=dict_row) as cursor:
        dossier = cursor.execute(
            f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE code = %s FOR UPDATE", (code,)
        ).fetchone()
    if dossier is None:
        raise IntakeError(404, "No such dossier", f"no dossier has code {code}", reason="not_found")
    if not principal.covers(dossier["unit_path"]):
        # As for reads: another subtree's dossier is reported missing, not forbidden, so
        # writes are no oracle of which codes exist.
        raise IntakeError(404, "No such dossier", f"no dossier has code {code}", reason="not_found")
    transition = Transition(command.transition)
    current = DossierState(dossier["state"])
    try:
        target = next_state(current, transition)
    except IllegalTransition as exc:
        raise IntakeError(
            409,
            "Illegal transition",
            str(exc),
            current_state=current.value,
            allowed_transitions=[t.value for t in exc.allowed],
            reason="illegal_transition",
        ) from exc
    at = command.occurred_at
    if at < dossier["received_at"]:
        raise IntakeError(
            422,
            "Invalid request",
            "occurred_at is before the dossier was received",
            errors=[{"field": "occurred_at", "message": "before the dossier's receipt"}],
            reason="occurred_before_receipt",
        )
    procedure = rules.catalog.procedure(dossier["procedure_code"], db_session=db_session)
    assert procedure is not None
    processing = procedure.processing_time
    pause_stops_clock = procedure.pause_policy != PausePolicy.CLOCK_RUNS
    sequence = dossier["sequence"] + 1
    changes: dict[str, Any] = {"state": target.value, "sequence": sequence}
    data: dict[str, Any] = {
        "dossier_id": str(dossier["id"]),
        "dossier_code": dossier["code"],
        "unit_code": dossier["unit_code"],
        "unit_path": list(dossier["unit_path"]),
        "procedure_code": dossier["procedure_code"],
        "sequence": sequence,
    }
    details: dict[str, Any] = {}
    running = dossier_clock.Clock(dossier["clock_started_at"], dossier["due_at"])

    if isinstance(command, Assign):
        target_unit = rules.catalog.unit(command.to_unit_code, db_session=db_session)
        if target_unit is None:
            raise _unknown("to_unit_code", f"no unit has code {command.to_unit_code}")
        to_path = target_unit.path
        data |= {
            "kind": command.transition.value,
            "from_unit_code": dossier["unit_code"],
            "to_unit_code": command.to_unit_code,
            "to_unit_path": to_path,
        }
        if command.handler_ref:
            data["handler_ref"] = command.handler_ref
        if command.transition == Transition.TRANSFER:
            changes |= {"unit_code": command.to_unit_code, "unit_path": to_path}
        details = {k: data[k] for k in ("kind", "from_unit_code", "to_unit_code")}
    elif isinstance(command, RequestSupplement):
        data |= {"phase": "processing", "reason": command.reason}
        changes |= {"paused_at": at, "supplement_count": dossier["supplement_count"] + 1}
        details = {"reason": command.reason}
    elif transition == Transition.RECEIVE_SUPPLEMENT:
        restarted = dossier_clock.start(
            rules.calendar,
            at,
            paper=dossier["channel"] != "online",
            processing_time=processing,
            cutoff=rules.paper_cutoff,
        )
        data |= {
            "clock_restarts_at": format_instant(restarted.started_at),
            "due_at": format_instant(restarted.due_at),
        }
        changes |= {
            "paused_at": None,
            "clock_started_at": restarted.started_at,
            "due_at": restarted.due_at,
        }
    elif isinstance(command, Pause):
        data["reason_code"] = command.reason_code
        if command.reason:
            data["reason"] = command.reason
        if pause_stops_clock:
            stopped = dossier_clock.stop(rules.calendar, running, at, unit=processing.unit)
            assert stopped.remaining is not None
            remaining = int(stopped.remaining.total_seconds())
            changes |= {"paused_at": at, "remaining_seconds": remaining}
        details = {"reason_code": command.reason_code, "clock_stopped": pause_stops_clock}
    elif transition == Transition.RESUME and dossier["remaining_seconds"] is None:
        data["due_at"] = format_instant(dossier["due_at"])
    elif transition == Transition.RESUME:
        stopped = dossier_clock.Clock(
            dossier["clock_started_at"],
            dossier["due_at"],
            dossier["paused_at"],
            timedelta(seconds=dossier["remaining_seconds"]),
        )
        resumed = dossier_clock.resume(rules.calendar, stopped, at, unit=processing.unit)
        data["due_at"] = format_instant(resumed.due_at)
        changes |= {"paused_at": None, "remaining_seconds": None, "due_at": resumed.due_at}
    elif isinstance(command, Complete):
        data |= {"outcome": command.outcome, "due_at": format_instant(dossier["due_at"])}
        changes["completed_at"] = at
        details = {"outcome": command.outcome, "late": at > dossier["due_at"]}
    elif isinstance(command, ReturnResult):
        data["channel"] = command.channel
        details = {"channel": command.channel}
    elif isinstance(command, Reject):
        data["reason"] = command.reason
        details = {"reason": command.reason}
    elif isinstance(command, Withdraw) and command.reason:
        data["reason"] = command.reason

    assignments = ", ".join(f"{column} = %s" for column in changes)
    db_session.execute(
        f"UPDATE dossiers SET {assignments}, updated_at = now() WHERE id = %s",
        (*changes.values(), dossier["id"]),
    )
    event_id = _publish(
        RULES[transition].event_type, dossier["id"], data, at, db_session=db_session
    )
    due: datetime = changes.get("due_at") or dossier["due_at"]
    body = {
        "dossier_id": str(dossier["id"]),
        "dossier_code": dossier["code"],
        "state": target.value,
        "sequence": sequence,
        "due_at": format_instant(due),
        "allowed_transitions": [t.value for t in allowed_transitions(target)],
        "event_id": event_id,
    }
    outcome = Outcome(200, body, events=[event_id])
    _record(
        dossier["id"],
        sequence,
        principal,
        command.event_id,
        event_id,
        transition.value,
        at,
        details,
        outcome,
        request=fingerprint(command, code),
        db_session=db_session,
    )
    TRANSITIONS.labels(transition.value).inc()
    return outcome


def get_dossier(
    code: str, *, principal: Principal, now: datetime, db_session: Connection
) -> DossierView:
    with db_session.cursor(row_factory=dict_row) as cursor:
        dossier = cursor.execute(
            f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE code = %s", (code,)
        ).fetchone()
        if dossier is None or not principal.covers(dossier["unit_path"]):
            # Out-of-scope dossiers are reported missing: their existence is not the caller's.
            raise IntakeError(
                404, "No such dossier", f"no dossier has code {code}", reason="not_found"
            )
        timeline = cursor.execute(
            "SELECT sequence, transition, occurred_at, recorded_at, event_id, details "
            "FROM dossier_events WHERE dossier_id = %s ORDER BY sequence",
            (dossier["id"],),
        ).fetchall()
    view = _view(dossier, now)
    return view.model_copy(update={"timeline": [TimelineEntry(**entry) for entry in timeline]})


def _view(dossier: dict[str, Any], now: datetime) -> DossierView:
    state = DossierState(dossier["state"])
    finished_at = dossier["completed_at"]
    if finished_at is not None:
        overdue = finished_at > dossier["due_at"]
    else:
        clock_running = state.is_open and dossier["paused_at"] is None
        overdue = clock_running and now > dossier["due_at"]
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
        paused_at=dossier["paused_at"],
        supplement_count=dossier["supplement_count"],
        completed_at=finished_at,
        overdue=overdue,
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
