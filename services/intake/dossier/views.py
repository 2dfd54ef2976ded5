"""Intake's HTTP API for dossiers: each endpoint translates HTTP to a call of the service
or the unit of work, and its result back to HTTP."""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from motcua.documents import render_pdf
from motcua.dossier import PROCEDURE_CODE_PATTERN, UNIT_CODE_PATTERN
from motcua.http import Problem, problems
from services.intake.auth import Principal
from services.intake.dependencies import Caller, Context, IntakeContext, Reader, Writer
from services.intake.dossier import service, store
from services.intake.dossier.code import DOSSIER_CODE_PATTERN
from services.intake.dossier.commands import Parsed, checked, parsed_or_refused
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.models import (
    AppointmentPreview,
    BatchItemResult,
    BatchRequest,
    BatchResponse,
    DossierPage,
    DossierTally,
    DossierView,
    ReceiveDossier,
)
from services.intake.dossier.plans import Outcome
from services.intake.dossier.state import DossierState
from services.intake.dossier.transitions import UpstreamTransition

router = APIRouter(prefix="/v1", tags=["dossiers"], responses=problems(401))
REPLAY_HEADER = "Idempotent-Replayed"
RECEIPT_WAIT_S = 30.0
"""How long a single receipt waits for its group commit before it is told to retry."""

Subtree = Annotated[
    str | None, Query(pattern=UNIT_CODE_PATTERN, description="A unit: its whole subtree.")
]
Since = Annotated[AwareDatetime | None, Query(description="Received at or after.")]
Before = Annotated[AwareDatetime | None, Query(description="Received before.")]
Code = Annotated[
    str, Path(pattern=DOSSIER_CODE_PATTERN, description="National dossier code (unit-YYMMDD-NNNN).")
]


def _wants_pdf(request: Request) -> bool:
    return "application/pdf" in request.headers.get("accept", "")


