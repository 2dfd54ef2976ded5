"""Ratings' staff pages put together: the entry page, the entry forms, the follow-ups and the
ratings list, each module's router, and what a page says when the sign-in refuses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment

from motcua.identity import NotForYourRole, OfficerGate, SignInRequired, SignInUnavailable
from motcua.reference import ReferenceData
from motcua.web import TEXTS, StaticAssets, mount_starlette_static
from services.ratings.dependencies import STATIC, templates_environment
from services.ratings.settings import RatingsSettings
from services.ratings.staff.calls import router as calls_router
from services.ratings.staff.entry import router as entry_router
from services.ratings.staff.followups import router as followups_router
from services.ratings.staff.pages import StaffPages, router
from services.ratings.staff.ratings import router as ratings_router


def install_staff_pages(
    app: FastAPI, settings: RatingsSettings, reference: ReferenceData
) -> Environment:
    """The staff pages, the static files, and the sign-in's answers; returns the templates
    environment the citizens' pages share."""
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

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(NotForYourRole)
    async def not_for_role(request: Request, exc: NotForYourRole) -> Response:
        return pages.render(
            "message.html",
            status=403,
            officer=exc.officer,
            title=TEXTS["forbidden_title"],
            message=TEXTS["ratings_staff_only"],
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
