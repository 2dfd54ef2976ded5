"""Who is signed in, and may they do this: the one seam between the board's handlers and
sign-in (``services.deadlines.web``).

Every handler that needs an officer takes one of the annotated officers below: the
session's officer (or a valid sign-in token's), holding one of the roles the handler is
for. Nobody signed in gets the handler's kind of answer (the login page for a page, a bare
401 for what the page's script fetches, problem+json for the API). While the officer
works, the shared token is renewed (:class:`RenewToken`), so the other services' pages
open without a detour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from motcua.http import problem_response
from motcua.identity import Officer, Role
from motcua.web import TEXTS
from services.deadlines.board.views.context import BoardContext, board_context, html, redirect
from services.deadlines.web import login_location

VIEW_ROLES = (Role.DUTY_OFFICER, Role.UNIT_HEAD, Role.LEADER)
"""Who reads the board: leaders too, who act on nothing."""
ACT_ROLES = (Role.DUTY_OFFICER, Role.UNIT_HEAD)
"""Who acknowledges alerts and issues apology letters."""
RENEWAL = "renew_token_cookie"
"""Where a handler's officer leaves the renewed token cookie for :class:`RenewToken`."""


class Refused(Exception):
    """No officer for this handler: answer ``response`` instead (the app's handler does)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def refused(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return exc.response


class _Kind:
    """How a kind of route answers nobody signed in (401) and a missing role (403)."""

    def __init__(
        self,
        unauthenticated: Callable[[Request], Response],
        forbidden: Callable[[BoardContext, Officer], Response],
    ) -> None:
        self.unauthenticated, self.forbidden = unauthenticated, forbidden


PAGE = _Kind(
    lambda request: redirect(login_location(request.url.path + _query(request))),
    lambda ctx, officer: ctx.message(
        officer,
        TEXTS["forbidden_title"],
        TEXTS["forbidden_text"],
        403,
        back=("/board/login", TEXTS["forbidden_other_account"]),  # the board would refuse again
    ),
)
"""A page: off to the login form, and back to this page afterwards."""
FRAGMENT = _Kind(lambda _: html("", 401), lambda _ctx, _officer: html("", 403))
"""A fragment or a stream the page's script fetches: 401, and the script goes to login."""
API = _Kind(
    lambda _: problem_response(401, "Unauthenticated", "log in at POST /v1/session"),
    lambda _ctx, _officer: problem_response(
        403, "Forbidden", "your roles do not include this action"
    ),
)
"""The JSON API: problem+json."""


def _query(request: Request) -> str:
    query = request.url.query
    return f"?{query}" if query else ""


def _officer(kind: _Kind, roles: tuple[Role, ...]) -> Callable[[Request], Awaitable[Officer]]:
    async def officer_of(request: Request) -> Officer:
        ctx = board_context(request)
        officer = await ctx.signin.officer(request)
        if officer is None:
            raise Refused(kind.unauthenticated(request))
        if not officer.has(*roles):
            raise Refused(kind.forbidden(ctx, officer))
        renewal = ctx.signin.renewal(request, officer)
        if renewal:
            setattr(request.state, RENEWAL, renewal)
        # A merger's successor handles the open dossiers its retired units received.
        return replace(officer, carries_on=ctx.reference.carried_over(officer.unit_code))

    return officer_of


Viewer = Annotated[Officer, Depends(_officer(PAGE, VIEW_ROLES))]
Actor = Annotated[Officer, Depends(_officer(PAGE, ACT_ROLES))]
FragmentViewer = Annotated[Officer, Depends(_officer(FRAGMENT, VIEW_ROLES))]
ApiViewer = Annotated[Officer, Depends(_officer(API, VIEW_ROLES))]
Ctx = Annotated[BoardContext, Depends(board_context)]


class RenewToken:
    """Adds the renewed token cookie a handler's officer left in the request's state to
    whatever the handler answers (a page, a redirect, a stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            renewal = scope.get("state", {}).get(RENEWAL)
            if message["type"] == "http.response.start" and renewal:
                MutableHeaders(scope=message).append("Set-Cookie", renewal)
            await send(message)

        await self.app(scope, receive, sending)
