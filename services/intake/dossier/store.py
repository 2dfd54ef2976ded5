"""Every statement intake runs on the dossiers' tables, in one place.

Each function runs inside the caller's transaction (``db_session``); none commits. The
writers take their locks in one global order — dossiers (by code), then daily-sequence
counters (by unit and day), then applicants (by pseudonym) — so two writes over the same
rows, whatever their items' order, wait for each other instead of deadlocking.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import Connection, Cursor
from psycopg.rows import dict_row

from motcua.db import recordset_text
from motcua.dossier import ProcessingTime
from motcua.kafka import Topic
from motcua.outbox import enqueue_many
from services.intake.dossier.plans import NewDossier, Written
from services.intake.dossier.state import DossierState

RECORDED_COLUMNS = (
    "e.upstream_event_id, e.outcome, e.request_sha256, e.transition, e.event_id, d.code"
)
"""What ``plans.replayed`` reads of a recorded upstream event (``e``) and its dossier (``d``)."""

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

LOCK_DOSSIER_SQL = f"SELECT {_DOSSIER_COLUMNS}, contact_preference FROM dossiers"
"""The columns ``plans.plan_transition`` reads, for a ``WHERE … FOR UPDATE``."""

COUNTER_LIMIT = "dossier_code_counters_last_check"
"""The constraint a receipt past the day's last sequence number violates."""


def recorded(system_id: Any, event_ids: Sequence[str], *, db_session: Connection) -> dict[str, Any]:
    """The upstream events of ``system_id`` among ``event_ids`` recorded before, by id
    (rows of ``RECORDED_COLUMNS``), in one query."""
    rows = db_session.execute(
        f"SELECT {RECORDED_COLUMNS} FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id "
        "WHERE e.source_system = %s AND e.upstream_event_id = ANY(%s)",
        (system_id, list(event_ids)),
    ).fetchall()
    return {row[0]: row for row in rows}


def lock_dossiers(codes: Iterable[str], *, db_session: Connection) -> dict[str, dict[str, Any]]:
    """The dossiers with ``codes``, locked in code order (first in the global order)."""
    ordered = sorted(set(codes))
    if not ordered:
        return {}
    with db_session.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(
            f"{LOCK_DOSSIER_SQL} WHERE code = ANY(%s) ORDER BY code FOR UPDATE", (ordered,)
        ).fetchall()
    return {row["code"]: row for row in rows}


def lock_counters(keys: Iterable[tuple[str, date]], *, db_session: Connection) -> None:
    """Take the (unit, local day) daily-sequence counters in order, creating the missing
    ones: a write that numbers its receipts one at a time then takes no counter out of
    the global order, whatever its items' order."""
    ordered = sorted(set(keys))
    if not ordered:
        return
    units, days = (list(column) for column in zip(*ordered, strict=True))
    db_session.execute(
        "INSERT INTO dossier_code_counters (unit_code, day, last) "
        "SELECT unit_code, day, 0 FROM unnest(%s::text[], %s::date[]) AS k(unit_code, day) "
        "ORDER BY unit_code, day ON CONFLICT DO NOTHING",
        (units, days),
    )
    db_session.execute(
        "SELECT 1 FROM dossier_code_counters c "
        "JOIN unnest(%s::text[], %s::date[]) AS k(unit_code, day) USING (unit_code, day) "
        "ORDER BY c.unit_code, c.day FOR UPDATE OF c",
        (units, days),
    )


def update_dossier(
    dossier_id: uuid.UUID, changes: dict[str, Any], *, db_session: Connection
) -> None:
    assignments = ", ".join(f"{column} = %s" for column in changes)
    db_session.execute(
        f"UPDATE dossiers SET {assignments}, updated_at = now() WHERE id = %s",
        (*changes.values(), dossier_id),
    )


