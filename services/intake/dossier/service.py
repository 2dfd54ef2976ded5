"""Write dossiers and read them back: the one code path behind every door.

A write is a set of parsed commands — a single request's, a group of receipts committed
together, a batch, a Kafka message's — run inside one transaction that the unit of work
(:mod:`~services.intake.dossier.unit_of_work`) opens, retries and commits. It goes
set-based (:func:`write_set_based`: a handful of statements, whatever the set's size) or,
where that path could answer differently from one command at a time, one by one
(:func:`write_one_by_one`: a savepoint per command). Either way every command gets its
own result, a refused one changes nothing, and the state change, the timeline entry and
the outbox row are written together: an event is published if and only if its change
committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import Connection, errors

from services.intake.auth import Principal
from services.intake.dossier import clock as dossier_clock
from services.intake.dossier import store
from services.intake.dossier.code import DossierCode
from services.intake.dossier.commands import Parsed, check_occurred_at
from services.intake.dossier.errors import IntakeError, no_such_dossier, unknown_reference
from services.intake.dossier.fingerprint import fingerprint
from services.intake.dossier.models import (
    AppointmentPreview,
    DossierTally,
    DossierView,
    ReceiveDossier,
    TimelineEntry,
    TransitionCommand,
)
from services.intake.dossier.plans import (
    Outcome,
    PreparedReceipt,
    Result,
    Written,
    local_day,
    plan_transition,
    prepare_receipt,
    replayed,
    sequence_exhausted,
)
from services.intake.dossier.receipt import ANONYMISED, Receipt
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.state import DossierState
from services.intake.dossier.transitions import allowed_transitions


class NotSetBased(Exception):
    """The set must go one by one; nothing of this attempt was committed."""


@dataclass(frozen=True)
class _Item:
    """A parsed command and its place in the set."""

    index: int
    parsed: Parsed


def write_set_based(
    commands: Sequence[Parsed | IntakeError],
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> tuple[list[Result], store.Numbering | None]:
    """Every command's result, in order, written in ``db_session``'s transaction.

    The Python work comes first, with no lock held (scope, catalogue, clocks); then one
    query for the replays, one locking the transitions' dossiers, the transitions decided
    in memory in order (each seeing the ones before it), and the writes, sent together
    with the commit. Raises :class:`NotSetBased` where one command at a time could answer
    differently: an event id twice in the set, or a transition that may name a dossier
    the set receives. The caller commits, then numbers the new dossiers
    (:meth:`store.Numbering.apply`); a conflict or a day out of numbers surfaces there.
    """
    results: list[Result | None] = [c if isinstance(c, IntakeError) else None for c in commands]
    parsed = [_Item(i, c) for i, c in enumerate(commands) if isinstance(c, Parsed)]
    ids = [item.parsed.command.event_id for item in parsed]
    if len(set(ids)) != len(ids):
        raise NotSetBased("an event id appears twice in the set")
    fresh = _answer_replays(parsed, results, principal, db_session)
    receipts = _prepare_receipts(fresh, results, principal, rules, db_session)
    new = [receipt.new_dossier(principal) for _, receipt in receipts]
    for (item, _), dossier in zip(receipts, new, strict=True):
        results[item.index] = dossier.written.outcome
    transitions = [item for item in fresh if item.parsed.dossier_code is not None]
    dossiers = store.lock_dossiers(
        {code for item in transitions if (code := item.parsed.dossier_code)}, db_session=db_session
    )
    _check_none_names_a_new_dossier(transitions, dossiers, {n.counter for n in new})
    changed, updates = _decide_transitions(
        transitions, dossiers, results, principal, rules, db_session
    )
    numbering = store.insert_new_dossiers(new, db_session=db_session) if new else None
    for dossier_id, columns in updates.items():
        store.update_dossier(dossier_id, columns, db_session=db_session)
    if changed:
        store.write_timeline(changed, db_session=db_session)
    assert all(result is not None for result in results)
    return [result for result in results if result is not None], numbering


def _answer_replays(
    parsed: list[_Item], results: list[Result | None], principal: Principal, db_session: Connection
) -> list[_Item]:
    """Answer the items whose event id was recorded before; the others, still to do."""
    recorded = store.recorded(
        principal.system_id,
        [item.parsed.command.event_id for item in parsed],
        db_session=db_session,
    )
    fresh = []
    for item in parsed:
        command, code = item.parsed.command, item.parsed.dossier_code
        found = recorded.get(command.event_id)
        if found is None:
            fresh.append(item)
            continue
        try:
            results[item.index] = replayed(found, command.event_id, fingerprint(command, code))
        except IntakeError as exc:
            results[item.index] = exc
    return fresh


def _prepare_receipts(
    fresh: list[_Item],
    results: list[Result | None],
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> list[tuple[_Item, PreparedReceipt]]:
    """The receipts among ``fresh`` checked and their clocks started; refusals answered."""
    prepared = []
    for item in fresh:
        command = item.parsed.command
        if isinstance(command, ReceiveDossier):
            try:
                receipt = prepare_receipt(
                    command, principal=principal, rules=rules, db_session=db_session
                )
            except IntakeError as exc:
                results[item.index] = exc
                continue
            prepared.append((item, receipt))
    return prepared


def _check_none_names_a_new_dossier(
    transitions: list[_Item], dossiers: dict[str, dict[str, Any]], days: set[tuple[str, date]]
) -> None:
    """One command at a time, a transition could name a dossier an earlier receipt of the
    set created (its code guessed); here the new dossiers are numbered only as they are
    written, so such a set goes one by one rather than answer 404."""
    if not days:
        return
    for item in transitions:
        code = item.parsed.dossier_code
        if code is not None and code not in dossiers:
            named = DossierCode.parse(code)
            if (named.unit_code, named.received_on) in days:
                raise NotSetBased("a transition may name a dossier this set receives")


def _decide_transitions(
    transitions: list[_Item],
    dossiers: dict[str, dict[str, Any]],
    results: list[Result | None],
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> tuple[list[Written], dict[uuid.UUID, dict[str, Any]]]:
    """Plan each transition on its dossier as the earlier ones of the set left it: what
    they write, and each changed dossier's columns to update (the last value of each)."""
    written = []
    updates: dict[uuid.UUID, dict[str, Any]] = {}
    for item in transitions:
        command, code = item.parsed.command, item.parsed.dossier_code
        assert code is not None
        assert isinstance(command, TransitionCommand)
        try:
            row = _covered(dossiers.get(code), code, item.parsed.dossier_id, principal)
            planned = plan_transition(
                row, command, principal=principal, rules=rules, db_session=db_session
            )
        except IntakeError as exc:
            results[item.index] = exc
            continue
        row.update(planned.changes)
        updates.setdefault(planned.written.dossier_id, {}).update(planned.changes)
        written.append(planned.written)
        results[item.index] = planned.written.outcome
    return written, updates


