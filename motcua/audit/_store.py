"""The audit log in a service's own schema: append under a lock, read with filters, check
the chain.

Appends serialise on a transaction-scoped advisory lock, so the entry written in the
same transaction as the action it records commits (or rolls back) with it, and the next
writer reads the hash it must chain to only once this one is settled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from motcua.audit._entry import (
    GENESIS,
    Action,
    ActorKind,
    AuditEntry,
    Outcome,
    entry_fields,
    entry_hash,
)

_LOCK = "SELECT pg_advisory_xact_lock(hashtext('motcua.audit_log'))"
_COLUMNS = (
    "seq, at, actor, actor_kind, action, record_type, record_id, unit_path, address, "
    "outcome, details, prev_hash, hash"
)


def record(action: Action, *, db_session: Connection[Any]) -> AuditEntry:
    """Append ``action`` to the log, in the caller's transaction."""
    db_session.execute(_LOCK)
    last = db_session.execute(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    seq, prev_hash = (last[0] + 1, bytes(last[1])) if last else (1, GENESIS)
    at = datetime.now(UTC)
    digest = entry_hash(prev_hash, seq, at, action)
    db_session.execute(
        f"INSERT INTO audit_log ({_COLUMNS}) VALUES "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            seq,
            at,
            action.actor,
            str(action.actor_kind),
            action.action,
            action.record_type,
            action.record_id,
            list(action.unit_path),
            action.address,
            str(action.outcome),
            Jsonb(dict(action.details)),
            prev_hash,
            digest,
        ),
    )
    return AuditEntry(seq, at, action, prev_hash, digest)


def record_alone(action: Action, *, db_session: Connection[Any]) -> AuditEntry:
    """Append in a transaction of its own: for what must be recorded even though the
    request's own work is refused (a failed sign-in, a throttled call)."""
    with db_session.transaction():
        return record(action, db_session=db_session)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    """An action, or a prefix ending in a dot (``letter.``)."""
    record_type: str | None = None
    record_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    """Exclusive."""


PLATFORM_DEPTH = 2
"""Inspectors of a unit this close to the root (the ministry, a province's department:
the police that runs the platform) also read platform-wide entries."""


def sees_platform(unit_path: Sequence[str]) -> bool:
    """True for an inspector's unit whose root-first path has at most ``PLATFORM_DEPTH``
    units; an unknown unit (empty path) sees nothing platform-wide."""
    return 0 < len(unit_path) <= PLATFORM_DEPTH


@dataclass(frozen=True)
class AuditScope:
    """What an inspector may read: entries on their unit's subtree, and platform-wide
    entries only when their unit is a top unit (a province's department or the ministry)."""

    unit_code: str
    sees_platform: bool


def _row_entry(row: Sequence[Any]) -> AuditEntry:
    action = Action(
        actor=row[2],
        actor_kind=ActorKind(row[3]),
        action=row[4],
        record_type=row[5],
        record_id=row[6],
        unit_path=tuple(row[7]),
        address=row[8],
        outcome=Outcome(row[9]),
        details=row[10],
    )
    return AuditEntry(row[0], row[1], action, bytes(row[11]), bytes(row[12]))


def read_entries(
    scope: AuditScope,
    wanted: AuditFilter,
    *,
    before_seq: int | None = None,
    limit: int = 100,
    db_session: Connection[Any],
) -> list[AuditEntry]:
    """Newest first; ``before_seq`` pages on (keyset)."""
    conditions = ["(%s = ANY(unit_path) OR (%s AND unit_path = '{}'))"]
    params: list[Any] = [scope.unit_code, scope.sees_platform]
    if wanted.actor:
        conditions.append("actor = %s")
        params.append(wanted.actor)
    if wanted.action:
        if wanted.action.endswith("."):
            conditions.append("starts_with(action, %s)")
        else:
            conditions.append("action = %s")
        params.append(wanted.action)
    if wanted.record_type:
        conditions.append("record_type = %s")
        params.append(wanted.record_type)
    if wanted.record_id:
        conditions.append("record_id = %s")
        params.append(wanted.record_id)
    if wanted.since:
        conditions.append("at >= %s")
        params.append(wanted.since)
    if wanted.until:
        conditions.append("at < %s")
        params.append(wanted.until)
    if before_seq is not None:
        conditions.append("seq < %s")
        params.append(before_seq)
    params.append(limit)
    rows = db_session.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE {' AND '.join(conditions)} "
        "ORDER BY seq DESC LIMIT %s",
        params,
    ).fetchall()
    return [_row_entry(row) for row in rows]


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    first_broken: int | None
    """The seq of the first entry whose hash, link or number is wrong; None: intact."""
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken is None


def _all_entries(db_session: Connection[Any]) -> Iterator[AuditEntry]:
    with db_session.cursor(name="audit_verify") as cursor:
        cursor.itersize = 2000
        cursor.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq")
        for row in cursor:
            yield _row_entry(row)


def verify_chain(*, db_session: Connection[Any]) -> ChainCheck:
    """Recompute every hash in order. A changed field breaks that entry's hash; a removed
    or inserted entry breaks the numbering or the link of the one after it."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    with db_session.transaction():
        for entry in _all_entries(db_session):
            if entry.seq != expected_seq:
                return ChainCheck(checked, entry.seq, f"expected entry {expected_seq} here")
            if entry.prev_hash != prev_hash:
                return ChainCheck(checked, entry.seq, "does not link to the entry before it")
            if entry_hash(prev_hash, entry.seq, entry.at, entry.action) != entry.hash:
                return ChainCheck(checked, entry.seq, "its content does not match its hash")
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    return ChainCheck(checked, None)


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {**entry_fields(entry.seq, entry.at, entry.action), "hash": entry.hash.hex()}


CSV_COLUMNS = (
    "seq",
    "at",
    "actor",
    "actor_kind",
    "action",
    "record_type",
    "record_id",
    "unit_path",
    "address",
    "outcome",
    "details",
    "hash",
)
"""The CSV's columns, in order; the download adds the action's label after ``action``."""


def entry_csv_row(entry: AuditEntry) -> list[str]:
    data = entry_json(entry)
    data["unit_path"] = "/".join(data["unit_path"])
    data["details"] = json.dumps(data["details"], ensure_ascii=False, sort_keys=True)
    return ["" if data[c] is None else str(data[c]) for c in CSV_COLUMNS]
