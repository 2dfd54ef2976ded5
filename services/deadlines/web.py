"""The deadlines service's HTTP endpoints for duty officers (on Faust's web server).

``POST /v1/session`` logs an officer in (JSON ``{"username", "password"}``) and sets an
HttpOnly, SameSite=Strict session cookie; ``GET /v1/me`` says who is logged in and which
unit subtree they see. Errors are problem+json, like every Motcua API.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any

import faust
from psycopg import Connection

from motcua.http import PROBLEM_JSON
from services.deadlines.database import Database
from services.deadlines.officers import (
    SESSION_LIFETIME,
    Officer,
    authenticate,
    officer_for_session,
    open_session,
)

SESSION_COOKIE = "motcua_session"


def problem(web: Any, status: int, title: str, detail: str, **extra: Any) -> Any:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return web.json(body, status=status, content_type=PROBLEM_JSON)


def officer_json(officer: Officer) -> dict[str, str]:
    return {
        "username": officer.username,
        "display_name": officer.display_name,
        "unit_code": officer.unit_code,
    }


def log_in(username: str, password: str, *, db_session: Connection) -> tuple[Officer, str] | None:
    """The officer and a new session token, or None for a wrong username or password."""
    officer = authenticate(username, password, db_session=db_session)
    return (officer, open_session(officer, db_session=db_session)) if officer else None


def session_cookie(token: str, *, max_age_s: int | None = None) -> str:
    """The Set-Cookie value: HttpOnly and SameSite=Strict, so scripts cannot read it and
    other sites cannot post forms with it."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[SESSION_COOKIE] = token
    cookie[SESSION_COOKIE].update(
        {
            "httponly": "true",
            "samesite": "Strict",
            "path": "/",
            "max-age": str(
                int(SESSION_LIFETIME.total_seconds()) if max_age_s is None else max_age_s
            ),
        }
    )
    return cookie[SESSION_COOKIE].OutputString()


async def current_officer(request: Any, db: Database) -> Officer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await db.run(officer_for_session, token)


def install_officer_views(app: faust.App, db: Database) -> None:

    @app.page("/v1/session")
    class Session(faust.web.View):
        async def post(self, request: Any) -> Any:
            try:
                body = json.loads(await request.read())
                username, password = body["username"], body["password"]
                if not isinstance(username, str) or not isinstance(password, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                return problem(
                    self,
                    422,
                    "Invalid request",
                    "send JSON with username and password",
                    errors=[
                        {"field": "username", "message": "required"},
                        {"field": "password", "message": "required"},
                    ],
                )
            result = await db.run(log_in, username, password)
            if result is None:
                return problem(self, 401, "Unauthenticated", "wrong username or password")
            officer, token = result
            return self.json(officer_json(officer), headers={"Set-Cookie": session_cookie(token)})

    @app.page("/v1/me")
    class Me(faust.web.View):
        async def get(self, request: Any) -> Any:
            officer = await current_officer(request, db)
            if officer is None:
                return problem(
                    self, 401, "Unauthenticated", "log in at POST /v1/session (or it expired)"
                )
            return self.json(officer_json(officer))
