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
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from psycopg import Connection, Cursor, errors
from psycopg.rows import dict_row

from motcua.calendar import WorkingCalendar
from motcua.contracts import EventType, format_instant, new_event
from motcua.db import recordset_text
from motcua.dossier import LOCAL_ZONE, ClockState, local_instant
from motcua.kafka import Topic
from motcua.outbox import enqueue_many
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
from services.intake.reference.catalog import ProcedureInfo, ReferenceCatalog, UnitInfo
from services.intake.reference.models import PausePolicy

SOURCE = "/motcua/intake"


@dataclass(frozen=True)
class IntakeRules:
    """The configurable parts of the law (docs/domain.md marks them so), and the catalogue."""

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
    counts: tuple[Callable[[float], None], ...] = ()
    """Metrics to count once the transaction has committed (:func:`committed`): a batch
    tried at once and rolled back must not have counted its dossiers."""
    receipt: Callable[[], Receipt] | None = None
    """Mẫu 01 of a dossier just received, from what the transaction wrote, once it is
    numbered (never stored: it names the citizen; a replay reads it again with
    :func:`load_receipt`)."""


def committed(outcomes: Iterable[Outcome]) -> None:
    """The transaction that produced ``outcomes`` committed: count them, each metric once
    with its total (a batch of 1,000 receipts is a handful of increments, not 1,000)."""
    totals = Counter(count for outcome in outcomes for count in outcome.counts)
    for count, times in totals.items():
        count(times)


def _replay(
    principal: Principal, event_id: str, request: bytes, *, db_session: Connection
) -> Outcome | None:
    """The stored outcome when ``event_id`` was seen with this same request (fingerprint)."""
    row = db_session.execute(
        f"SELECT {RECORDED_COLUMNS} FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id "
        "WHERE e.source_system = %s AND e.upstream_event_id = %s",
        (principal.system_id, event_id),
    ).fetchone()
    return None if row is None else replayed(row, event_id, request)


RECORDED_COLUMNS = (
    "e.upstream_event_id, e.outcome, e.request_sha256, e.transition, e.event_id, d.code"
)
"""What :func:`replayed` reads of a recorded upstream event (``e``) and its dossier (``d``)."""


