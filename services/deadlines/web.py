"""Sign-in for the whole platform, on deadlines' officers' web (``officers_web``).

Deadlines owns officer accounts and sessions. Signing in (the login page, or
``POST /v1/session`` with JSON ``{"username", "password"}``) opens a session (12 h,
HttpOnly, SameSite=Strict cookie, kept in PostgreSQL so signing out ends it at once) and
hands out a short-lived sign-in token (``motcua.identity``: Ed25519-signed, username, unit,
roles) in a cookie every Motcua service on the host reads. A service whose page finds no
valid token sends the browser to ``GET /auth/continue?next=<page>``, which renews the
token from the session and sends it back (or to the login page first). ``GET /v1/me``
says who is signed in. Errors are problem+json, like every Motcua API.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from psycopg import Connection
from starlette.responses import JSONResponse, RedirectResponse, Response

from motcua.http import Problem
from motcua.identity import (
    CONTINUE_PATH,
    TOKEN_COOKIE,
    InvalidOfficerToken,
    Officer,
    TokenIssuer,
    TokenVerifier,
    generate_keypair,
    safe_next,
    token_cookie,
    token_from,
)
from services.deadlines.database import Database
from services.deadlines.officers import (
    SESSION_LIFETIME,
    authenticate,
    officer_for_session,
    open_session,
)
from services.deadlines.settings import DeadlinesSettings

SESSION_COOKIE = "motcua_session"
LOGIN_PATH = "/board/login"
HOME_PATH = "/board"

_log = logging.getLogger("motcua.deadlines.signin")


def officer_json(officer: Officer) -> dict[str, Any]:
    return {
        "username": officer.username,
        "display_name": officer.display_name,
        "unit_code": officer.unit_code,
        "roles": sorted(officer.roles),
    }


def log_in(username: str, password: str, *, db_session: Connection) -> tuple[Officer, str] | None:
    """The officer and a new session token, or None for a wrong username or password."""
    officer = authenticate(username, password, db_session=db_session)
    return (officer, open_session(officer, db_session=db_session)) if officer else None


def session_cookie(token: str, *, max_age_s: int | None = None, secure: bool = False) -> str:
    """The Set-Cookie value: HttpOnly and SameSite=Strict, so scripts cannot read it and
    other sites cannot post forms with it; Secure behind TLS."""
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
    if secure:
        cookie[SESSION_COOKIE]["secure"] = True
    return cookie[SESSION_COOKIE].OutputString()


@dataclass(frozen=True)
class SignIn:
    """Issues sign-in tokens, finds the signed-in officer, and decides where a signed-in
    browser may go next."""

    db: Database
    issuer: TokenIssuer
    verifier: TokenVerifier
    """Deadlines' own public key, or an OIDC provider's (OFFICER_TOKEN_PUBLIC_KEY_FILE)."""
    return_origins: tuple[str, ...]
    secure_cookies: bool = False

    async def officer(self, request: Request) -> Officer | None:
        """The session's officer — deadlines asks its own table, so a closed session or a
        disabled account stops working here at once — else the sign-in token's, as on
        every other service (how officers signed in by an OIDC provider get in)."""
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            officer = await self.db.run(officer_for_session, session)
            if officer is not None:
                return officer
        token = token_from(request.cookies, request.headers.get("Authorization"))
        if token:
            try:
                return self.verifier.verify(token)
            except InvalidOfficerToken:
                return None
        return None

    @classmethod
    def from_settings(cls, settings: DeadlinesSettings, db: Database) -> SignIn:
        lifetime = timedelta(seconds=settings.officer_token_lifetime_s)
        if settings.officer_token_private_key_file:
            pem = Path(settings.officer_token_private_key_file).read_bytes()
        else:
            _log.warning(
                "OFFICER_TOKEN_PRIVATE_KEY_FILE is not set: sign-in tokens are signed with a "
                "key made up at start, which the other services cannot check"
            )
            pem = generate_keypair()[0]
        origins = tuple(o.strip() for o in settings.signin_return_origins.split(",") if o.strip())
        issuer = TokenIssuer.from_pem(pem, lifetime=lifetime)
        verifier = settings.token_verifier() or TokenVerifier(
            issuer.private_key.public_key(), issuer.issuer
        )
        return cls(db, issuer, verifier, origins, settings.signin_cookies_secure)

    @property
    def lifetime_s(self) -> int:
        return int(self.issuer.lifetime.total_seconds())

    def token_cookie(self, officer: Officer) -> str:
        return self.token_cookie_of(self.issuer.issue(officer))

    def token_cookie_of(self, token: str, *, max_age_s: int | None = None) -> str:
        lifetime = self.lifetime_s if max_age_s is None else max_age_s
        return token_cookie(token, max_age_s=lifetime, secure=self.secure_cookies)

    def session_cookie(self, session: str, *, max_age_s: int | None = None) -> str:
        return session_cookie(session, max_age_s=max_age_s, secure=self.secure_cookies)

    def next_page(self, asked: str | None) -> str:
        return safe_next(asked, self.return_origins, HOME_PATH)

    def signed_in(self, response: Response, officer: Officer, session: str) -> None:
        """Both cookies on the response that ends a successful sign-in."""
        response.headers.append("Set-Cookie", self.session_cookie(session))
        response.headers.append("Set-Cookie", self.token_cookie(officer))

    def signed_out(self, response: Response) -> None:
        response.headers.append("Set-Cookie", self.session_cookie("", max_age_s=0))
        response.headers.append("Set-Cookie", self.token_cookie_of("", max_age_s=0))

    def renewal(self, request: Request, officer: Officer) -> str | None:
        """The token cookie that keeps the shared token fresh while the officer works on
        deadlines' pages, so the other services' pages open without a detour: a new one
        when missing, another officer's, or past half its life; else None."""
        current = request.cookies.get(TOKEN_COOKIE)
        if current:
            try:
                holder, expires_at = self.verifier.verify_until(current)
            except InvalidOfficerToken:
                pass
            else:
                left = expires_at - datetime.now(UTC)
                if holder == officer and left > self.issuer.lifetime / 2:
                    return None
        return self.token_cookie(officer)


