"""Who is signed in, and may they do this: the one seam between the board's handlers and
sign-in (``services.deadlines.web``).

Every handler that needs an officer goes through :func:`signed_in`: the session's officer
(or a valid sign-in token's), holding one of the roles the handler is for; while they
work, the shared token is renewed, so the other services' pages open without a detour.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from motcua.identity import Officer, Role
from motcua.web import TEXTS
from services.deadlines.board.views.context import BoardContext, html, redirect
from services.deadlines.web import login_location, problem

Handler = Callable[..., Awaitable[Any]]
Otherwise = Callable[[Any, Any], Any]

VIEW_ROLES = (Role.DUTY_OFFICER, Role.UNIT_HEAD, Role.LEADER)
"""Who reads the board: leaders too, who act on nothing."""
ACT_ROLES = (Role.DUTY_OFFICER, Role.UNIT_HEAD)
"""Who acknowledges alerts and issues apology letters."""


def to_login(view: Any, request: Any) -> Any:
    """A page: off to the login form, and back to this page afterwards."""
    return redirect(login_location(request.path_qs))


def unauthorized(view: Any, request: Any) -> Any:
    """A fragment or a stream the page's script fetches: 401, and the script goes to login."""
    return html("", 401)


def unauthorized_problem(view: Any, request: Any) -> Any:
    """The JSON API: problem+json 401."""
    return problem(view, 401, "Unauthenticated", "log in at POST /v1/session")


def signed_in(
    ctx: BoardContext, otherwise: Otherwise = to_login, *, roles: tuple[Role, ...] = VIEW_ROLES
) -> Callable[[Handler], Handler]:
    """Call the handler with the signed-in officer, answer ``otherwise`` when nobody is
    signed in, or 403 when the officer holds none of ``roles``."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def with_officer(view: Any, request: Any, **match: str) -> Any:
            officer = await ctx.signin.officer(request)
            if officer is None:
                return otherwise(view, request)
            if not officer.has(*roles):
                return _forbidden(ctx, view, officer, otherwise)
            response = await handler(view, request, officer, **match)
            if isinstance(response, web.Response) and not response.prepared:
                ctx.signin.renew(request, response, officer)
            return response

        return with_officer

    return decorate


def _forbidden(ctx: BoardContext, view: Any, officer: Officer, otherwise: Otherwise) -> Any:
    if otherwise is unauthorized_problem:
        return problem(view, 403, "Forbidden", "your roles do not include this action")
    if otherwise is unauthorized:
        return html("", 403)
    return ctx.message(officer, TEXTS["forbidden_title"], TEXTS["forbidden_text"], 403)
