"""The login and logout pages (the session and the token are ``services.deadlines.web``'s)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from motcua.web import TEXTS
from motcua.web.forms import read_form
from services.deadlines.board import pages
from services.deadlines.board.views.context import BoardContext, html, redirect
from services.deadlines.board.views.session import Ctx
from services.deadlines.officers import close_session
from services.deadlines.web import LOGIN_PATH, SESSION_COOKIE, log_in

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
    result = await ctx.db.run(log_in, username, password)
    if result is None:
        return html(_page(ctx, next_page, TEXTS["login_wrong"]), 401)
    officer, session = result
    response = redirect(next_page)
    ctx.signin.signed_in(response, officer, session)
    return response


@router.post("/board/logout")
async def logout(request: Request, ctx: Ctx) -> Response:
    """Ends the session for every service: the token cookie goes with it."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await ctx.db.run(close_session, token)
    response = redirect(LOGIN_PATH)
    ctx.signin.signed_out(response)
    return response
