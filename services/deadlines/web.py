"""Sign-in for the whole platform, on deadlines' officers' web (``officers_web``).

Deadlines owns officer accounts and sessions. Signing in (the login page, or
``POST /v1/session`` with JSON ``{"username", "password"}``) opens a session (12 h,
HttpOnly, SameSite=Strict cookie, kept in PostgreSQL so signing out ends it at once) and
hands out a short-lived sign-in token (``motcua.identity``: Ed25519-signed, username, unit,
roles) in a cookie every Motcua service on the host reads. A service whose page finds no
valid token sends the browser to ``GET /auth/continue?next=<page>``, which renews the
token from the session and sends it back (or to the login page first). ``GET /v1/me``
says who is signed in. Errors are problem+json, like every Motcua API. Both doors are
guarded (:mod:`services.deadlines.signin_guard`): too many failures of a username or from
an address answer 429 with ``Retry-After``, and every attempt is in the audit trail.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from psycopg import Connection
from starlette.responses import JSONResponse, RedirectResponse, Response

from motcua.http import Problem, client_address
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
from services.deadlines.officers import SESSION_LIFETIME, officer_for_session, token_still_good
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.signin_guard import (
    Attempt,
    Limits,
    Refused,
    SignedIn,
    Throttled,
    sign_in,
)

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


async def log_in(request: Request, username: str, password: str) -> SignedIn | Refused | Throttled:
    """A guarded attempt (:mod:`services.deadlines.signin_guard`) from this request's client."""
    found = signin(request)
    attempt = Attempt(username, password, client_address(request))
    return await found.db.run(sign_in, attempt, found.limits)


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
    limits: Limits = field(default_factory=Limits)

    async def officer(self, request: Request) -> Officer | None:
        """The session's officer — deadlines asks its own table, so a closed session or a
        disabled account stops working here at once — else the sign-in token's, as on
        every other service (how officers signed in by an OIDC provider get in), unless
        the token names one of deadlines' accounts since disabled or whose sessions an
        admin revoked after it was issued (else renewing it here would outlive both)."""
        return await self.db.run(self._officer_in, request)

    def officer_blocking(self, request: Request) -> Officer | None:
        """:meth:`officer`, for a handler that runs in a worker thread (the audit trail's)."""
        with self.db.pool.connection() as conn:
            return self._officer_in(request, db_session=conn)

    def _officer_in(self, request: Request, *, db_session: Connection) -> Officer | None:
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            officer = officer_for_session(session, db_session=db_session)
            if officer is not None:
                return officer
        token = token_from(request.cookies, request.headers.get("Authorization"))
        if not token:
            return None
        try:
            holder, expires_at = self.verifier.verify_until(token)
        except InvalidOfficerToken:
            return None
        issued_at = expires_at - self.issuer.lifetime
        return (
            holder if token_still_good(holder.username, issued_at, db_session=db_session) else None
        )

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
        limits = Limits(
            settings.signin_account_failures,
            settings.signin_address_failures,
            timedelta(seconds=settings.signin_window_s),
        )
        return cls(db, issuer, verifier, origins, settings.signin_cookies_secure, limits)

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
    responses={
        401: {"description": "Wrong username or password (alike for an unknown username)."},
        422: {},
        429: {
            "description": "Too many failed sign-ins of this username or from this address: "
            "refused unchecked; Retry-After says when to try again.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        },
    },
)
async def open_officer_session(request: Request) -> JSONResponse:
    username, password = await _credentials(request)
    found = signin(request)
    result = await log_in(request, username, password)
    if isinstance(result, Throttled):
        raise Problem(
            429,
            "Too many sign-in attempts",
            f"try again in {result.retry_after_s} s",
            headers={"Retry-After": str(result.retry_after_s)},
        )
    if isinstance(result, Refused):
        raise Problem(401, "Unauthenticated", "wrong username or password")
    token = found.issuer.issue(result.officer)
    response = JSONResponse(
        {
            **officer_json(result.officer),
            "token": token,
            "token_type": "Bearer",
            "expires_in": found.lifetime_s,
        }
    )
    response.headers.append("Set-Cookie", found.session_cookie(result.session))
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
