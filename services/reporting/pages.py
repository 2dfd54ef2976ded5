"""Reporting's page for leaders, behind the platform's one sign-in (the token checked
with the public key). Until the issue "Reporting" fills it, it shows who is signed in and
the subtree their figures will cover."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
from aiohttp import web

from motcua.identity import (
    NotForYourRole,
    Officer,
    OfficerGate,
    Role,
    SignInRequired,
    SignInUnavailable,
    page_officer,
)
from motcua.web import (
    TEXTS,
    Layout,
    SignedIn,
    StaticAssets,
    create_environment,
    install_faust_static,
    service_nav,
)
from services.reporting.settings import ReportingSettings

TEMPLATES = Path(__file__).parent / "templates"
LEADER_ROLES = (Role.LEADER, Role.UNIT_HEAD)


def install_report_pages(app: faust.App, settings: ReportingSettings) -> None:
    gate = OfficerGate.from_settings(settings)
    assets = StaticAssets()
    templates = create_environment(TEMPLATES, assets=assets)
    nav = service_nav(
        "reporting",
        board=settings.pages_board_url,
        ratings=settings.pages_ratings_url,
        reporting=settings.pages_reporting_url,
    )

    def render(name: str, status: int, officer: Officer | None, **context: Any) -> web.Response:
        user = None
        if officer is not None:
            logout = f"{gate.signin_url}/board/logout"
            user = SignedIn(officer.display_name, officer.unit_code, logout)
        page = templates.get_template(name).render(
            layout=Layout(nav=nav, user=user), officer=officer, **context
        )
        return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")

    def leader(request: Any) -> Officer | web.Response:
        try:
            return page_officer(
                gate,
                page_url=str(request.url),
                cookies=request.cookies,
                authorization=request.headers.get("Authorization"),
                roles=LEADER_ROLES,
            )
        except SignInRequired as exc:
            return web.Response(status=303, headers={"Location": exc.location})
        except NotForYourRole as exc:
            return render(
                "message.html",
                403,
                exc.officer,
                title=TEXTS["forbidden_title"],
                message=TEXTS["reporting_leaders_only"],
            )
        except SignInUnavailable:
            return render(
                "message.html",
                503,
                None,
                title=TEXTS["signin_unavailable_title"],
                message=TEXTS["signin_unavailable_text"],
            )

    @app.page("/reports")
    class Reports(faust.web.View):
        async def get(self, request: Any) -> Any:
            officer = leader(request)
            if isinstance(officer, web.Response):
                return officer
            return render("reports.html", 200, officer, title=TEXTS["reporting_title"])

    install_faust_static(app, assets)
