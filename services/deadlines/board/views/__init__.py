"""The duty-officer board on the worker's web server, one module per concern: sign-in
pages, the board (page, rows, acknowledge), its CSV, the live stream, the apology letter,
the JSON API, and the static files.

Every route resolves the officer through :mod:`.session` and scopes each query to the
officer's subtree, so a dossier outside it is simply "not found". Browser routes answer
with HTML (a form error re-renders the form with status 422, or 403 for a unit outside
the subtree); ``/v1/board`` answers JSON with problem+json errors.
"""

from __future__ import annotations

import faust

from motcua.web import install_faust_static
from services.deadlines.board import pages
from services.deadlines.board.live import BoardFeed
from services.deadlines.board.query import ReferenceData
from services.deadlines.board.views import api, board, export, letters, live, login
from services.deadlines.board.views.context import BoardConfig, BoardContext
from services.deadlines.database import Database
from services.deadlines.letters.intake_client import DossierDirectory
from services.deadlines.web import SignIn

__all__ = ["BoardConfig", "install_board_views"]


def install_board_views(
    app: faust.App,
    *,
    db: Database,
    feed: BoardFeed,
    directory: DossierDirectory,
    reference: ReferenceData,
    signin: SignIn,
    config: BoardConfig,
) -> None:
    ctx = BoardContext(
        db=db, feed=feed, directory=directory, reference=reference, signin=signin, config=config
    )
    for concern in (login, board, export, live, letters, api):
        concern.install(app, ctx)
    install_faust_static(app, pages.ASSETS)
