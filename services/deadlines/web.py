"""The deadlines service's HTTP endpoints for duty officers (on Faust's web server).

``POST /v1/session`` logs an officer in (JSON ``{"username", "password"}``) and sets an
HttpOnly, SameSite=Strict session cookie; ``GET /v1/me`` says who is logged in and which
unit subtree they see. Errors are problem+json, like every Motcua API.
"""

from __future__ import annotations

import asyncio
import json
from http.cookies import SimpleCookie
from typing import Any

import faust
import psycopg

from motcua.http import PROBLEM_JSON
from services.deadlines.officers import (
    SESSION_LIFETIME,
    Officer,
    authenticate,
    officer_for_session,
    open_session,
)

SESSION_COOKIE = "motcua_session"


def _problem(web: Any, status: int, title: str, detail: str, **extra: Any) -> Any:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return web.json(body, status=status, content_type=PROBLEM_JSON)


def _officer_json(officer: Officer) -> dict[str, str]:
    return {
        "username": officer.username,
        "display_name": officer.display_name,
        "unit_code": officer.unit_code,
    }


def install_officer_views(app: faust.App, database_url: str) -> None:
    def login(username: str, password: str) -> tuple[Officer, str] | None:
        with psycopg.connect(database_url) as conn:
            officer = authenticate(username, password, db_session=conn)
            return (officer, open_session(officer, db_session=conn)) if officer else None

    def whoami(token: str) -> Officer | None:
        with psycopg.connect(database_url) as conn:
            return officer_for_session(token, db_session=conn)

    @app.page("/v1/session")
    class Session(faust.web.View):
        async def post(self, request: Any) -> Any:
            try:
                body = json.loads(await request.read())
                username, password = body["username"], body["password"]
                if not isinstance(username, str) or not isinstance(password, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                return _problem(
                    self,
                    422,
                    "Invalid request",
                    "send JSON with username and password",
                    errors=[
                        {"field": "username", "message": "required"},
                        {"field": "password", "message": "required"},
                    ],
                )
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(None, login, username, password)
            if result is None:
                return _problem(self, 401, "Unauthenticated", "wrong username or password")
            officer, token = result
            cookie: SimpleCookie = SimpleCookie()
            cookie[SESSION_COOKIE] = token
            cookie[SESSION_COOKIE].update(
                {
                    "httponly": "true",
                    "samesite": "Strict",
                    "path": "/",
                    "max-age": str(int(SESSION_LIFETIME.total_seconds())),
                }
            )
            header = cookie[SESSION_COOKIE].OutputString()
            return self.json(_officer_json(officer), headers={"Set-Cookie": header})

    @app.page("/v1/me")
    class Me(faust.web.View):
        async def get(self, request: Any) -> Any:
            token = request.cookies.get(SESSION_COOKIE)
            if not token:
                return _problem(self, 401, "Unauthenticated", "log in at POST /v1/session")
            loop = asyncio.get_running_loop()
            officer = await loop.run_in_executor(None, whoami, token)
            if officer is None:
                return _problem(self, 401, "Unauthenticated", "the session has expired")
            return self.json(_officer_json(officer))
