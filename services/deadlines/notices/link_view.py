"""``GET /l/{token}`` on the officers' web: the letter behind a notice's short link, with
no sign-in — the PDF of that one version and nothing else about the dossier. Any other
token (unknown, expired, malformed, tampered) gets the one same 404."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from motcua.http import problem_response
from services.deadlines.database import Database
from services.deadlines.notices.links import linked_pdf

router = APIRouter(include_in_schema=False)
_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _database(request: Request) -> Database:
    """The officers' web's database (its board context holds it; not imported from the
    board, which sits above the letters and their notices)."""
    db: Database = request.app.state.board.db
    return db


@router.get("/l/{token:path}")
async def letter_by_link(token: str, db: Annotated[Database, Depends(_database)]) -> Response:
    pdf = await db.run(linked_pdf, token, now=datetime.now(UTC))
    if pdf is None:
        missing = problem_response(404, "Not found", "no letter behind this link")
        missing.headers.update(_PRIVATE)
        return missing
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**_PRIVATE, "Content-Disposition": 'inline; filename="phieu-xin-loi.pdf"'},
    )