def _covered(
    row: dict[str, Any] | None, code: str, dossier_id: str | None, principal: Principal
) -> dict[str, Any]:
    """``row`` when the caller may write to it; else 404, its existence not the caller's
    to learn. A command naming the dossier's id too (an issued apology letter) must name
    the coded dossier's: a letter about another dossier that happens to bear the same
    code (another intake's, a restored database's) moves nobody's appointment."""
    if row is None or not principal.covers(row["unit_path"]):
        raise no_such_dossier(code)
    if dossier_id is not None and str(row["id"]) != dossier_id:
        raise no_such_dossier(code)
    return row


def counter_keys(commands: Sequence[Parsed | IntakeError]) -> set[tuple[str, date]]:
    """The (unit, local day) daily-sequence counters the set's receipts will take."""
    return {
        (c.command.unit_code, local_day(c.command.occurred_at))
        for c in commands
        if isinstance(c, Parsed) and isinstance(c.command, ReceiveDossier)
    }


def write_one_by_one(
    commands: Sequence[Parsed | IntakeError],
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> list[Result]:
    """Every command's result, in order, each in its own savepoint of ``db_session``'s
    transaction: later commands see what the earlier accepted ones wrote.

    The dossiers the transitions name and every counter the receipts will use are locked
    first, in the global order, whatever the commands' order.
    """
    parsed = [c for c in commands if isinstance(c, Parsed)]
    store.lock_dossiers({code for c in parsed if (code := c.dossier_code)}, db_session=db_session)
    store.lock_counters(counter_keys(commands), db_session=db_session)
    seen = set(
        store.recorded(
            principal.system_id, [c.command.event_id for c in parsed], db_session=db_session
        )
    )
    results: list[Result] = []
    for command in commands:
        if isinstance(command, IntakeError):
            results.append(command)
            continue
        event_id = command.command.event_id
        try:
            results.append(
                _write_alone(
                    command,
                    principal=principal,
                    rules=rules,
                    db_session=db_session,
                    maybe_replay=event_id in seen,
                )
            )
        except IntakeError as exc:
            results.append(exc)
        seen.add(event_id)  # an id twice in the set: the second is the first's replay
    return results


def _write_alone(
    parsed: Parsed,
    *,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
    maybe_replay: bool,
) -> Outcome:
    """One command in its own savepoint; an id recorded meanwhile (an earlier command of
    the set, a concurrent write) is then replayed, or refused if the request differs. A
    second conflict is this command's refusal (409), not the set's: its savepoint is
    rolled back and the others go on."""
    try:
        with db_session.transaction():
            return _write(parsed, principal, rules, db_session, maybe_replay=maybe_replay)
    except errors.UniqueViolation:
        try:
            with db_session.transaction():
                return _write(parsed, principal, rules, db_session, maybe_replay=True)
        except errors.UniqueViolation as again:
            raise IntakeError(
                409,
                "Conflict",
                f"a concurrent write holds what this item would write "
                f"({again.diag.constraint_name or 'a unique constraint'}); send it again",
                reason="conflict",
            ) from None


def _write(
    parsed: Parsed,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
    *,
    maybe_replay: bool,
) -> Outcome:
    command, code = parsed.command, parsed.dossier_code
    if maybe_replay:
        found = _replay(principal, command.event_id, fingerprint(command, code), db_session)
        if found:
            return found
    if isinstance(command, ReceiveDossier):
        return _receive(command, principal, rules, db_session)
    assert code is not None
    assert isinstance(command, TransitionCommand)
    return _transition(parsed, command, code, principal, rules, db_session)


def _replay(
    principal: Principal, event_id: str, request: bytes, db_session: Connection
) -> Outcome | None:
    """The stored outcome when ``event_id`` was seen with this same request (fingerprint)."""
    row = store.recorded(principal.system_id, [event_id], db_session=db_session).get(event_id)
    return None if row is None else replayed(row, event_id, request)


def _receive(
    command: ReceiveDossier, principal: Principal, rules: IntakeRules, db_session: Connection
) -> Outcome:
    prepared = prepare_receipt(command, principal=principal, rules=rules, db_session=db_session)
    new = prepared.new_dossier(principal)
    try:  # a pipeline reports the error at whichever later statement it has reached
        store.insert_new_dossiers([new], db_session=db_session).apply()
    except errors.CheckViolation as exc:
        if exc.diag.constraint_name != store.COUNTER_LIMIT:
            raise
        raise sequence_exhausted(*prepared.counter) from None
    return new.written.outcome


def _transition(
    parsed: Parsed,
    command: TransitionCommand,
    code: str,
    principal: Principal,
    rules: IntakeRules,
    db_session: Connection,
) -> Outcome:
    found = store.lock_dossiers([code], db_session=db_session).get(code)
    row = _covered(found, code, parsed.dossier_id, principal)
    planned = plan_transition(row, command, principal=principal, rules=rules, db_session=db_session)
    store.update_dossier(planned.written.dossier_id, planned.changes, db_session=db_session)
    store.write_timeline([planned.written], db_session=db_session)
    return planned.written.outcome


def get_dossier(code: str, *, principal: Principal, db_session: Connection) -> DossierView:
    """A dossier and its full timeline; 404 outside the caller's subtree."""
    dossier = store.dossier_row(code, db_session=db_session)
    if dossier is None or not principal.covers(dossier["unit_path"]):
        raise no_such_dossier(code)
    timeline = store.timeline_rows(dossier["id"], db_session=db_session)
    view = view_of(dossier)
    return view.model_copy(update={"timeline": [TimelineEntry(**entry) for entry in timeline]})


def view_of(dossier: dict[str, Any]) -> DossierView:
    """A row selected with ``store.VIEW_COLUMNS`` as the API shows it."""
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
    """Mẫu 01 for a dossier, from intake's own tables."""
    row = store.receipt_row(code, db_session=db_session)
    if row is None or not principal.covers(row["unit_path"]):
        raise IntakeError(404, "No such dossier", f"no dossier has code {code}", reason="not_found")
    return Receipt(
        agency=row["agency"],
        parent_agency=row["parent_agency"],
        agency_address=row["agency_address"],
        agency_head_title=row["agency_head_title"],
        agency_phone=row["agency_phone"],
        dossier_code=row["code"],
        procedure_code=row["procedure_code"],
        procedure_name=row["procedure_name"],
        applicant_name=ANONYMISED if row["anonymised"] else row["full_name"],
        applicant_phone=row["phone"],
        applicant_email=row["email"],
        applicant_address=row["address"],
        contact_preference=row["contact_preference"],
        channel=row["channel"],
        documents=tuple(row["details"].get("documents", [])),
        processing_amount=row["processing_amount"],
        processing_unit=row["processing_unit"],
        received_at=row["received_at"],
        due_at=row["original_due_at"],
        applicant_anonymised=row["anonymised"],
    )


def page_of_dossiers(
    scope: store.DossierScope, listing: store.Listing, limit: int, *, db_session: Connection
) -> tuple[list[DossierView], str | None]:
    rows, next_cursor = store.page_of(scope, listing, limit, db_session=db_session)
    return [view_of(row) for row in rows], next_cursor


def tally(scope: store.DossierScope, *, db_session: Connection) -> DossierTally:
    by_state = store.tally(scope, db_session=db_session)
    return DossierTally(unit_code=scope.subtree, received=sum(by_state.values()), by_state=by_state)


def appointment_preview(
    unit: str,
    procedure: str,
    received_at: datetime,
    *,
    channel: str,
    rules: IntakeRules,
    db_session: Connection,
) -> AppointmentPreview:
    """The appointment a receipt would get, without writing anything; 422 for an
    implausible instant, an unknown unit or an inactive procedure."""
    check_occurred_at(received_at, rules, field="received_at", ahead=True)
    found_unit, processing = store.appointment_reference(unit, procedure, db_session=db_session)
    if not found_unit:
        raise unknown_reference("unit", f"no unit has code {unit}")
    if processing is None:
        raise unknown_reference("procedure", f"no active procedure has code {procedure}")
    clock = dossier_clock.start(
        rules.calendar,
        received_at,
        paper=channel != "online",
        processing_time=processing,
        cutoff=rules.paper_cutoff,
    )
    return AppointmentPreview(
        procedure_code=procedure,
        unit_code=unit,
        received_at=received_at,
        clock_starts_at=clock.started_at,
        due_at=clock.due_at,
        processing_time={"amount": processing.amount, "unit": processing.unit},
    )
