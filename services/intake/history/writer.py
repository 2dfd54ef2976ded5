"""Every statement the history importer runs: what it reads once, and one batch's writes.

A batch is written in a handful of set-based statements (COPY for the dossiers, their
timeline and the imported codes; one statement each for applicants, counters and the
outbox, through :func:`motcua.outbox.enqueue_many`), together with the file's checkpoint,
in the caller's transaction: a batch is all there or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from motcua.calendar import WorkingCalendar, overrides_from
from motcua.db import recordset_text
from motcua.kafka import Topic
from motcua.keys import key_digest
from motcua.outbox import enqueue_many
from services.intake.auth import Principal, new_api_key
from services.intake.calendar.service import in_force
from services.intake.history.batch import Planned
from services.intake.history.planner import KnownUnit
from services.intake.reference.catalog import ProcedureInfo, read_procedures, read_units

SYSTEM_NAME = "history-import"
"""The upstream system imported dossiers are recorded under: created on first use, with a
key nobody holds (disabled), at the root of the tree."""

_DOSSIER_COLUMNS = (
    "id",
    "code",
    "procedure_code",
    "unit_code",
    "unit_path",
    "channel",
    "state",
    "applicant_ref",
    "contact_preference",
    "received_at",
    "clock_started_at",
    "due_at",
    "original_due_at",
    "rescheduled_due_at",
    "paused_at",
    "remaining_seconds",
    "supplement_count",
    "completed_at",
    "sequence",
    "source_system",
    "last_event_at",
)
_TIMELINE_COLUMNS = (
    "dossier_id",
    "sequence",
    "source_system",
    "upstream_event_id",
    "event_id",
    "transition",
    "occurred_at",
    "details",
    "outcome",
    "request",
)


@dataclass(frozen=True)
class Reference:
    units: dict[str, KnownUnit]
    procedures: dict[str, ProcedureInfo]


def load_reference(*, db_session: Connection) -> Reference:
    """Every unit (retired ones with their retirement) and procedure, read once, as intake's
    catalogue reads them."""
    units = {
        code: KnownUnit(info, info.retired_on, info.successor)
        for code, info in read_units(db_session).items()
    }
    return Reference(units, read_procedures(db_session))


def calendar_in_force(*, db_session: Connection) -> WorkingCalendar:
    """The working calendar with the announcements intake records (its system of record)."""
    return WorkingCalendar(overrides=overrides_from(in_force(db_session=db_session)))


def importer_principal(*, db_session: Connection) -> Principal:
    """The importer's upstream system, created (disabled, at the root) the first time."""
    db_session.execute(
        "INSERT INTO upstream_systems (id, name, api_key_sha256, unit_code, scopes, disabled_at) "
        "SELECT gen_random_uuid(), %s, %s, code, '{}', now() FROM units "
        "WHERE parent_code IS NULL ORDER BY code LIMIT 1 ON CONFLICT (name) DO NOTHING",
        (SYSTEM_NAME, key_digest(new_api_key())),
    )
    row = db_session.execute(
        "SELECT id, unit_code FROM upstream_systems WHERE name = %s", (SYSTEM_NAME,)
    ).fetchone()
    if row is None:
        raise RuntimeError("the unit tree is empty: run `seed` first")
    return Principal(row[0], SYSTEM_NAME, row[1], frozenset())


@dataclass
class Checkpoint:
    """How far a file's import has come (committed with each batch)."""

    file_sha256: bytes
    lines_done: int = 0
    imported: int = 0
    already: int = 0
    refused: int = 0
    resumed: bool = False
    started_from: int = 0
    """The line this run started after (the checkpoint it resumed)."""


def open_checkpoint(file_sha256: bytes, name: str, *, db_session: Connection) -> Checkpoint:
    """The file's unfinished checkpoint to resume from, or a new start (a finished file is
    read again from its first line: everything in it is then already there)."""
    row = db_session.execute(
        "SELECT lines_done, imported, already, refused FROM history_imports "
        "WHERE file_sha256 = %s AND finished_at IS NULL",
        (file_sha256,),
    ).fetchone()
    if row is not None:
        done, imported, already, refused = row
        return Checkpoint(file_sha256, done, imported, already, refused, True, done)
    db_session.execute(
        "INSERT INTO history_imports (file_sha256, file_name) VALUES (%s, %s) "
        "ON CONFLICT (file_sha256) DO UPDATE SET file_name = EXCLUDED.file_name, "
        "lines_done = 0, imported = 0, already = 0, refused = 0, started_at = now(), "
        "updated_at = now(), finished_at = NULL",
        (file_sha256, name),
    )
    return Checkpoint(file_sha256)


