"""``GET /v1/board``: the board as JSON, with the page's filters, cursor and limit;
problem+json errors naming the parameter at fault."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from motcua.http import Problem
from services.deadlines.board.delivery import LetterDelivery, describe
from services.deadlines.board.query import BoardQueryError
from services.deadlines.board.service import BoardItem, board_page
from services.deadlines.board.views.context import BoardContext
from services.deadlines.board.views.filters import resolve
from services.deadlines.board.views.session import ApiViewer, Ctx

router = APIRouter(tags=["board"])

_FILTERS = {
    "unit": "A unit of the officer's subtree (its code).",
    "status": "`due_soon` or `overdue`.",
    "procedure": "A procedure of intake's catalogue (its code).",
    "field": "A field (lĩnh vực) of the catalogue.",
    "letter": "`to_issue`: only dossiers whose apology letter is owed and still a draft "
    "(overdue, or due soon and marked as going to be late); "
    "`undelivered`: only dossiers whose issued letter had not reached the citizen by its "
    "apology deadline (rescheduled dossiers included).",
    "dossier_code": "A dossier's code, whole or its beginning.",
    "cursor": "The `next_cursor` of the previous page.",
    "limit": "Rows per page, a whole number from 1 to 200.",
}
BOARD_PARAMETERS = {
    "parameters": [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": text,
        }
        for name, text in _FILTERS.items()
    ]
}
"""The page's filters, read from the query string as the page reads them
(:func:`~services.deadlines.board.query.parse_board_request`), documented here."""


def _instant(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def delivery_json(delivery: LetterDelivery | None, now: datetime) -> dict[str, Any] | None:
    """Where the dossier's latest issued letter stands with the citizen, in data and in the
    board's words; ``flagged`` when it had not reached them by its apology deadline."""
    if delivery is None:
        return None
    shown = describe(delivery, now)
    return {
        **asdict(delivery),
        "apology_deadline": _instant(delivery.apology_deadline),
        "reached_at": _instant(delivery.reached_at),
        "at": _instant(delivery.at),
        "text": list(shown.lines),
        "flagged": shown.flagged,
        "flag": shown.flag,
    }


def item_json(item: BoardItem, ctx: BoardContext, now: datetime) -> dict[str, Any]:
    procedure = ctx.reference.procedure(item.procedure_code)
    unit = ctx.reference.unit(item.unit_code)
    return {
        **asdict(item),
        "due_at": item.due_at.isoformat(),
        "apology_deadline": _instant(item.apology_deadline),
        "delivery": delivery_json(item.delivery, now),
        "procedure_name": procedure.name if procedure else None,
        "unit_name": unit.name if unit else None,
    }


@router.get(
    "/v1/board",
    summary="The officer's board: its filters, cursor and limit as on the page.",
    openapi_extra=BOARD_PARAMETERS,
    responses={
        401: {"description": "Nobody is signed in."},
        403: {"description": "A unit outside the officer's subtree, or not their role."},
        422: {"description": "A filter, cursor or limit the board does not know."},
    },
)
async def board_json(request: Request, ctx: Ctx, officer: ApiViewer) -> dict[str, Any]:
    try:
        resolved = resolve(officer, request.query_params, ctx.reference)
        found = await ctx.db.run(
            board_page, officer, resolved.request, procedure_codes=resolved.procedure_codes
        )
        now = datetime.now(UTC)
    except BoardQueryError as exc:
        raise Problem(
            exc.status,
            exc.title,
            str(exc),
            errors=[{"field": exc.field, "message": exc.message}],
        ) from None
    return {
        "unit_code": officer.unit_code,
        "items": [item_json(item, ctx, now) for item in found.items],
        "counts": asdict(found.counts),
        "next_cursor": found.next_cursor.encode() if found.next_cursor else None,
    }