def _receipt_response(
    code: str,
    principal: Principal,
    ctx: IntakeContext,
    pdf: bool,
    outcome: Outcome | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The receipt of a dossier just written (``outcome``, which has it unless it is a
    replay), else read back."""
    receipt = outcome.receipt() if outcome and outcome.receipt else None
    if receipt is None:
        with ctx.pool.connection() as conn:
            receipt = service.load_receipt(code, principal=principal, db_session=conn)
    status = outcome.status if outcome else 200
    if pdf:
        return Response(
            render_pdf(receipt.document()),
            status_code=status,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{code}.pdf"', **(headers or {})},
        )
    body = {**(outcome.body if outcome else {}), "receipt": receipt.as_json()}
    return JSONResponse(body, status_code=status, headers=headers)


async def _group_committed(
    command: Parsed | IntakeError, principal: Principal, ctx: IntakeContext
) -> Outcome:
    """The receipt written with the other receipts in flight (``group_commit``)."""
    try:
        return await asyncio.wait_for(
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


def _replay_header(outcome: Outcome) -> dict[str, str]:
    return {REPLAY_HEADER: "true"} if outcome.replayed else {}


@router.post(
    "/dossiers",
    status_code=201,
    summary="Receive a dossier: its code, appointment date and receipt (Mẫu 01).",
    description="Answers JSON with the receipt's content, or the receipt as PDF when the "
    "request says `Accept: application/pdf`.",
    responses={201: {"content": {"application/pdf": {}}}, **problems(401, 403, 409, 422)},
)
async def post_dossier(
    principal: Writer, command: ReceiveDossier, request: Request, ctx: Context
) -> Response:
    """Committed with the other receipts in flight: one transaction and one fsync for all
    of them; answered once its group committed."""
    outcome = await _group_committed(checked(command, ctx.rules), principal, ctx)
    code = outcome.body["dossier_code"]
    headers = {"Location": f"/v1/dossiers/{code}", **_replay_header(outcome)}
    pdf = _wants_pdf(request)
    answer = functools.partial(_receipt_response, code, principal, ctx, pdf, outcome, headers)
    if outcome.receipt is None or pdf:  # a replay reads it back; a PDF is rendered off the loop
        return await run_in_threadpool(answer)
    return answer()


@router.get(
    "/dossiers/{code}/receipt",
    summary="The receipt (Mẫu 01): JSON, or PDF with `Accept: application/pdf`.",
    responses={200: {"content": {"application/pdf": {}}}, **problems(401, 403, 404, 422)},
)
def get_receipt(code: Code, request: Request, principal: Reader, ctx: Context) -> Response:
    return _receipt_response(code, principal, ctx, _wants_pdf(request))


@router.post(
    "/dossiers/{code}/events",
    summary="Record a lifecycle transition; 409 names the current state and the allowed ones.",
    responses=problems(401, 403, 404, 409, 422),
)
def post_transition(
    principal: Writer,
    code: Code,
    command: Annotated[UpstreamTransition, Body()],
    ctx: Context,
) -> JSONResponse:
    [result] = ctx.writes.write(principal, [checked(command, ctx.rules, code)], door="http")
    if isinstance(result, IntakeError):
        raise result
    return JSONResponse(result.body, status_code=result.status, headers=_replay_header(result))


@router.post(
    "/events:batch",
    summary="Up to BATCH_MAX_ITEMS commands in one call, with a result per item.",
    response_model=BatchResponse,
    responses=problems(401, 403, 413, 422, 503),
)
def post_batch(principal: Writer, batch: BatchRequest, ctx: Context) -> BatchResponse:
    """Items run in order, in one transaction.

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
    commands = [parsed_or_refused(item, rules=ctx.rules) for item in batch.items]
    results = ctx.writes.write(principal, commands, door="batch")
    items = [BatchItemResult.of(index, result) for index, result in enumerate(results)]
    return BatchResponse(
        results=items,
        accepted=sum(1 for item in items if item.status < 300 and not item.replayed),
        replayed=sum(1 for item in items if item.replayed),
        refused=sum(1 for result in results if isinstance(result, IntakeError)),
    )


@router.get(
    "/dossiers/tally",
    response_model=DossierTally,
    summary="How many dossiers a unit subtree holds, by state: what reporting reconciles "
    "its figures with.",
    responses=problems(401, 403, 422),
)
def tally_dossiers(
    principal: Reader,
    ctx: Context,
    unit: Subtree = None,
    received_from: Since = None,
    received_to: Before = None,
) -> DossierTally:
    scope = store.DossierScope(
        principal.unit_code, unit or principal.unit_code, received_from, received_to
    )
    with ctx.pool.connection() as conn:
        return service.tally(scope, db_session=conn)


@router.get(
    "/dossiers/{code}",
    response_model=DossierView,
    summary="A dossier's state, due date and full timeline.",
    responses=problems(401, 403, 404, 422),
)
def read_dossier(code: Code, principal: Reader, ctx: Context) -> DossierView:
    with ctx.pool.connection() as conn:
        return service.get_dossier(code, principal=principal, db_session=conn)


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        return store.decode_cursor(cursor)
    except ValueError as exc:
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
    responses=problems(401, 403, 422),
)
def list_dossiers(
    principal: Reader,
    ctx: Context,
    unit: Subtree = None,
    procedure: Annotated[str | None, Query(pattern=PROCEDURE_CODE_PATTERN)] = None,
    state: Annotated[DossierState | None, Query()] = None,
    overdue: Annotated[
        bool | None,
        Query(
            description="Only (not) late dossiers: open ones whose clock runs past the "
            "appointment in force, and finished ones whose result came after it."
        ),
    ] = None,
    received_from: Since = None,
    received_to: Before = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query()] = None,
) -> DossierPage:
    scope = store.DossierScope(
        principal.unit_code, unit or principal.unit_code, received_from, received_to
    )
    listing = store.Listing(procedure, state, overdue, _after(cursor))
    with ctx.pool.connection() as conn:
        items, next_cursor = service.page_of_dossiers(scope, listing, limit, db_session=conn)
    return DossierPage(items=items, next_cursor=next_cursor)


@router.get(
    "/appointments/preview",
    response_model=AppointmentPreview,
    tags=["appointments"],
    summary="The appointment date a receipt would get, without creating anything.",
    responses=problems(401, 422),
)
def preview_appointment(
    procedure: Annotated[
        str, Query(pattern=PROCEDURE_CODE_PATTERN, description="Procedure code, e.g. 1.001612.")
    ],
    unit: Annotated[str, Query(pattern=UNIT_CODE_PATTERN, description="Receiving unit code.")],
    received_at: Annotated[AwareDatetime, Query(description="Receipt instant, with offset.")],
    _: Caller,
    ctx: Context,
    channel: Annotated[Literal["in_person", "postal", "online"], Query()] = "in_person",
) -> AppointmentPreview:
    with ctx.pool.connection() as conn:
        return service.appointment_preview(
            unit, procedure, received_at, channel=channel, rules=ctx.rules, db_session=conn
        )
