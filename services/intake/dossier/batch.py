"""A batch of commands in a handful of statements, whatever its size.

One command at a time costs a batch four round trips and a savepoint per item: 1,000
savepoints overflow PostgreSQL's subtransaction cache (every concurrent session slows
down) and the counters stay locked for the whole walk. Here the Python work comes first,
with no lock held (validation, scope, catalogue, clocks), then:

1. one query: which of the batch's event ids were recorded before (each is replayed, or
   refused when its request differs);
2. one round trip: every new receipt's daily sequence numbers allocated at once by one
   sorted ``INSERT … ON CONFLICT … RETURNING``, and the dossiers the transitions name
   locked ``FOR UPDATE`` in code order — the one lock order of every writer (counters,
   then dossiers, then applicants);
3. the transitions decided in memory, in item order, each seeing the ones before it;
   then the writes, one multi-row statement per table, and the commit.

A refused item changes nothing and the rest commit. Where this path could answer
differently from one command at a time (an event id twice in the batch, a daily sequence
running out, a unique constraint hit by a concurrent write) it raises :class:`NotSetBased`
before anything commits, and the caller runs the batch item by item.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg import Connection, errors
from psycopg.rows import dict_row

from motcua.db import recordset
from services.intake.auth import Principal
from services.intake.dossier.code import MAX_PER_DAY
from services.intake.dossier.commands import Parsed, parse_command
from services.intake.dossier.errors import IntakeError, no_such_dossier
from services.intake.dossier.fingerprint import fingerprint
from services.intake.dossier.models import ReceiveDossier, TransitionCommand
from services.intake.dossier.service import (
    LOCK_DOSSIER_SQL,
    RECORDED_COLUMNS,
    IntakeRules,
    Outcome,
    PreparedReceipt,
    Written,
    plan_transition,
    prepare_receipt,
    replayed,
    update_dossier,
    write_new_dossiers,
    write_timeline,
)

Result = Outcome | IntakeError
"""An item's answer: what it did (or replayed), or why it was refused."""


class NotSetBased(Exception):
    """The batch must go item by item; nothing of this attempt was committed."""


@dataclass
class _Item:
    index: int
    command: ReceiveDossier | TransitionCommand
    dossier_code: str | None
    receipt: PreparedReceipt | None = None


