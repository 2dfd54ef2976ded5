"""Deadlines' audit trail for inspectors (``motcua.audit``): ``GET /v1/audit`` and the
page at ``/board/audit``, on the board's layout, scoped to the inspector's subtree."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from motcua.audit import AuditDoors, audit_router
from motcua.identity import Officer, Role
from motcua.web import TEXTS
from motcua.web.strings import AUDIT_SERVICE_LABELS
from services.deadlines.board import pages
from services.deadlines.board.views.context import AUDIT_PATH, BoardContext, html
from services.deadlines.board.views.session import PAGE, Refused


def install_audit(app: FastAPI, audit_pages: tuple[tuple[str, str], ...] = ()) -> None:
    """Mount the audit trail's doors; they find the board's context (built in the app's
    lifespan) when called."""

    def board() -> BoardContext:
        ctx: BoardContext = app.state.board
        return ctx

    def render(
        request: Request, officer: Officer, template: str, context: dict[str, Any]
    ) -> Response:
        return html(pages.shared_page(template, board().layout(officer, "audit"), context))

    def inspector(request: Request) -> Officer:
        """The page's inspector, else the login form (and back) or the forbidden page."""
        officer = board().signin.officer_blocking(request)
        if officer is None:
            raise Refused(PAGE.unauthenticated(request))
        if not officer.has(Role.INSPECTOR):
            raise Refused(
                board().message(
                    officer, TEXTS["forbidden_title"], TEXTS["audit_inspectors_only"], 403
                )
            )
        return officer

    doors = AuditDoors(
        connection=lambda: board().db.pool.connection(),
        officer_of=lambda request: board().signin.officer_blocking(request),
        is_top_unit=lambda unit_code: board().is_top_unit(unit_code),
        service_label=AUDIT_SERVICE_LABELS["deadlines"],
        other_logs=audit_pages,
        service="deadlines",
        render_page=render,
        page_inspector=inspector,
    )
    app.include_router(audit_router(doors, page_path=AUDIT_PATH))
