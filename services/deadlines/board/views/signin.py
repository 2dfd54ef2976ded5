"""The login and logout pages (the session itself is ``services.deadlines.web``'s)."""

from __future__ import annotations

from typing import Any

import faust

from motcua.web import TEXTS
from services.deadlines.board import pages
from services.deadlines.board.views.context import BoardContext, html, redirect
from services.deadlines.officers import close_session
from services.deadlines.web import SESSION_COOKIE, log_in, session_cookie


def install(app: faust.App, ctx: BoardContext) -> None:
    @app.page("/board/login")
    class Login(faust.web.View):
        async def get(self, request: Any) -> Any:
            return html(pages.login_page())

        async def post(self, request: Any) -> Any:
            form = await request.post()
            username, password = str(form.get("username", "")), str(form.get("password", ""))
            if not username or not password:
                return html(pages.login_page(TEXTS["login_missing"]), 422)
            result = await ctx.db.run(log_in, username, password)
            if result is None:
                return html(pages.login_page(TEXTS["login_wrong"]), 401)
            return redirect("/board", **{"Set-Cookie": session_cookie(result[1])})

    @app.page("/board/logout")
    class Logout(faust.web.View):
        async def post(self, request: Any) -> Any:
            token = request.cookies.get(SESSION_COOKIE)
            if token:
                await ctx.db.run(close_session, token)
            return redirect("/board/login", **{"Set-Cookie": session_cookie("", max_age_s=0)})