def login_location(next_page: str) -> str:
    if next_page == HOME_PATH:
        return LOGIN_PATH
    return f"{LOGIN_PATH}?next={quote(next_page, safe='')}"


def signin(request: Request) -> SignIn:
    """The process's sign-in, built in the app's lifespan."""
    found: SignIn = request.app.state.signin
    return found


async def _credentials(request: Request) -> tuple[str, str]:
    try:
        body = json.loads(await request.body())
        username, password = body["username"], body["password"]
        if not isinstance(username, str) or not isinstance(password, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise Problem(
            422,
            "Invalid request",
            "send JSON with username and password",
            errors=[
                {"field": "username", "message": "required"},
                {"field": "password", "message": "required"},
            ],
        ) from None
    if "\x00" in username:  # no officer can have one (PostgreSQL text cannot hold it)
        raise Problem(
            422,
            "Invalid request",
            "invalid fields: username",
            errors=[{"field": "username", "message": "must not contain NUL"}],
        )
    return username, password


router = APIRouter(tags=["sign-in"])

_CREDENTIALS = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                }
            }
        },
    }
}


@router.post(
    "/v1/session",
    summary="Sign in: a session cookie and a sign-in token.",
    openapi_extra=_CREDENTIALS,
    responses={401: {"description": "Wrong username or password."}, 422: {}},
)
async def open_officer_session(request: Request) -> JSONResponse:
    username, password = await _credentials(request)
    found = signin(request)
    result = await found.db.run(log_in, username, password)
    if result is None:
        raise Problem(401, "Unauthenticated", "wrong username or password")
    officer, session = result
    token = found.issuer.issue(officer)
    response = JSONResponse(
        {
            **officer_json(officer),
            "token": token,
            "token_type": "Bearer",
            "expires_in": found.lifetime_s,
        }
    )
    response.headers.append("Set-Cookie", found.session_cookie(session))
    response.headers.append("Set-Cookie", found.token_cookie_of(token))
    return response


@router.get(
    "/v1/me",
    summary="Who is signed in.",
    responses={401: {"description": "Nobody is signed in."}},
)
async def me(request: Request) -> dict[str, Any]:
    officer = await signin(request).officer(request)
    if officer is None:
        raise Problem(401, "Unauthenticated", "log in at POST /v1/session (or it expired)")
    return officer_json(officer)


@router.get(CONTINUE_PATH, include_in_schema=False)
async def continue_signed_in(request: Request) -> Response:
    """The hand-off: a fresh token for the session's officer, then back to ``next``
    (a page of this platform only); no session → the login page, then back."""
    found = signin(request)
    next_page = found.next_page(request.query_params.get("next"))
    officer = await found.officer(request)
    if officer is None:
        return RedirectResponse(login_location(next_page), status_code=303)
    response = RedirectResponse(next_page, status_code=303)
    response.headers.append("Set-Cookie", found.token_cookie(officer))
    return response
