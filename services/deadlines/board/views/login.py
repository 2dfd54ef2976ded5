"""The login and logout pages (the session and the token are ``services.deadlines.web``'s)."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from starlette.responses import Response

from motcua.http import client_address
from motcua.identity import Officer, Role
from motcua.web import TEXTS
from motcua.web.forms import read_form
from services.deadlines.board import pages
from services.deadlines.board.views.context import AUDIT_PATH, BoardContext, html, redirect
from services.deadlines.board.views.session import VIEW_ROLES, Ctx
from services.deadlines.signin_guard import Refused, Throttled, sign_out
from services.deadlines.web import HOME_PATH, LOGIN_PATH, SESSION_COOKIE, log_in

router = APIRouter(include_in_schema=False)


def _page(ctx: BoardContext, next_page: str, error: str | None = None) -> str:
    destination = pages.login_destination(
        next_page, ratings_url=ctx.config.ratings_url, reporting_url=ctx.config.reporting_url
    )
    return pages.login_page(error, next_page=next_page, destination=destination)


@router.get(LOGIN_PATH)
async def login_form(request: Request, ctx: Ctx) -> Response:
    next_page = ctx.signin.next_page(request.query_params.get("next"))
    return html(_page(ctx, next_page))


@router.post(LOGIN_PATH)
async def login(request: Request, ctx: Ctx) -> Response:
    form = await read_form(request) or {}
    username, password = form.get("username", ""), form.get("password", "")
    next_page = ctx.signin.next_page(form.get("next", ""))
    if not username or not password:
        return html(_page(ctx, next_page, TEXTS["login_missing"]), 422)
    result = await log_in(request, username, password)
    if isinstance(result, Throttled):
        minutes = math.ceil(result.retry_after_s / 60)
        refused = html(_page(ctx, next_page, TEXTS["login_throttled"].format(minutes=minutes)), 429)
        refused.headers["Retry-After"] = str(result.retry_after_s)
        return refused
    if isinstance(result, Refused):
        return html(_page(ctx, next_page, TEXTS["login_wrong"]), 401)
    response = redirect(landing(result.officer, next_page))
    ctx.signin.signed_in(response, result.officer, result.session)
    return response


def landing(officer: Officer, next_page: str) -> str:
    """Where a signed-in officer goes: where they were going, except that an inspector,
    whom the board would refuse, goes to the audit trail instead of the board."""
    if next_page == HOME_PATH and not officer.has(*VIEW_ROLES) and officer.has(Role.INSPECTOR):
        return AUDIT_PATH
    return next_page


@router.post("/board/logout")
async def logout(request: Request, ctx: Ctx) -> Response:
    """Ends the session for every service: the token cookie goes with it."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await ctx.db.run(sign_out, token, client_address(request))
    response = redirect(LOGIN_PATH)
    ctx.signin.signed_out(response)
    return response