class Numbering:
    """The sequence numbers of dossiers written by :func:`insert_new_dossiers`, known once
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


_CODE_SQL = (
    "d.unit_code || '-' || to_char(d.day, 'YYMMDD') || '-' || "
    "lpad((c.last - d.n + d.k)::text, 4, '0')"
)
"""``DossierCode``'s text in SQL, the sequence read from the counter just advanced (the
check constraint keeps it to four digits)."""


def insert_new_dossiers(new: Sequence[NewDossier], *, db_session: Connection) -> Numbering:
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
    rows = _NewRows(
        counters=recordset_text(
            {"unit_code": unit, "day": day.isoformat(), "n": n}
            for (unit, day), n in sorted(counts.items())
        ),
        applicants=recordset_text(applicants[ref] for ref in sorted(applicants)),
        dossiers=recordset_text(n.dossier for n in new),
        timeline=recordset_text(n.written.timeline_row() for n in new),
        events=recordset_text(
            {
                "id": n.written.event["id"],
                "key": str(n.written.dossier_id),
                "payload": n.written.event,
            }
            for n in new
        ),
    )
    return Numbering(rows.insert(db_session), new)


@dataclass(frozen=True)
class _NewRows:
    """New dossiers' rows, each table's as one JSON recordset."""

    counters: str
    applicants: str
    dossiers: str
    timeline: str
    events: str

    def insert(self, db_session: Connection) -> Cursor[Any]:
        """The five statements; the cursor that will hold the counters' new values."""
        cursor = db_session.cursor()
        cursor.execute(
            "INSERT INTO dossier_code_counters (unit_code, day, last) "
            "SELECT k.unit_code, k.day, k.n FROM jsonb_to_recordset(%s::jsonb) "
            "AS k(unit_code text, day date, n integer) ORDER BY k.unit_code, k.day "
            "ON CONFLICT (unit_code, day) DO UPDATE "
            "SET last = dossier_code_counters.last + EXCLUDED.last "
            "RETURNING unit_code, day, last",
            (self.counters,),
        )
        db_session.execute(
            "INSERT INTO applicants (ref, kind, full_name, id_number, phone, email, address) "
            "SELECT a.ref, a.kind, a.full_name, a.id_number, a.phone, a.email, a.address "
            "FROM jsonb_to_recordset(%s::jsonb) AS a(ref text, kind text, full_name text, "
            "id_number text, phone text, email text, address text) ORDER BY a.ref "
            "ON CONFLICT (ref) DO UPDATE SET "
            "full_name = EXCLUDED.full_name, phone = EXCLUDED.phone, email = EXCLUDED.email, "
            "address = EXCLUDED.address, updated_at = now(), "
            # A person anonymised after retention who comes back is named again.
            "id_number = coalesce(applicants.id_number, EXCLUDED.id_number), anonymised_at = NULL",
            (self.applicants,),
        )
        db_session.execute(
            "INSERT INTO dossiers (id, code, procedure_code, unit_code, unit_path, channel, "
            "state, applicant_ref, contact_preference, received_at, clock_started_at, due_at, "
            "original_due_at, sequence, source_system, last_event_at) "
            f"SELECT d.id, {_CODE_SQL}, d.procedure_code, d.unit_code, d.unit_path, d.channel, "
            "d.state, d.applicant_ref, d.contact_preference, d.received_at, d.clock_started_at, "
            "d.due_at, d.due_at, 1, d.source_system, d.received_at "
            "FROM jsonb_to_recordset(%s::jsonb) AS d(id uuid, day date, n integer, k integer, "
            "procedure_code text, unit_code text, unit_path text[], channel text, state text, "
            "applicant_ref text, contact_preference text, received_at timestamptz, "
            "clock_started_at timestamptz, due_at timestamptz, source_system uuid) "
            "JOIN dossier_code_counters c ON c.unit_code = d.unit_code AND c.day = d.day",
            (self.dossiers,),
        )
        _insert_timeline(self.timeline, db_session=db_session, numbered=True)
        db_session.execute(
            "INSERT INTO outbox (event_id, topic, message_key, payload) "
            "SELECT e.id, %s, e.key, "
            "jsonb_set(e.payload, '{data,dossier_code}', to_jsonb(d.code)) "
            "FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (id text, key text, payload jsonb)) "
            "WITH ORDINALITY AS e(id, key, payload, n) JOIN dossiers d ON d.id = e.key::uuid "
            "ORDER BY e.n",
            (Topic.DOSSIER_EVENTS.value, self.events),
        )
        return cursor


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
    """The timeline entries of ``written`` (transitions) and their events, in order, with
    their outbox rows: published if and only if the transaction commits."""
    _insert_timeline(recordset_text(w.timeline_row() for w in written), db_session=db_session)
    enqueue_many(
        [w.event for w in written],
        topic=Topic.DOSSIER_EVENTS.value,
        keys=[str(w.dossier_id) for w in written],
        db_session=db_session,
    )


def dossier_row(code: str, *, db_session: Connection) -> dict[str, Any] | None:
    """A dossier as the API shows it (``VIEW_COLUMNS``)."""
    with db_session.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            f"SELECT {VIEW_COLUMNS} FROM dossiers WHERE code = %s", (code,)
        ).fetchone()


def timeline_rows(dossier_id: Any, *, db_session: Connection) -> list[dict[str, Any]]:
    with db_session.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT sequence, transition, occurred_at, recorded_at, event_id, details "
            "FROM dossier_events WHERE dossier_id = %s ORDER BY sequence",
            (dossier_id,),
        ).fetchall()


