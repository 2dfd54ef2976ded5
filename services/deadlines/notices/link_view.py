"""``GET /l/{token}`` on the officers' web: the letter behind a notice's short link, with
no sign-in — the PDF of that one version and nothing else about the dossier. Any other
token (unknown, expired, malformed, tampered) gets the one same 404."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from starlette.responses import Response

from motcua.http import problem_response
from services.deadlines.board.views.session import Ctx
from services.deadlines.notices.links import linked_pdf

router = APIRouter(include_in_schema=False)
_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get("/l/{token:path}")
async def letter_by_link(token: str, ctx: Ctx) -> Response:
    pdf = await ctx.db.run(linked_pdf, token, now=datetime.now(UTC))
    if pdf is None:
        missing = problem_response(404, "Not found", "no letter behind this link")
        missing.headers.update(_PRIVATE)
        return missing
    return Response(
        pdf,
        media_type="application/pdf",
        headers={**_PRIVATE, "Content-Disposition": 'inline; filename="phieu-xin-loi.pdf"'},
    )
