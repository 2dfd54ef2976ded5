"""``/board/letters``: the apology letters issued in the officer's subtree in a month, each
with links to reprint its PDF and to issue a correction (the letter form)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from motcua.dossier import LOCAL_ZONE
from services.deadlines.board import pages
from services.deadlines.board.issued import issued_letters, parse_letters_request
from services.deadlines.board.query import BoardQueryError, OutsideSubtree
from services.deadlines.board.units import unit_choice
from services.deadlines.board.views.context import html
from services.deadlines.board.views.session import ACT_ROLES, Ctx, Viewer

router = APIRouter(include_in_schema=False)


@router.get("/board/letters")
async def letters_list(request: Request, ctx: Ctx, officer: Viewer) -> Response:
    now = datetime.now(UTC)
    units = ctx.reference.units_within(officer.unit_code)
    options = unit_choice(units, officer.unit_code, request.query_params.get("unit"), ctx.names)
    try:
        asked = parse_letters_request(request.query_params, now.astimezone(LOCAL_ZONE).date())
        if asked.unit_code and units and all(u.code != asked.unit_code for u in units):
            raise OutsideSubtree("unit", "not within your unit's subtree")
        if asked.unit_code:
            asked = replace(asked, carried_units=ctx.reference.carried_over(asked.unit_code))
    except BoardQueryError as exc:
        view = pages.LettersView(ctx.layout(officer), options, None, [], False, exc, now)
        return html(pages.letters_page(view, ctx.names, request.query_params), exc.status)
    found, more = await ctx.db.run(issued_letters, officer, asked)
    view = pages.LettersView(ctx.layout(officer), options, asked, found, more, None, now)
    page = pages.letters_page(
        view, ctx.names, request.query_params, can_act=officer.has(*ACT_ROLES)
    )
    return html(page)
