"""Intake's HTTP API for dossiers: receive, transitions, batch, read, list, preview."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from psycopg import Connection, errors
from psycopg.rows import dict_row
from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from motcua.documents import render_pdf
from motcua.dossier import LOCAL_ZONE, PROCEDURE_CODE_PATTERN, UNIT_CODE_PATTERN, ProcessingTime
from motcua.http import Problem
from services.intake.auth import Principal, Scope
from services.intake.dependencies import IntakeContext, authenticated, context, scoped
from services.intake.dossier import clock as dossier_clock
from services.intake.dossier.batch import NotSetBased, commit_set_based, run_set_based
from services.intake.dossier.code import DOSSIER_CODE, DOSSIER_CODE_PATTERN, UNIT_CODE
from services.intake.dossier.commands import check_occurred_at, execute_command
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.models import DossierView, ReceiveDossier
from services.intake.dossier.receipt import Receipt
from services.intake.dossier.service import (
    OVERDUE_SQL,
    VIEW_COLUMNS,
    Outcome,
    apply_transition,
    committed,
    get_dossier,
    load_receipt,
    view_of,
)
from services.intake.dossier.state import DossierState
from services.intake.dossier.transitions import UpstreamTransition
from services.intake.metrics import BATCH_ABORTS, BATCH_PATHS, REJECTS, REPLAYS

router = APIRouter(prefix="/v1", tags=["dossiers"], responses={401: {}})
REPLAY_HEADER = "Idempotent-Replayed"
BATCH_ATTEMPTS = 3
RECEIPT_WAIT_S = 30.0
"""How long a single receipt waits for its group commit before it is told to retry."""
# ``ReceiveDossier.occurred_at``'s own type: the batch pre-locks counters by reading it so.
_INSTANT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)

Writer = Annotated[Principal, Depends(scoped(Scope.WRITE))]
Reader = Annotated[Principal, Depends(scoped(Scope.READ))]
Code = Annotated[
    str, Path(pattern=DOSSIER_CODE_PATTERN, description="National dossier code (unit-YYMMDD-NNNN).")
]


def _run(
    ctx: IntakeContext, work: Callable[[Connection], Outcome], door: str, *, occurred_at: datetime
) -> Outcome:
    """Run one command in its own transaction; a lost race on the upstream id is a replay
    (or, for a different request under the same id, its refusal). A transaction PostgreSQL
    aborted (deadlock, serialization) committed nothing: it runs again, and after
    ``BATCH_ATTEMPTS`` the caller is told to retry (503), never a bare 500."""
    try:
        check_occurred_at(occurred_at, ctx.rules)
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            try:
                outcome = _run_once(ctx, work)
                committed([outcome])
                break
            except (errors.DeadlockDetected, errors.SerializationFailure) as exc:
                _aborted(exc, attempt, what="the request")
    except IntakeError as exc:
        REJECTS.labels(exc.reason, door).inc()
        raise
    if outcome.replayed:
        REPLAYS.labels(door).inc()
    return outcome


def _run_once(ctx: IntakeContext, work: Callable[[Connection], Outcome]) -> Outcome:
    try:
        # Pipeline mode: the inserts go out together instead of one round trip each.
        with ctx.pool.connection() as conn, conn.pipeline():
            return work(conn)
    except errors.UniqueViolation:
        with ctx.pool.connection() as conn:
            return work(conn)


def _aborted(exc: errors.Error, attempt: int, *, what: str) -> None:
    """Count a transaction PostgreSQL aborted; wait a jittered moment before the next
    attempt, or, after the last, answer 503 with ``Retry-After``."""
    BATCH_ABORTS.labels(
        "deadlock" if isinstance(exc, errors.DeadlockDetected) else "serialization"
    ).inc()
    if attempt == BATCH_ATTEMPTS:
        raise Problem(
            503,
            "Busy",
            f"concurrent writes to the same dossiers; retry {what}",
            headers={"Retry-After": "1"},
        ) from None
    time.sleep(random.uniform(0.02, 0.1) * attempt)  # noqa: S311 (jitter)


def _respond(outcome: Outcome) -> JSONResponse:
    headers = {REPLAY_HEADER: "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


def _wants_pdf(request: Request) -> bool:
    return "application/pdf" in request.headers.get("accept", "")


def _receipt_response(
    code: str,
    principal: Principal,
    ctx: IntakeContext,
    *,
    pdf: bool,
    status: int = 200,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    receipt: Receipt | None = None,
) -> Response:
    """``receipt`` when the caller has it (a receipt just written); else it is read."""
    if receipt is None:
        with ctx.pool.connection() as conn:
            receipt = load_receipt(code, principal=principal, db_session=conn)
    if pdf:
        return Response(
            render_pdf(receipt.document()),
            status_code=status,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{code}.pdf"', **(headers or {})},
        )
    return JSONResponse(
        {**(extra or {}), "receipt": receipt.as_json()}, status_code=status, headers=headers
    )


@router.post(
    "/dossiers",
    status_code=201,
    summary="Receive a dossier: its code, appointment date and receipt (Mẫu 01).",
    description="Answers JSON with the receipt's content, or the receipt as PDF when the "
    "request says `Accept: application/pdf`.",
    responses={201: {"content": {"application/pdf": {}}}, 401: {}, 403: {}, 409: {}, 422: {}},
)
async def post_dossier(
    principal: Writer,
    command: ReceiveDossier,
    request: Request,
    ctx: Annotated[IntakeContext, Depends(context)],
) -> Response:
    """Committed with the other receipts in flight (``group_commit``): one transaction
    and one fsync for all of them; answered once its group committed."""
    try:
        check_occurred_at(command.occurred_at, ctx.rules)
        outcome = await asyncio.wait_for(
            asyncio.wrap_future(ctx.receipts.submit(command, principal)), RECEIPT_WAIT_S
        )
    except TimeoutError:
        # Its group may still commit: the same event_id sent again is then its replay.
        raise Problem(
            503,
            "Busy",
            "the receipt was not written in time; send it again with the same event_id",
            headers={"Retry-After": "1"},
        ) from None
    except IntakeError as exc:
        REJECTS.labels(exc.reason, "http").inc()
        raise
    headers = {REPLAY_HEADER: "true"} if outcome.replayed else {}
    if outcome.replayed:
        REPLAYS.labels("http").inc()
    code = outcome.body["dossier_code"]
    headers["Location"] = f"/v1/dossiers/{code}"
    pdf = _wants_pdf(request)
    receipt = outcome.receipt() if outcome.receipt else None
    answer = functools.partial(
        _receipt_response,
        code,
        principal,
        ctx,
        pdf=pdf,
        status=outcome.status,
        extra=outcome.body,
        headers=headers,
        receipt=receipt,
    )
    if receipt is None or pdf:  # a replay reads it back; a PDF is rendered off the loop
        return await run_in_threadpool(answer)
    return answer()


@router.get(
    "/dossiers/{code}/receipt",
    summary="The receipt (Mẫu 01): JSON, or PDF with `Accept: application/pdf`.",
    responses={200: {"content": {"application/pdf": {}}}, 401: {}, 403: {}, 404: {}, 422: {}},
)
def get_receipt(
    code: Code,
    request: Request,
    principal: Reader,
    ctx: Annotated[IntakeContext, Depends(context)],
) -> Response:
    return _receipt_response(code, principal, ctx, pdf=_wants_pdf(request))


@router.post(
    "/dossiers/{code}/events",
    summary="Record a lifecycle transition; 409 names the current state and the allowed ones.",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
def post_transition(
    principal: Writer,
    code: Code,
    command: Annotated[UpstreamTransition, Body()],
    ctx: Annotated[IntakeContext, Depends(context)],
) -> JSONResponse:
    outcome = _run(
        ctx,
        lambda conn: apply_transition(
            code, command, principal=principal, rules=ctx.rules, db_session=conn
        ),
        "http",
        occurred_at=command.occurred_at,
    )
    return _respond(outcome)


class BatchRequest(BaseModel):
    items: list[dict[str, Any]] = Field(
        min_length=1,
        description='Each item is `{"kind": "receive", …ReceiveDossier}` or `{"kind": '
        '"transition", "dossier_code": …, …transition command}`.',
    )


class BatchItemResult(BaseModel):
    index: int
    status: int
    body: dict[str, Any]
    replayed: bool = False


class BatchResponse(BaseModel):
    accepted: int
    replayed: int
    refused: int
    results: list[BatchItemResult]


def _problem_body(exc: IntakeError) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        **exc.extra,
    }


def _already_recorded(
    items: list[dict[str, Any]], principal: Principal, conn: Connection
) -> set[str]:
    """The batch's event ids intake has recorded before, in one query instead of one each.

    Only ids that could be valid are asked about (one with a NUL would fail the query; the
    item's own validation refuses it).
    """
    ids = [
        event_id
        for item in items
        if isinstance(event_id := item.get("event_id"), str) and "\x00" not in event_id
    ]
    rows = conn.execute(
        "SELECT upstream_event_id FROM dossier_events "
        "WHERE source_system = %s AND upstream_event_id = ANY(%s)",
        (principal.system_id, ids),
    ).fetchall()
    return {row[0] for row in rows}


def counter_keys(items: list[dict[str, Any]]) -> set[tuple[str, date]]:
    """The (unit, local day) daily-sequence counters the batch's receipts will take.

    ``occurred_at`` is read as the receipt model reads it (an ISO 8601 instant or a Unix
    timestamp), or a receipt would lock its counter later than the others, out of order.
    """
    keys = set()
    for item in items:
        unit = item.get("unit_code")
        if item.get("kind") != "receive" or not isinstance(unit, str) or not UNIT_CODE.match(unit):
            continue  # not a receipt the item's validation would accept
        try:
            at = _INSTANT.validate_python(item.get("occurred_at"))
        except ValidationError:
            continue  # refused by its own validation, before it takes a counter
        keys.add((unit, at.astimezone(LOCAL_ZONE).date()))
    return keys


def _lock_in_order(items: list[dict[str, Any]], conn: Connection) -> None:
    """Take the dossiers the batch's transitions name, then every daily-sequence counter
    its receipts will use: the one global order of every writer (dossiers, counters,
    applicants), whatever the items' order.

    Two batches for the same units or dossiers would otherwise lock them in their own
    item orders and deadlock each other, or the set-based path.
    """
    codes = sorted(
        {
            code
            for item in items
            if item.get("kind") == "transition"
            and isinstance(code := item.get("dossier_code"), str)
            and DOSSIER_CODE.match(code)
        }
    )
    if codes:
        conn.execute(
            "SELECT 1 FROM dossiers WHERE code = ANY(%s) ORDER BY code FOR UPDATE", (codes,)
        )
    keys = counter_keys(items)
    if not keys:
        return
    units, days = zip(*sorted(keys), strict=True)
    conn.execute(
        "INSERT INTO dossier_code_counters (unit_code, day, last) "
        "SELECT unit_code, day, 0 FROM unnest(%s::text[], %s::date[]) AS k(unit_code, day) "
        "ORDER BY unit_code, day ON CONFLICT DO NOTHING",
        (list(units), list(days)),
    )
    conn.execute(
        "SELECT 1 FROM dossier_code_counters c "
        "JOIN unnest(%s::text[], %s::date[]) AS k(unit_code, day) USING (unit_code, day) "
        "ORDER BY c.unit_code, c.day FOR UPDATE OF c",
        (list(units), list(days)),
    )


def _run_item(
    item: dict[str, Any],
    principal: Principal,
    ctx: IntakeContext,
    conn: Connection,
    *,
    maybe_replay: bool,
) -> Outcome:
    """One item in its own savepoint; an id recorded meanwhile (an earlier item of this
    batch, a concurrent call) is then replayed, or refused if the request differs. A
    second conflict is this item's refusal (409), not the batch's: its savepoint is rolled
    back and the other items go on."""
    try:
        with conn.transaction():
            return execute_command(
                item,
                principal=principal,
                rules=ctx.rules,
                db_session=conn,
                maybe_replay=maybe_replay,
            )
    except errors.UniqueViolation:
        try:
            with conn.transaction():
                return execute_command(item, principal=principal, rules=ctx.rules, db_session=conn)
        except errors.UniqueViolation as again:
            raise IntakeError(
                409,
                "Conflict",
                f"a concurrent write holds what this item would write "
                f"({again.diag.constraint_name or 'a unique constraint'}); send it again",
                reason="conflict",
            ) from None


def _run_batch(
    items: list[dict[str, Any]], principal: Principal, ctx: IntakeContext
) -> tuple[list[BatchItemResult], list[str]]:
    """The batch set-based, or item by item where that path gives up; the results and the
    refusal reasons are the same either way."""
    try:
        results = _run_batch_set_based(items, principal, ctx)
    except NotSetBased:
        BATCH_PATHS.labels("item_by_item").inc()
        return _run_batch_item_by_item(items, principal, ctx)
    BATCH_PATHS.labels("set_based").inc()
    return results


def _run_batch_set_based(
    items: list[dict[str, Any]], principal: Principal, ctx: IntakeContext
) -> tuple[list[BatchItemResult], list[str]]:
    """:func:`run_set_based` committed (a deadlock is left to the caller, which runs the
    batch again)."""
    answers = commit_set_based(
        ctx.pool,
        lambda conn: run_set_based(items, principal=principal, rules=ctx.rules, db_session=conn),
    )
    results: list[BatchItemResult] = []
    refusals: list[str] = []
    for index, answer in enumerate(answers):
        if isinstance(answer, IntakeError):
            refusals.append(answer.reason)
            results.append(
                BatchItemResult(index=index, status=answer.status, body=_problem_body(answer))
            )
        else:
            results.append(
                BatchItemResult(
                    index=index, status=answer.status, body=answer.body, replayed=answer.replayed
                )
            )
    committed(answer for answer in answers if isinstance(answer, Outcome))
    return results, refusals


def _run_batch_item_by_item(
    items: list[dict[str, Any]], principal: Principal, ctx: IntakeContext
) -> tuple[list[BatchItemResult], list[str]]:
    """One transaction, a savepoint per item; returns the results and the refusal reasons."""
    results: list[BatchItemResult] = []
    outcomes: list[Outcome] = []
    refusals: list[str] = []
    with ctx.pool.connection() as conn, conn.pipeline():
        _lock_in_order(items, conn)
        seen = _already_recorded(items, principal, conn)
        for index, item in enumerate(items):
            event_id = item.get("event_id")
            try:
                outcome = _run_item(
                    item,
                    principal,
                    ctx,
                    conn,
                    maybe_replay=isinstance(event_id, str) and event_id in seen,
                )
            except IntakeError as exc:
                refusals.append(exc.reason)
                results.append(
                    BatchItemResult(index=index, status=exc.status, body=_problem_body(exc))
                )
                continue
            outcomes.append(outcome)
            results.append(
                BatchItemResult(
                    index=index, status=outcome.status, body=outcome.body, replayed=outcome.replayed
                )
            )
    committed(outcomes)
    return results, refusals


@router.post(
    "/events:batch",
    summary="Up to BATCH_MAX_ITEMS commands in one call, with a result per item.",
    response_model=BatchResponse,
    responses={401: {}, 403: {}, 413: {}, 422: {}, 503: {}},
)
def post_batch(
    principal: Writer,
    batch: BatchRequest,
    ctx: Annotated[IntakeContext, Depends(context)],
) -> BatchResponse:
    """Items run in order, each in its own savepoint of one transaction.

    A refused item changes nothing and does not stop the others; later items see what the
    earlier accepted ones wrote. The whole batch commits at once: if the commit fails the
    call fails (503) and nothing at all is written, so retrying the batch is always safe.
    """
    if len(batch.items) > ctx.settings.batch_max_items:
        raise Problem(
            413,
            "Batch too large",
            f"{len(batch.items)} items; at most {ctx.settings.batch_max_items} per call",
        )
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            results, refusals = _run_batch(batch.items, principal, ctx)
            break
        except (errors.DeadlockDetected, errors.SerializationFailure) as exc:
            _aborted(exc, attempt, what="the batch")  # nothing committed: run it again
    for reason in refusals:
        REJECTS.labels(reason, "batch").inc()
    counts = {
        "accepted": sum(1 for r in results if r.status < 300 and not r.replayed),
        "replayed": sum(1 for r in results if r.replayed),
        "refused": len(refusals),
    }
    REPLAYS.labels("batch").inc(counts["replayed"])
    return BatchResponse(results=results, **counts)


def _in_subtree(
    principal: Principal,
    subtree: str,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> tuple[list[str], list[Any]]:
    """WHERE clauses and parameters: dossiers of ``subtree`` within the caller's own."""
    params: list[Any] = [principal.unit_code, subtree]
    clauses = ["unit_path @> ARRAY[%s]::text[]", "unit_path @> ARRAY[%s]::text[]"]
    return clauses + _received_between(params, received_from, received_to), params


def _received_between(
    params: list[Any], received_from: datetime | None, received_to: datetime | None
) -> list[str]:
    clauses = []
    if received_from:
        clauses.append("received_at >= %s")
        params.append(received_from)
    if received_to:
        clauses.append("received_at < %s")
        params.append(received_to)
    return clauses


class DossierTally(BaseModel):
    unit_code: str
    received: int = Field(description="Dossiers received in the subtree (and window).")
    by_state: dict[str, int] = Field(description="How many are in each state now.")


@router.get(
    "/dossiers/tally",
    response_model=DossierTally,
    summary="How many dossiers a unit subtree holds, by state: what reporting reconciles "
    "its figures with.",
    responses={401: {}, 403: {}, 422: {}},
)
def tally_dossiers(
    principal: Reader,
    ctx: Annotated[IntakeContext, Depends(context)],
    unit: Annotated[
        str | None,
        Query(pattern=UNIT_CODE_PATTERN, description="A unit; its whole subtree is counted."),
    ] = None,
    received_from: Annotated[AwareDatetime | None, Query()] = None,
    received_to: Annotated[AwareDatetime | None, Query()] = None,
) -> DossierTally:
    subtree = unit or principal.unit_code
    clauses, params = _in_subtree(principal, subtree, received_from, received_to)
    query = f"SELECT state, count(*) FROM dossiers WHERE {' AND '.join(clauses)} GROUP BY state"
    with ctx.pool.connection() as conn:
        rows = conn.execute(query, params).fetchall()
    by_state = {state.value: 0 for state in DossierState} | {s: int(n) for s, n in rows}
    return DossierTally(unit_code=subtree, received=sum(by_state.values()), by_state=by_state)


@router.get(
    "/dossiers/{code}",
    response_model=DossierView,
    summary="A dossier's state, due date and full timeline.",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
def read_dossier(
    code: Code,
    principal: Reader,
    ctx: Annotated[IntakeContext, Depends(context)],
) -> DossierView:
    with ctx.pool.connection() as conn:
        return get_dossier(code, principal=principal, now=datetime.now(UTC), db_session=conn)


class DossierPage(BaseModel):
    items: list[DossierView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


def _encode_cursor(received_at: datetime, dossier_id: Any) -> str:
    raw = json.dumps([received_at.isoformat(), str(dossier_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        received_at, dossier_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(received_at), str(uuid.UUID(dossier_id))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Problem(
            422,
            "Invalid request",
            "cursor is not one this API returned",
            errors=[{"field": "cursor", "message": "malformed"}],
        ) from exc


@router.get(
    "/dossiers",
    response_model=DossierPage,
    summary="Dossiers of a unit subtree, newest first, with cursor pagination.",
    responses={401: {}, 403: {}, 422: {}},
)
def list_dossiers(
    principal: Reader,
    ctx: Annotated[IntakeContext, Depends(context)],
    unit: Annotated[
        str | None,
        Query(pattern=UNIT_CODE_PATTERN, description="A unit; its whole subtree is listed."),
    ] = None,
    procedure: Annotated[str | None, Query(pattern=PROCEDURE_CODE_PATTERN)] = None,
    state: Annotated[DossierState | None, Query()] = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="Only (not) late dossiers: open ones whose clock runs past the "
            "appointment in force, and finished ones whose result came after it."
        ),
    ] = None,
    received_from: Annotated[AwareDatetime | None, Query()] = None,
    received_to: Annotated[AwareDatetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> DossierPage:
    clauses, params = _in_subtree(principal, unit or principal.unit_code)
    if procedure:
        clauses.append("procedure_code = %s")
        params.append(procedure)
    if state:
        clauses.append("state = %s")
        params.append(state.value)
    if overdue is not None:
        clauses.append(OVERDUE_SQL if overdue else f"NOT ({OVERDUE_SQL})")
    clauses += _received_between(params, received_from, received_to)
    if cursor:
        after_at, after_id = _decode_cursor(cursor)
        clauses.append("(received_at, id) < (%s, %s::uuid)")
        params += [after_at, after_id]
    query = (
        f"SELECT {VIEW_COLUMNS} FROM dossiers WHERE "
        + " AND ".join(clauses)
        + " ORDER BY received_at DESC, id DESC LIMIT %s"
    )
    params.append(limit + 1)
    with ctx.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    page = rows[:limit]
    next_cursor = (
        _encode_cursor(page[-1]["received_at"], page[-1]["id"]) if len(rows) > limit else None
    )
    return DossierPage(items=[view_of(row) for row in page], next_cursor=next_cursor)


class AppointmentPreview(BaseModel):
    procedure_code: str
    unit_code: str
    received_at: datetime
    clock_starts_at: datetime
    due_at: datetime
    processing_time: dict[str, Any]


@router.get(
    "/appointments/preview",
    response_model=AppointmentPreview,
    tags=["appointments"],
    summary="The appointment date a receipt would get, without creating anything.",
    responses={401: {}, 422: {}},
)
def preview_appointment(
    procedure: Annotated[
        str, Query(pattern=PROCEDURE_CODE_PATTERN, description="Procedure code, e.g. 1.001612.")
    ],
    unit: Annotated[str, Query(pattern=UNIT_CODE_PATTERN, description="Receiving unit code.")],
    received_at: Annotated[AwareDatetime, Query(description="Receipt instant, with offset.")],
    principal: Annotated[Principal, Depends(authenticated)],
    ctx: Annotated[IntakeContext, Depends(context)],
    channel: Annotated[Literal["in_person", "postal", "online"], Query()] = "in_person",
) -> AppointmentPreview:
    check_occurred_at(received_at, ctx.rules, field="received_at", ahead=True)
    with ctx.pool.connection() as conn:
        found_unit = conn.execute("SELECT 1 FROM units WHERE code = %s", (unit,)).fetchone()
        row = conn.execute(
            "SELECT processing_amount, processing_unit FROM procedures WHERE code = %s AND active",
            (procedure,),
        ).fetchone()
    if found_unit is None:
        raise Problem(
            422,
            "Unknown reference",
            f"no unit has code {unit}",
            errors=[{"field": "unit", "message": "unknown unit"}],
        )
    if row is None:
        raise Problem(
            422,
            "Unknown reference",
            f"no active procedure has code {procedure}",
            errors=[{"field": "procedure", "message": "unknown procedure"}],
        )
    processing = ProcessingTime(row[0], row[1])
    clock = dossier_clock.start(
        ctx.rules.calendar,
        received_at,
        paper=channel != "online",
        processing_time=processing,
        cutoff=ctx.rules.paper_cutoff,
    )
    return AppointmentPreview(
        procedure_code=procedure,
        unit_code=unit,
        received_at=received_at,
        clock_starts_at=clock.started_at,
        due_at=clock.due_at,
        processing_time={"amount": processing.amount, "unit": processing.unit},
    )
