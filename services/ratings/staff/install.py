"""Ratings' staff pages put together: the entry page, the entry forms, the follow-ups and the
ratings list, each module's router, and what a page says when the sign-in refuses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment
from psycopg_pool import ConnectionPool

from motcua.audit import AuditDoors, audit_router, sees_platform, token_checks
from motcua.identity import (
    NotForYourRole,
    Officer,
    OfficerGate,
    Role,
    SignInRequired,
    SignInUnavailable,
)
from motcua.reference import ReferenceData
from motcua.web import TEXTS, StaticAssets, mount_starlette_static
from motcua.web.strings import AUDIT_SERVICE_LABELS
from services.ratings.dependencies import STATIC, templates_environment
from services.ratings.settings import RatingsSettings
from services.ratings.staff.calls import router as calls_router
from services.ratings.staff.entry import router as entry_router
from services.ratings.staff.followups import router as followups_router
from services.ratings.staff.pages import AUDIT_PAGE, StaffPages, router
from services.ratings.staff.ratings import router as ratings_router


def _audit_doors(
    app: FastAPI, pool: ConnectionPool, audit_pages: tuple[tuple[str, str], ...]
) -> AuditDoors:
    """Inspectors read ratings' audit trail on the staff layout; those of a top unit (a
    ministry or a province's department) also see the platform-wide entries (portal
    keys)."""

    def pages() -> StaffPages:
        current: StaffPages = app.state.staff_pages
        return current

    def is_top_unit(unit_code: str) -> bool:
        unit = pages().reference.unit(unit_code)
        return unit is not None and sees_platform(unit.path)

    officer_of, inspector = token_checks(lambda _: pages().gate)

    def render(request: Request, officer: Officer, name: str, context: dict[str, Any]) -> Response:
        return pages().render(name, officer=officer, **context)

    return AuditDoors(
        connection=pool.connection,
        officer_of=officer_of,
        is_top_unit=is_top_unit,
        service_label=AUDIT_SERVICE_LABELS["ratings"],
        other_logs=audit_pages,
        service="ratings",
        render_page=render,
        page_inspector=inspector,
    )


def install_staff_pages(
    app: FastAPI, settings: RatingsSettings, reference: ReferenceData, pool: ConnectionPool
) -> Environment:
    """The staff pages, the static files, the inspectors' audit trail, and the sign-in's
    answers; returns the templates environment the citizens' pages share."""
    assets = StaticAssets(STATIC)
    templates = templates_environment(assets)
    pages = StaffPages(OfficerGate.from_settings(settings), templates, settings, reference)
    app.state.staff_pages = pages
    mount_starlette_static(app, assets)
    app.include_router(router)
    app.include_router(entry_router)
    app.include_router(calls_router)
    app.include_router(followups_router)
    app.include_router(ratings_router)
    app.include_router(
        audit_router(_audit_doors(app, pool, settings.audit_pages()), page_path=AUDIT_PAGE)
    )

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(NotForYourRole)
    async def not_for_role(request: Request, exc: NotForYourRole) -> Response:
        only = "audit_inspectors_only" if Role.INSPECTOR in exc.allowed else "ratings_staff_only"
        return pages.render(
            "message.html",
            status=403,
            officer=exc.officer,
            title=TEXTS["forbidden_title"],
            message=TEXTS[only],
        )

    @app.exception_handler(SignInUnavailable)
    async def unavailable(request: Request, exc: SignInUnavailable) -> Response:
        return pages.render(
            "message.html",
            status=503,
            officer=None,
            title=TEXTS["signin_unavailable_title"],
            message=TEXTS["signin_unavailable_text"],
        )

    return templates
