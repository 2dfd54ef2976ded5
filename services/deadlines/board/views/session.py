"""Who is signed in: the one seam between the board's handlers and sign-in.

Every handler that needs an officer goes through :func:`signed_in`; it alone asks
``services.deadlines.web`` who the request belongs to, so replacing the session cookie
(by a signed token, say) changes this module and no handler.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from services.deadlines.board.views.context import html, redirect
from services.deadlines.database import Database
from services.deadlines.officers import Officer
from services.deadlines.web import current_officer, problem

Handler = Callable[..., Awaitable[Any]]
Otherwise = Callable[[Any], Any]


def to_login(view: Any) -> Any:
    """A page: off to the login form."""
    return redirect("/board/login")


def unauthorized(view: Any) -> Any:
    """A fragment or a stream the page's script fetches: 401, and the script goes to login."""
    return html("", 401)


def unauthorized_problem(view: Any) -> Any:
    """The JSON API: problem+json 401."""
    return problem(view, 401, "Unauthenticated", "log in at POST /v1/session")


async def officer_of(request: Any, db: Database) -> Officer | None:
    return await current_officer(request, db)


def signed_in(db: Database, otherwise: Otherwise = to_login) -> Callable[[Handler], Handler]:
    """Call the handler with the signed-in officer after the request, or answer
    ``otherwise``."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def with_officer(view: Any, request: Any, **match: str) -> Any:
            officer = await officer_of(request, db)
            if officer is None:
                return otherwise(view)
            return await handler(view, request, officer, **match)

        return with_officer

    return decorate