def save_checkpoint(checkpoint: Checkpoint, *, finished: bool, db_session: Connection) -> None:
    db_session.execute(
        "UPDATE history_imports SET lines_done = %s, imported = %s, already = %s, refused = %s, "
        "updated_at = now(), finished_at = CASE WHEN %s THEN now() END WHERE file_sha256 = %s",
        (
            checkpoint.lines_done,
            checkpoint.imported,
            checkpoint.already,
            checkpoint.refused,
            finished,
            checkpoint.file_sha256,
        ),
    )


def imported_before(codes: Sequence[str], *, db_session: Connection) -> dict[str, bytes | None]:
    """The codes among ``codes`` already taken: the digest of the record imported under
    each, None for a dossier intake received itself."""
    rows = db_session.execute(
        "SELECT d.code, h.record_sha256 FROM dossiers d "
        "LEFT JOIN history_dossiers h ON h.dossier_code = d.code WHERE d.code = ANY(%s)",
        (list(codes),),
    ).fetchall()
    return {code: bytes(digest) if digest is not None else None for code, digest in rows}


def _copy(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], db: Connection
) -> None:
    with db.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _timeline_row(entry: dict[str, Any]) -> list[Any]:
    entry = entry | {"details": Jsonb(entry["details"]), "outcome": Jsonb(entry["outcome"])}
    return [entry[column] for column in _TIMELINE_COLUMNS]


def _bump_counters(accepted: Sequence[Planned], db_session: Connection) -> None:
    """Every imported code's daily number counts as handed out: the counter of its unit
    and day is raised to it, so a new receipt is never numbered with it again."""
    highest: dict[tuple[str, date], int] = {}
    for item in accepted:
        unit, day, sequence = item.planned.counter
        highest[unit, day] = max(highest.get((unit, day), 0), sequence)
    keys = sorted(highest)
    db_session.execute(
        "INSERT INTO dossier_code_counters (unit_code, day, last) "
        "SELECT * FROM unnest(%s::text[], %s::date[], %s::int[]) ORDER BY 1, 2 "
        "ON CONFLICT (unit_code, day) DO UPDATE "
        "SET last = greatest(dossier_code_counters.last, EXCLUDED.last)",
        ([k[0] for k in keys], [k[1] for k in keys], [highest[k] for k in keys]),
    )


def write_batch(
    accepted: Sequence[Planned], checkpoint: Checkpoint, *, db_session: Connection
) -> None:
    """One batch's rows, events and checkpoint, in the caller's transaction."""
    if accepted:
        applicants = {a.planned.applicant["ref"]: a.planned.applicant for a in accepted}
        db_session.execute(
            "INSERT INTO applicants (ref, kind, full_name, id_number, phone, email, address) "
            "SELECT a.ref, a.kind, a.full_name, a.id_number, a.phone, a.email, a.address "
            "FROM jsonb_to_recordset(%s::jsonb) AS a(ref text, kind text, full_name text, "
            "id_number text, phone text, email text, address text) ORDER BY a.ref "
            "ON CONFLICT (ref) DO NOTHING",
            (recordset_text(applicants[ref] for ref in sorted(applicants)),),
        )
        _bump_counters(accepted, db_session)
        dossiers = [[a.planned.dossier[c] for c in _DOSSIER_COLUMNS] for a in accepted]
        _copy("dossiers", _DOSSIER_COLUMNS, dossiers, db_session)
        timeline = [_timeline_row(row) for a in accepted for row in a.planned.timeline]
        columns = [*_TIMELINE_COLUMNS[:-1], "request_sha256"]
        _copy("dossier_events", columns, timeline, db_session)
        codes = [
            (a.planned.dossier["code"], a.record_sha256, checkpoint.file_sha256, a.line)
            for a in accepted
        ]
        _copy(
            "history_dossiers",
            ("dossier_code", "record_sha256", "file_sha256", "line"),
            codes,
            db_session,
        )
        events = [event for a in accepted for event in a.planned.events]
        enqueue_many(
            events,
            topic=Topic.DOSSIER_EVENTS.value,
            keys=[event["subject"] for event in events],
            db_session=db_session,
        )
    save_checkpoint(checkpoint, finished=False, db_session=db_session)
