"""A batch of commands in a handful of statements, whatever its size.

One command at a time costs a batch four round trips and a savepoint per item: 1,000
savepoints overflow PostgreSQL's subtransaction cache (every concurrent session slows
down) and the counters stay locked for the whole walk. Here the Python work comes first,
with no lock held (validation, scope, catalogue, clocks), then:

1. one query: which of the batch's event ids were recorded before (each is replayed, or
   refused when its request differs);
2. one query: the dossiers the transitions name, locked ``FOR UPDATE`` in code order;
3. the transitions decided in memory, in item order, each seeing the ones before it;
   then the writes, sent together with the commit: every day's counter advanced once by
   one sorted ``INSERT … ON CONFLICT … RETURNING``, and one multi-row statement per
   table whose dossiers take their numbers from those counters in SQL
   (:func:`~services.intake.dossier.service.write_new_dossiers`). The counters are
   locked only while the writes and the commit run.

Every writer locks in one order: dossiers, then counters, then applicants.

A refused item changes nothing and the rest commit. Where this path could answer
differently from one command at a time (an event id twice in the batch, a daily sequence
running out, a unique constraint hit by a concurrent write) it raises :class:`NotSetBased`,
or its commit fails, and the caller runs the batch item by item.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg import Connection, errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from services.intake.auth import Principal
from services.intake.dossier.code import DossierCode
from services.intake.dossier.commands import Parsed, parse_command
from services.intake.dossier.errors import IntakeError, no_such_dossier
from services.intake.dossier.fingerprint import fingerprint
from services.intake.dossier.models import ReceiveDossier, TransitionCommand
from services.intake.dossier.service import (
    LOCK_DOSSIER_SQL,
    RECORDED_COLUMNS,
    IntakeRules,
    Numbering,
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


Write = Callable[[Connection], tuple[list[Result], Numbering | None]]


def commit_set_based(pool: ConnectionPool, write: Write) -> list[Result]:
    """``write`` (:func:`run_set_based` or :func:`run_receipts` on a connection) in one
    pipelined transaction, its new dossiers numbered once it committed.

    A pipeline reports a conflict, or a day out of numbers, at the commit's sync: nothing
    was written, and it is :class:`NotSetBased`. A deadlock is left to the caller.
    """
    try:
        with pool.connection() as conn, conn.pipeline():
            with conn.transaction():
                answers, numbering = write(conn)
            if numbering is not None:
                numbering.apply()
    except (errors.UniqueViolation, errors.CheckViolation) as exc:
        raise NotSetBased("the commit refused the writes") from exc
    return answers


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
) -> tuple[list[Result], Numbering | None]:
    """Every item's result, in order, the writes made in ``db_session``'s transaction;
    raises :class:`NotSetBased` as the module says. The caller commits, then numbers the
    new dossiers in the results (:meth:`Numbering.apply`)."""
    results: list[Result | None] = [None] * len(items)
    parsed: list[_Item] = []
    for index, raw in enumerate(items):
        try:
            command: Parsed = parse_command(raw, rules=rules)
        except IntakeError as exc:
            results[index] = exc
            continue
        parsed.append(_Item(index, command[0], command[1]))
    return _run_parsed(parsed, results, principal, rules, db_session)


def run_receipts(
    commands: Sequence[ReceiveDossier],
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> tuple[list[Result], Numbering | None]:
    """:func:`run_set_based` for receipts already validated (single requests committed
    together, :mod:`~services.intake.dossier.group_commit`)."""
    parsed = [_Item(index, command, None) for index, command in enumerate(commands)]
    return _run_parsed(parsed, [None] * len(commands), principal, rules, db_session)


def _run_parsed(
    parsed: list[_Item],
    results: list[Result | None],
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> tuple[list[Result], Numbering | None]:
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
    new = [receipt.new_dossier(principal) for _, receipt in receipts]
    for (item, _), dossier in zip(receipts, new, strict=True):
        results[item.index] = dossier.written.outcome
    dossiers = _lock_dossiers(
        {item.dossier_code for item in transitions if item.dossier_code is not None}, db_session
    )
    _check_none_names_a_new_dossier(transitions, dossiers, {n.counter for n in new})
    changed, updates = _decide_transitions(
        transitions, dossiers, results, principal, rules, db_session
    )
    numbering = write_new_dossiers(new, db_session=db_session) if new else None
    for dossier_id, columns in updates.items():
        update_dossier(dossier_id, columns, db_session=db_session)
    if changed:
        write_timeline(changed, db_session=db_session)
    assert all(result is not None for result in results)
    return [result for result in results if result is not None], numbering


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


def _check_none_names_a_new_dossier(
    transitions: list[_Item], dossiers: dict[str, dict[str, Any]], days: set[tuple[str, date]]
) -> None:
    """One item at a time, a transition could name a dossier an earlier receipt of the
    batch created (its code guessed); here the new dossiers are numbered only as they are
    written, so such a batch goes item by item rather than answer 404."""
    for item in transitions:
        code = item.dossier_code
        if code is not None and code not in dossiers:
            named = DossierCode.parse(code)
            if (named.unit_code, named.received_on) in days:
                raise NotSetBased("a transition may name a dossier this batch receives")


def _lock_dossiers(codes: set[str], db_session: Connection) -> dict[str, dict[str, Any]]:
    """The dossiers the transitions name, locked in code order (before any counter: the
    one lock order of every writer)."""
    if not codes:
        return {}
    with db_session.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(
            f"{LOCK_DOSSIER_SQL} WHERE code = ANY(%s) ORDER BY code FOR UPDATE", (sorted(codes),)
        ).fetchall()
    return {row["code"]: row for row in rows}


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