def replayed(recorded: tuple[Any, ...], event_id: str, request: bytes) -> Outcome:
    """The outcome stored for ``event_id`` (a row of ``RECORDED_COLUMNS``), for the same
    request (fingerprint) sent again.

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


def _applicant_ref(rules: IntakeRules, kind: str, id_number: str | None) -> str:
    """A pseudonym: stable per person when a key is configured, else random per dossier."""
    if rules.applicant_ref_key and id_number:
        digest = hmac.new(rules.applicant_ref_key, f"{kind}:{id_number}".encode(), hashlib.sha256)
        return "apl_" + digest.hexdigest()[:32]
    return "apl_" + secrets.token_urlsafe(24)


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


@dataclass(frozen=True)
class Written:
    """A change ready to write: its timeline entry, its event, and the outcome to answer.

    Built with no lock held and no I/O; :func:`write` (one command) or the batch (many, in
    a few statements) writes it.
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
        """Mẫu 01 as :func:`load_receipt` reads it back, from what this receipt wrote."""
        command, applicant, processing = (
            self.command,
            self.command.applicant,
            self.procedure.processing_time,
        )
        return Receipt(
            agency=self.unit.name,
            parent_agency=self.unit.parent_name,
            agency_address=self.unit.address,
            dossier_code=code,
            procedure_code=command.procedure_code,
            procedure_name=self.procedure.name,
            applicant_name=applicant.full_name,
            applicant_phone=applicant.phone,
            applicant_email=applicant.email,
            applicant_address=applicant.address,
            channel=command.channel,
            documents=tuple(command.documents),
            processing_amount=processing.amount,
            processing_unit=processing.unit,
            received_at=command.occurred_at,
            due_at=self.clock.due_at,
        )

    def new_dossier(self, principal: Principal) -> NewDossier:
        """The receipt's rows and event, its sequence number still to come."""
        command = self.command
        unit_code, day = self.counter
        code = f"{unit_code}-{day:%y%m%d}-0000"
        processing = self.procedure.processing_time
        clock = self.clock
        dossier_id = uuid.uuid4()
        applicant = command.applicant
        clock_json = ClockState(
            running=True, due_at=clock.due_at, original_due_at=clock.due_at
        ).as_json()
        data = {
            "dossier_id": str(dossier_id),
            "dossier_code": code,
            "unit_code": command.unit_code,
            "unit_path": self.unit.path,
            "procedure_code": command.procedure_code,
            "sequence": 1,
            "channel": command.channel,
            "applicant_ref": self.applicant_ref,
            "applicant_kind": applicant.kind,
            "contact_preference": command.contact_preference,
            "received_at": format_instant(command.occurred_at),
            "clock_starts_at": format_instant(clock.started_at),
            "processing_time": {"amount": processing.amount, "unit": processing.unit},
            "online_level": self.procedure.online_level,
            "clock": clock_json,
        }
        event = _event(EventType.DOSSIER_RECEIVED, dossier_id, data, command.occurred_at)
        body = {
            "dossier_id": str(dossier_id),
            "dossier_code": code,
            "state": DossierState.RECEIVED.value,
            "received_at": format_instant(command.occurred_at),
            "clock_started_at": format_instant(clock.started_at),
            "due_at": format_instant(clock.due_at),
            "processing_time": {"amount": processing.amount, "unit": processing.unit},
            "clock": clock_json,
            "event_id": event["id"],
        }
        outcome = Outcome(
            201,
            body,
            events=[event["id"]],
            counts=(RECEIVED.labels(command.channel, self.unit.level).inc,),
            receipt=lambda: self.receipt(body["dossier_code"]),
        )
        dossier = {
            "id": dossier_id,
            "day": day.isoformat(),
            "procedure_code": command.procedure_code,
            "unit_code": command.unit_code,
            "unit_path": self.unit.path,
            "channel": command.channel,
            "state": DossierState.RECEIVED.value,
            "applicant_ref": self.applicant_ref,
            "contact_preference": command.contact_preference,
            "received_at": command.occurred_at,
            "clock_started_at": clock.started_at,
            "due_at": clock.due_at,
            "source_system": principal.system_id,
        }
        written = Written(
            dossier_id,
            1,
            principal,
            command.event_id,
            "receive",
            command.occurred_at,
            {"channel": command.channel, "documents": command.documents},
            event,
            outcome,
            self.request,
        )
        return NewDossier(
            dossier, {"ref": self.applicant_ref, **applicant.model_dump()}, written, self.counter
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
        _applicant_ref(rules, applicant.kind, applicant.id_number),
        fingerprint(command),
    )


