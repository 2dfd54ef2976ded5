"""The duty-officer board on the officers' web (``services.deadlines.officers_web``), one
module per concern: sign-in pages, the board (page, rows, acknowledge, "going to be
late"), its CSV, the live stream, the apology letter, the issued letters, the letters to
post, the JSON API, the audit trail for inspectors, and the static files.

Every route resolves the officer through :mod:`.session` and scopes each query to the
officer's subtree, so a dossier outside it is simply "not found". Browser routes answer
with HTML (a form error re-renders the form with status 422, or 403 for a unit outside
the subtree); ``/v1/board`` answers JSON with problem+json errors.
"""

from __future__ import annotations

from fastapi import FastAPI

from motcua.web import mount_starlette_static
from services.deadlines.board import pages
from services.deadlines.board.views import (
    api,
    board,
    export,
    issued,
    letters,
    live,
    login,
    post,
)
from services.deadlines.board.views.audit import install_audit
from services.deadlines.board.views.context import BoardConfig, BoardContext
from services.deadlines.board.views.missing import install_missing_pages
from services.deadlines.board.views.session import Refused, RenewToken, refused

__all__ = ["BoardConfig", "BoardContext", "install_board_views"]


def install_board_views(app: FastAPI, audit_pages: tuple[tuple[str, str], ...] = ()) -> None:
    """The board's routes; their :class:`BoardContext` is ``app.state.board``.
    ``audit_pages``: every service's audit page, linked from deadlines' own."""
    for concern in (login, board, export, live, letters, issued, post, api):
        app.include_router(concern.router)
    install_audit(app, audit_pages)
    app.add_exception_handler(Refused, refused)
    install_missing_pages(app)
    app.add_middleware(RenewToken)
    mount_starlette_static(app, pages.ASSETS)