def receipt_row(code: str, *, db_session: Connection) -> dict[str, Any] | None:
    """What Mẫu 01 names, from intake's own tables (the receiving unit is in the code)."""
    with db_session.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT d.code, d.unit_path, d.channel, d.contact_preference, d.received_at, "
            "d.original_due_at, "
            "d.procedure_code, p.name AS procedure_name, p.processing_amount, "
            "p.processing_unit, a.full_name, a.phone, a.email, a.address, "
            "a.anonymised_at IS NOT NULL AS anonymised, "
            "u.name AS agency, u.address AS agency_address, parent.name AS parent_agency, "
            "u.head_title AS agency_head_title, u.public_phone AS agency_phone, "
            "e.details "
            "FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
            "JOIN applicants a ON a.ref = d.applicant_ref "
            "JOIN units u ON u.code = split_part(d.code, '-', 1) "
            "LEFT JOIN units parent ON parent.code = u.parent_code "
            "JOIN dossier_events e ON e.dossier_id = d.id AND e.sequence = 1 "
            "WHERE d.code = %s",
            (code,),
        ).fetchone()


@dataclass(frozen=True)
class DossierScope:
    """Which dossiers a read covers: ``subtree``'s, within the caller's own unit's, and
    received within the window when one is given."""

    caller_unit: str
    subtree: str
    received_from: datetime | None = None
    received_to: datetime | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        """WHERE clauses and their parameters."""
        clauses = ["unit_path @> ARRAY[%s]::text[]", "unit_path @> ARRAY[%s]::text[]"]
        params: list[Any] = [self.caller_unit, self.subtree]
        if self.received_from:
            clauses.append("received_at >= %s")
            params.append(self.received_from)
        if self.received_to:
            clauses.append("received_at < %s")
            params.append(self.received_to)
        return clauses, params


def tally(scope: DossierScope, *, db_session: Connection) -> dict[str, int]:
    """How many dossiers ``scope`` holds in each state (zero for a state it has none in)."""
    clauses, params = scope.where()
    query = f"SELECT state, count(*) FROM dossiers WHERE {' AND '.join(clauses)} GROUP BY state"
    rows = db_session.execute(query, params).fetchall()
    return {state.value: 0 for state in DossierState} | {s: int(n) for s, n in rows}


@dataclass(frozen=True)
class Listing:
    """A page's filters beyond its scope."""

    procedure: str | None = None
    state: DossierState | None = None
    overdue: bool | None = None
    after: tuple[datetime, str] | None = None
    """The keyset cursor: the last (``received_at``, ``id``) of the page before."""


def encode_cursor(received_at: datetime, dossier_id: Any) -> str:
    raw = json.dumps([received_at.isoformat(), str(dossier_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The keyset a cursor of :func:`page_of` carries; ``ValueError`` for any other text."""
    try:
        received_at, dossier_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(received_at), str(uuid.UUID(dossier_id))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValueError("not a cursor this API returned") from exc


def page_of(
    scope: DossierScope, listing: Listing, limit: int, *, db_session: Connection
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` dossiers, newest first (``VIEW_COLUMNS``), and the cursor of the
    next page (None on the last)."""
    clauses, params = scope.where()
    if listing.procedure:
        clauses.append("procedure_code = %s")
        params.append(listing.procedure)
    if listing.state:
        clauses.append("state = %s")
        params.append(listing.state.value)
    if listing.overdue is not None:
        clauses.append(OVERDUE_SQL if listing.overdue else f"NOT ({OVERDUE_SQL})")
    if listing.after:
        clauses.append("(received_at, id) < (%s, %s::uuid)")
        params += list(listing.after)
    query = (
        f"SELECT {VIEW_COLUMNS} FROM dossiers WHERE "
        + " AND ".join(clauses)
        + " ORDER BY received_at DESC, id DESC LIMIT %s"
    )
    params.append(limit + 1)
    with db_session.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(query, params).fetchall()
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(page[-1]["received_at"], page[-1]["id"]) if more else None


def appointment_reference(
    unit: str, procedure: str, *, db_session: Connection
) -> tuple[bool, ProcessingTime | None]:
    """Whether ``unit`` exists, and the active ``procedure``'s processing time (amount,
    unit), for a preview."""
    found_unit = db_session.execute("SELECT 1 FROM units WHERE code = %s", (unit,)).fetchone()
    row = db_session.execute(
        "SELECT processing_amount, processing_unit FROM procedures WHERE code = %s AND active",
        (procedure,),
    ).fetchone()
    return found_unit is not None, ProcessingTime(row[0], row[1]) if row else None
