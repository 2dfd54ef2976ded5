"""``GET /v1/board``: the board as JSON, with the page's filters, cursor and limit;
problem+json errors naming the parameter at fault."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import faust

from services.deadlines.board.query import BoardQueryError
from services.deadlines.board.service import BoardItem, board_page
from services.deadlines.board.views.context import BoardContext
from services.deadlines.board.views.filters import resolve
from services.deadlines.board.views.session import signed_in, unauthorized_problem
from services.deadlines.officers import Officer
from services.deadlines.web import problem


def item_json(item: BoardItem, ctx: BoardContext) -> dict[str, Any]:
    procedure = ctx.reference.procedure(item.procedure_code)
    unit = ctx.reference.unit(item.unit_code)
    return {
        **asdict(item),
        "due_at": item.due_at.isoformat(),
        "apology_deadline": item.apology_deadline.isoformat() if item.apology_deadline else None,
        "procedure_name": procedure.name if procedure else None,
        "unit_name": unit.name if unit else None,
    }


def install(app: faust.App, ctx: BoardContext) -> None:
    @app.page("/v1/board")
    class BoardJson(faust.web.View):
        @signed_in(ctx, unauthorized_problem)
        async def get(self, request: Any, officer: Officer) -> Any:
            try:
                resolved = resolve(officer, request.query, ctx.reference)
                found = await ctx.db.run(
                    board_page,
                    officer,
                    resolved.request,
                    procedure_codes=resolved.procedure_codes,
                )
            except BoardQueryError as exc:
                return problem(
                    self,
                    exc.status,
                    exc.title,
                    str(exc),
                    errors=[{"field": exc.field, "message": exc.message}],
                )
            return self.json(
                {
                    "unit_code": officer.unit_code,
                    "items": [item_json(item, ctx) for item in found.items],
                    "counts": asdict(found.counts),
                    "next_cursor": found.next_cursor.encode() if found.next_cursor else None,
                }
            )
