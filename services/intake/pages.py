"""Intake's one page: its audit trail for inspectors (``motcua.audit``), on the shared
layout. Intake has no other pages; officers sign in on deadlines' officers' web, and a
browser without a valid token is sent there and back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from motcua.audit import token_checks
from motcua.identity import (
    NotForYourRole,
    Officer,
    OfficerGate,
    SignInRequired,
    SignInUnavailable,
)
from motcua.web import TEXTS, Layout, SignedIn, StaticAssets, create_environment
from motcua.web.static import mount_starlette_static

AUDIT_PAGE = "/audit"
_ENV = create_environment(Path(__file__).parent / "templates")
_NO_STORE = {"Cache-Control": "no-store"}


def install_audit_page(
    app: FastAPI, gate: OfficerGate, unit_name: Callable[[str], str]
) -> tuple[Any, Any]:
    """The shared stylesheet, the page errors as pages; returns the page's renderer and
    inspector check for :class:`motcua.audit.AuditDoors`. ``unit_name``: the header names
    the officer's unit, not its code."""
    mount_starlette_static(app, StaticAssets())

    def _html(name: str, officer: Officer | None, gate: OfficerGate, **values: Any) -> str:
        user = None
        if officer is not None:
            user = SignedIn(
                officer.display_name,
                unit_name(officer.unit_code),
                f"{gate.signin_url}/board/logout",
            )
        return _ENV.get_template(name).render(layout=Layout(user=user), **values)

    def render(request: Request, officer: Officer, name: str, values: dict[str, Any]) -> Response:
        return HTMLResponse(_html(name, officer, gate, **values), headers=_NO_STORE)

    inspector = token_checks(lambda _: gate)[1]

    @app.exception_handler(SignInRequired)
    async def _sign_in(_: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(NotForYourRole)
    async def _forbidden(_: Request, exc: NotForYourRole) -> Response:
        page = _html(
            "message.html",
            exc.officer,
            gate,
            title=TEXTS["forbidden_title"],
            message=TEXTS["audit_inspectors_only"],
        )
        return HTMLResponse(page, status_code=403, headers=_NO_STORE)

    @app.exception_handler(SignInUnavailable)
    async def _unavailable(_: Request, __: SignInUnavailable) -> Response:
        page = _html(
            "message.html",
            None,
            gate,
            title=TEXTS["signin_unavailable_title"],
            message=TEXTS["signin_unavailable_text"],
        )
        return HTMLResponse(page, status_code=503, headers=_NO_STORE)

    return render, inspector
