"""The board page, the rows its script reloads, and the acknowledge button."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from motcua.http import client_address
from motcua.web import TEXTS
from motcua.web.forms import read_form
from services.deadlines.board import pages
from services.deadlines.board.query import BoardQueryError, BoardRequest
from services.deadlines.board.service import BoardPage, acknowledge, board_page, expect_late
from services.deadlines.board.views.context import (
    BoardContext,
    board_back,
    html,
    parse_dossier_id,
    redirect,
)
from services.deadlines.board.views.filters import resolve
from services.deadlines.board.views.session import (
    ACT_ROLES,
    Actor,
    Ctx,
    FragmentViewer,
    Viewer,
)
from services.deadlines.officers import Officer

router = APIRouter(include_in_schema=False)


def board_response(
    ctx: BoardContext,
    officer: Officer,
    params: Mapping[str, str],
    *,
    request: BoardRequest | None = None,
    page: BoardPage | None = None,
    error: BoardQueryError | None = None,
) -> Response:
    """The board page; with ``error``, the form as sent and no rows, with the error's
    status (422, or 403 for a unit outside the subtree)."""
    view = pages.board_view(
        layout=ctx.layout(officer),
        officer_unit=officer.unit_code,
        request=request,
        page=page,
        raw=params,
        error=error,
        units=ctx.reference.units_within(officer.unit_code),
        procedures=ctx.reference.procedures(),
        names=ctx.names,
        now=datetime.now(UTC),
        can_act=officer.has(*ACT_ROLES),
    )
    return html(pages.board_page(view), error.status if error else 200)


async def _page(ctx: BoardContext, officer: Officer, params: Mapping[str, str]) -> Any:
    resolved = resolve(officer, params, ctx.reference)
    found = await ctx.db.run(
        board_page, officer, resolved.request, procedure_codes=resolved.procedure_codes
    )
    return resolved.request, found


@router.get("/board")
async def board(request: Request, ctx: Ctx, officer: Viewer) -> Response:
    params = request.query_params
    try:
        board_request, found = await _page(ctx, officer, params)
    except BoardQueryError as exc:
        return board_response(ctx, officer, params, error=exc)
    return board_response(ctx, officer, params, request=board_request, page=found)


@router.get("/board/rows")
async def rows(request: Request, ctx: Ctx, officer: FragmentViewer) -> Response:
    try:
        board_request, found = await _page(ctx, officer, request.query_params)
    except BoardQueryError as exc:
        return html("", exc.status)
    cursor = board_request.cursor.encode() if board_request.cursor else ""
    limit = request.query_params.get("limit", "")
    back = pages.query_string(board_request.filter, cursor=cursor, limit=limit)
    body = pages.board_rows(
        found.items, datetime.now(UTC), ctx.names, back, can_act=officer.has(*ACT_ROLES)
    )
    response = html(body)
    response.headers["X-Board-Counts"] = json.dumps(asdict(found.counts))
    return response


def back_to_board(form: Mapping[str, str]) -> Response:
    """Back to the board as the officer left it (the form's ``back`` query string)."""
    return redirect("/board" + board_back(form.get("back")))


@router.post("/board/dossiers/{dossier_id}/ack")
async def acknowledge_alert(
    request: Request, dossier_id: str, ctx: Ctx, officer: Actor
) -> Response:
    found = parse_dossier_id(dossier_id)
    if found is None or not await ctx.db.run(
        acknowledge, officer, found, address=client_address(request)
    ):
        return ctx.message(officer, TEXTS["not_found"], TEXTS["not_on_board"], 404)
    return back_to_board(await read_form(request) or {})


@router.post("/board/dossiers/{dossier_id}/late")
async def expect_late_dossier(
    request: Request, dossier_id: str, ctx: Ctx, officer: Actor
) -> Response:
    """ "Sẽ trễ hạn" (``expected=yes``) and its undo (``expected=no``): like the other board
    forms, posted with the officer's SameSite session, so another site cannot post it."""
    form = await read_form(request) or {}
    expected = {"yes": True, "no": False}.get(form.get("expected", ""))
    if expected is None:
        return ctx.message(officer, TEXTS["late_bad_form_title"], TEXTS["late_bad_form"], 422)
    found = parse_dossier_id(dossier_id)
    if found is None or not await ctx.db.run(
        expect_late, officer, found, expected, address=client_address(request)
    ):
        return ctx.message(officer, TEXTS["not_found"], TEXTS["late_not_due_soon"], 404)
    return back_to_board(form)