def _event(
    event_type: EventType, dossier_id: uuid.UUID, data: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return new_event(event_type, source=SOURCE, subject=str(dossier_id), data=data, time=at)


COUNTER_LIMIT = "dossier_code_counters_last_check"
"""The constraint a receipt past the day's last sequence number violates."""


class Numbering:
    """The sequence numbers of dossiers written by :func:`write_new_dossiers`, known once
    the counter statement has answered (at the next sync of the pipeline)."""

    def __init__(self, cursor: Cursor[Any], new: Sequence[NewDossier]):
        self._cursor = cursor
        self._new = new

    def apply(self) -> None:
        """Number each new dossier in what it answers, as :data:`_CODE_SQL` numbered its
        row; raises ``CheckViolation`` (on :data:`COUNTER_LIMIT`) when a day has run out
        of numbers."""
        with self._cursor as cursor:
            last = {(unit, day): value for unit, day, value in cursor.fetchall()}
        for dossier in self._new:
            row = dossier.dossier
            dossier.number(last[dossier.counter] - row["n"] + row["k"])


def write_new_dossiers(new: Sequence[NewDossier], *, db_session: Connection) -> Numbering:
    """Number and write ``new``: counters, applicants, dossiers, timeline and events, in
    five statements sent together, every parameter serialised before the first is sent.

    The locks are taken in the one global order: each day's counter (advanced once by its
    count, in (unit, day) order), then the applicants (upserted once each, in ``ref``
    order; the last receipt's contact details win, as one receipt at a time would). The
    counters stay locked only while these statements and the commit run.
    """
    counts: Counter[tuple[str, date]] = Counter(n.counter for n in new)
    taken: Counter[tuple[str, date]] = Counter()
    for dossier in new:  # k of n: its place among its day's receipts in this write
        taken[dossier.counter] += 1
        dossier.dossier.update(k=taken[dossier.counter], n=counts[dossier.counter])
    applicants = {n.applicant["ref"]: n.applicant for n in new}
    counters = recordset_text(
        {"unit_code": unit, "day": day.isoformat(), "n": n}
        for (unit, day), n in sorted(counts.items())
    )
    applicant_rows = recordset_text(applicants[ref] for ref in sorted(applicants))
    dossier_rows = recordset_text(n.dossier for n in new)
    timeline_rows = recordset_text(n.written.timeline_row() for n in new)
    events = recordset_text(
        {"id": n.written.event["id"], "key": str(n.written.dossier_id), "payload": n.written.event}
        for n in new
    )
    cursor = db_session.cursor()
    cursor.execute(
        "INSERT INTO dossier_code_counters (unit_code, day, last) "
        "SELECT k.unit_code, k.day, k.n FROM jsonb_to_recordset(%s::jsonb) "
        "AS k(unit_code text, day date, n integer) ORDER BY k.unit_code, k.day "
        "ON CONFLICT (unit_code, day) DO UPDATE "
        "SET last = dossier_code_counters.last + EXCLUDED.last "
        "RETURNING unit_code, day, last",
        (counters,),
    )
    db_session.execute(
        "INSERT INTO applicants (ref, kind, full_name, id_number, phone, email, address) "
        "SELECT a.ref, a.kind, a.full_name, a.id_number, a.phone, a.email, a.address "
        "FROM jsonb_to_recordset(%s::jsonb) AS a(ref text, kind text, full_name text, "
        "id_number text, phone text, email text, address text) ORDER BY a.ref "
        "ON CONFLICT (ref) DO UPDATE SET "
        "full_name = EXCLUDED.full_name, phone = EXCLUDED.phone, email = EXCLUDED.email, "
        "address = EXCLUDED.address, updated_at = now()",
        (applicant_rows,),
    )
    db_session.execute(
        "INSERT INTO dossiers (id, code, procedure_code, unit_code, unit_path, channel, state, "
        "applicant_ref, contact_preference, received_at, clock_started_at, due_at, "
        "original_due_at, sequence, source_system, last_event_at) "
        f"SELECT d.id, {_CODE_SQL}, d.procedure_code, d.unit_code, d.unit_path, d.channel, "
        "d.state, d.applicant_ref, d.contact_preference, d.received_at, d.clock_started_at, "
        "d.due_at, d.due_at, 1, d.source_system, d.received_at "
        "FROM jsonb_to_recordset(%s::jsonb) AS d(id uuid, day date, n integer, k integer, "
        "procedure_code text, unit_code text, unit_path text[], channel text, state text, "
        "applicant_ref text, contact_preference text, received_at timestamptz, "
        "clock_started_at timestamptz, due_at timestamptz, source_system uuid) "
        "JOIN dossier_code_counters c ON c.unit_code = d.unit_code AND c.day = d.day",
        (dossier_rows,),
    )
    _insert_timeline(timeline_rows, db_session=db_session, numbered=True)
    db_session.execute(
        "INSERT INTO outbox (event_id, topic, message_key, payload) "
        "SELECT e.id, %s, e.key, "
        "jsonb_set(e.payload, '{data,dossier_code}', to_jsonb(d.code)) "
        "FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (id text, key text, payload jsonb)) "
        "WITH ORDINALITY AS e(id, key, payload, n) JOIN dossiers d ON d.id = e.key::uuid "
        "ORDER BY e.n",
        (Topic.DOSSIER_EVENTS.value, events),
    )
    return Numbering(cursor, new)


_CODE_SQL = (
    "d.unit_code || '-' || to_char(d.day, 'YYMMDD') || '-' || "
    "lpad((c.last - d.n + d.k)::text, 4, '0')"
)
"""``DossierCode``'s text in SQL, the sequence read from the counter just advanced (the
check constraint keeps it to four digits)."""


def _insert_timeline(rows: str, *, db_session: Connection, numbered: bool = False) -> None:
    """``numbered``: the outcomes' ``body.dossier_code`` is taken from the dossier's row
    (new dossiers, numbered by the statement that wrote them)."""
    outcome = (
        "jsonb_set(e.outcome, '{body,dossier_code}', to_jsonb(d.code))" if numbered else "e.outcome"
    )
    join = "JOIN dossiers d ON d.id = e.dossier_id " if numbered else ""
    db_session.execute(
        "INSERT INTO dossier_events (dossier_id, sequence, source_system, upstream_event_id, "
        "event_id, transition, occurred_at, details, outcome, request_sha256) "
        "SELECT e.dossier_id, e.sequence, e.source_system, e.upstream_event_id, e.event_id, "
        f"e.transition, e.occurred_at, e.details, {outcome}, decode(e.request, 'hex') "
        "FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (dossier_id uuid, sequence int, "
        "source_system uuid, upstream_event_id text, event_id text, transition text, "
        "occurred_at timestamptz, details jsonb, outcome jsonb, request text)) "
        "WITH ORDINALITY AS e(dossier_id, sequence, source_system, upstream_event_id, "
        f"event_id, transition, occurred_at, details, outcome, request, n) {join}ORDER BY e.n",
        (rows,),
    )


def write_timeline(written: Sequence[Written], *, db_session: Connection) -> None:
    """The timeline entries of ``written`` (transitions) and their events, in order."""
    _insert_timeline(recordset_text(w.timeline_row() for w in written), db_session=db_session)
    enqueue_many(
        [w.event for w in written],
        topic=Topic.DOSSIER_EVENTS.value,
        keys=[str(w.dossier_id) for w in written],
        db_session=db_session,
    )


def receive_dossier(
    command: ReceiveDossier,
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
    maybe_replay: bool = True,
) -> Outcome:
    """``maybe_replay=False`` when the caller already knows the event id is new."""
    if maybe_replay:
        found = _replay(principal, command.event_id, fingerprint(command), db_session=db_session)
        if found:
            return found
    prepared = prepare_receipt(command, principal=principal, rules=rules, db_session=db_session)
    new = prepared.new_dossier(principal)
    try:  # a pipeline reports the error at whichever later statement it has reached
        write_new_dossiers([new], db_session=db_session).apply()
    except errors.CheckViolation as exc:
        if exc.diag.constraint_name != COUNTER_LIMIT:
            raise
        raise sequence_exhausted(*prepared.counter) from None
    return new.written.outcome


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


LOCK_DOSSIER_SQL = f"SELECT {_DOSSIER_COLUMNS}, contact_preference FROM dossiers"
"""The columns :func:`plan_transition` reads, for a ``WHERE … FOR UPDATE``."""


@dataclass(frozen=True)
class PlannedTransition:
    """A transition decided on a locked dossier: the columns it changes, and what it
    writes to the timeline and publishes."""

    changes: dict[str, Any]
    written: Written


def plan_transition(
    row: dict[str, Any],
    command: TransitionCommand,
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> PlannedTransition:
    """Decide ``command`` on the dossier ``row`` (locked, ``LOCK_DOSSIER_SQL``'s columns);
    raises :class:`IntakeError` for a refusal. ``db_session`` only refreshes the
    catalogue."""
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
    dossier_id = uuid.UUID(dossier.id)
    event = _event(spec.event_type, dossier_id, data, at)
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
        fingerprint(command, dossier.code),
    )
    return PlannedTransition(changes, written)


def update_dossier(
    dossier_id: uuid.UUID, changes: dict[str, Any], *, db_session: Connection
) -> None:
    assignments = ", ".join(f"{column} = %s" for column in changes)
    db_session.execute(
        f"UPDATE dossiers SET {assignments}, updated_at = now() WHERE id = %s",
        (*changes.values(), dossier_id),
    )


def apply_transition(
    code: str,
    command: TransitionCommand,
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
    dossier_id: str | None = None,
) -> Outcome:
    """Apply one transition command (any of ``transitions.SPECS``) to a dossier.

    ``dossier_id``, when the command's source knows it (an issued apology letter), must be
    the coded dossier's: a letter about another dossier that happens to bear the same code
    (another intake's, a restored database's) moves nobody's appointment."""
    found = _replay(principal, command.event_id, fingerprint(command, code), db_session=db_session)
    if found:
        return found
    with db_session.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(f"{LOCK_DOSSIER_SQL} WHERE code = %s FOR UPDATE", (code,)).fetchone()
    if row is None or not principal.covers(row["unit_path"]):
        raise no_such_dossier(code)
    if dossier_id is not None and str(row["id"]) != dossier_id:
        raise no_such_dossier(code)
    planned = plan_transition(row, command, principal=principal, rules=rules, db_session=db_session)
    update_dossier(planned.written.dossier_id, planned.changes, db_session=db_session)
    write_timeline([planned.written], db_session=db_session)
    return planned.written.outcome


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