def run_set_based(
    items: Sequence[dict[str, Any]],
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> list[Result]:
    """Every item's result, in order, the writes made in ``db_session``'s transaction
    (the caller commits); raises :class:`NotSetBased` as the module says."""
    results: list[Result | None] = [None] * len(items)
    parsed: list[_Item] = []
    for index, raw in enumerate(items):
        try:
            command: Parsed = parse_command(raw, rules=rules)
        except IntakeError as exc:
            results[index] = exc
            continue
        parsed.append(_Item(index, command[0], command[1]))
    ids = [item.command.event_id for item in parsed]
    if len(set(ids)) != len(ids):
        raise NotSetBased("an event id appears twice in the batch")
    fresh = _answer_replays(parsed, results, principal, db_session)
    for item in fresh:
        if item.dossier_code is None:
            assert isinstance(item.command, ReceiveDossier)
            try:
                item.receipt = prepare_receipt(
                    item.command, principal=principal, rules=rules, db_session=db_session
                )
            except IntakeError as exc:
                results[item.index] = exc
    fresh = [item for item in fresh if results[item.index] is None]
    receipts = [(item, item.receipt) for item in fresh if item.receipt is not None]
    transitions = [item for item in fresh if item.dossier_code is not None]
    try:
        sequences, dossiers = _allocate_and_lock(
            [receipt for _, receipt in receipts],
            {item.dossier_code for item in transitions if item.dossier_code is not None},
            db_session,
        )
        new = [
            receipt.numbered(sequence, principal)
            for (_, receipt), sequence in zip(receipts, sequences, strict=True)
        ]
        for (item, _), dossier in zip(receipts, new, strict=True):
            results[item.index] = dossier.written.outcome
        new_codes = {dossier.dossier["code"] for dossier in new}
        if any(item.dossier_code in new_codes for item in transitions):
            raise NotSetBased("a transition names a dossier this batch receives")
        changed, updates = _decide_transitions(
            transitions, dossiers, results, principal, rules, db_session
        )
        if new:
            write_new_dossiers(new, db_session=db_session)
        for dossier_id, columns in updates.items():
            update_dossier(dossier_id, columns, db_session=db_session)
        if changed:
            write_timeline(changed, db_session=db_session)
    except errors.UniqueViolation as exc:
        raise NotSetBased("a concurrent write holds what the batch would write") from exc
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


def _answer_replays(
    parsed: list[_Item],
    results: list[Result | None],
    principal: Principal,
    db_session: Connection,
) -> list[_Item]:
    """Answer the items whose event id was recorded before; the others, still to do."""
    ids = [item.command.event_id for item in parsed]
    rows = db_session.execute(
        f"SELECT {RECORDED_COLUMNS} FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id "
        "WHERE e.source_system = %s AND e.upstream_event_id = ANY(%s)",
        (principal.system_id, ids),
    ).fetchall()
    recorded = {row[0]: row for row in rows}
    fresh = []
    for item in parsed:
        found = recorded.get(item.command.event_id)
        if found is None:
            fresh.append(item)
            continue
        try:
            results[item.index] = replayed(
                found, item.command.event_id, fingerprint(item.command, item.dossier_code)
            )
        except IntakeError as exc:
            results[item.index] = exc
    return fresh


def _allocate_and_lock(
    receipts: Sequence[PreparedReceipt], codes: set[str], db_session: Connection
) -> tuple[list[int], dict[str, dict[str, Any]]]:
    """Each receipt's daily sequence number, in order, and the named dossiers' rows, locked:
    two statements sent together, answered in one round trip.

    One statement advances every counter by its day's count, in (unit, day) order; the
    dossiers are locked in code order after them: the one lock order of every writer.
    """
    counts: dict[tuple[str, date], int] = defaultdict(int)
    for receipt in receipts:
        counts[receipt.counter] += 1
    with db_session.cursor() as counters, db_session.cursor(row_factory=dict_row) as locked:
        if counts:
            counters.execute(
                "INSERT INTO dossier_code_counters (unit_code, day, last) "
                "SELECT k.unit_code, k.day, k.n FROM jsonb_to_recordset(%s) "
                "AS k(unit_code text, day date, n integer) ORDER BY k.unit_code, k.day "
                "ON CONFLICT (unit_code, day) DO UPDATE "
                "SET last = dossier_code_counters.last + EXCLUDED.last "
                "RETURNING unit_code, day, last",
                (
                    recordset(
                        {"unit_code": unit, "day": day.isoformat(), "n": n}
                        for (unit, day), n in sorted(counts.items())
                    ),
                ),
            )
        if codes:
            locked.execute(
                f"{LOCK_DOSSIER_SQL} WHERE code = ANY(%s) ORDER BY code FOR UPDATE",
                (sorted(codes),),
            )
        following: dict[tuple[str, date], int] = {}
        for unit, day, last in counters.fetchall() if counts else []:
            if last > MAX_PER_DAY:
                raise NotSetBased(f"unit {unit} runs out of sequence numbers on {day}")
            following[(unit, day)] = last - counts[(unit, day)] + 1
        dossiers = {row["code"]: row for row in locked.fetchall()} if codes else {}
    sequences = []
    for receipt in receipts:
        sequences.append(following[receipt.counter])
        following[receipt.counter] += 1
    return sequences, dossiers


def _decide_transitions(
    transitions: list[_Item],
    dossiers: dict[str, dict[str, Any]],
    results: list[Result | None],
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> tuple[list[Written], dict[uuid.UUID, dict[str, Any]]]:
    """Plan each transition on its dossier as the earlier ones of the batch left it: what
    they write, and each changed dossier's columns to update (the last value of each)."""
    written = []
    updates: dict[uuid.UUID, dict[str, Any]] = {}
    for item in transitions:
        assert item.dossier_code is not None
        assert isinstance(item.command, TransitionCommand)
        row = dossiers.get(item.dossier_code)
        try:
            if row is None or not principal.covers(row["unit_path"]):
                raise no_such_dossier(item.dossier_code)
            planned = plan_transition(
                row, item.command, principal=principal, rules=rules, db_session=db_session
            )
        except IntakeError as exc:
            results[item.index] = exc
            continue
        row.update(planned.changes)
        updates.setdefault(planned.written.dossier_id, {}).update(planned.changes)
        written.append(planned.written)
        results[item.index] = planned.written.outcome
    return written, updates
