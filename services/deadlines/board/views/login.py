"""The login and logout pages (the session and the token are ``services.deadlines.web``'s)."""

from __future__ import annotations

from typing import Any

import faust

from motcua.web import TEXTS
from services.deadlines.board import pages
from services.deadlines.board.views.context import BoardContext, html, redirect
from services.deadlines.officers import close_session
from services.deadlines.web import SESSION_COOKIE, log_in


def install(app: faust.App, ctx: BoardContext) -> None:
    @app.page("/board/login")
    class Login(faust.web.View):
        async def get(self, request: Any) -> Any:
            return html(pages.login_page(next_page=ctx.signin.next_page(request.query.get("next"))))

        async def post(self, request: Any) -> Any:
            form = await request.post()
            username, password = str(form.get("username", "")), str(form.get("password", ""))
            next_page = ctx.signin.next_page(str(form.get("next", "")))
            if not username or not password:
                return html(pages.login_page(TEXTS["login_missing"], next_page=next_page), 422)
            result = await ctx.db.run(log_in, username, password)
            if result is None:
                return html(pages.login_page(TEXTS["login_wrong"], next_page=next_page), 401)
            officer, session = result
            response = redirect(next_page)
            ctx.signin.signed_in(response, officer, session)
            return response

    @app.page("/board/logout")
    class Logout(faust.web.View):
        async def post(self, request: Any) -> Any:
            """Ends the session for every service: the token cookie goes with it."""
            token = request.cookies.get(SESSION_COOKIE)
            if token:
                await ctx.db.run(close_session, token)
            response = redirect("/board/login")
            ctx.signin.signed_out(response)
            return response
