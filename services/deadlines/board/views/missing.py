"""An address under ``/board`` the officers' web has no page for: a person typed or
followed it, so the answer is a Vietnamese page with a way back to the board, not the
API's English problem+json (which every other path still gets)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from motcua.web import TEXTS, Layout
from services.deadlines.board import pages
from services.deadlines.board.views.context import html

_PAGES = "/board"
_MISSES = frozenset({404, 405})
"""No such page, or a form's address opened as a page."""


def install_missing_pages(app: FastAPI) -> None:
    """Answer a miss under ``/board`` with a page; keep the app's problem+json otherwise."""
    problem = app.exception_handlers[HTTPException]

    async def missing(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if exc.status_code not in _MISSES or not (path == _PAGES or path.startswith(_PAGES + "/")):
            answer = problem(request, exc)
            return answer if isinstance(answer, Response) else await answer
        page = pages.message_page(TEXTS["not_found"], TEXTS["page_not_found"], Layout())
        response = html(page, exc.status_code)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    app.add_exception_handler(HTTPException, missing)
