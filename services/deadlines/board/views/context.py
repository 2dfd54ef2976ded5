"""What every board handler shares: its dependencies, the page chrome, small responses."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from motcua.audit import sees_platform
from motcua.calendar import WorkingCalendar
from motcua.identity import Role
from motcua.reference import Names, ReferenceData
from motcua.web import TEXTS, Layout, NavLink, SignedIn, service_nav
from services.deadlines.board import pages
from services.deadlines.board.live import BoardFeed
from services.deadlines.database import Database
from services.deadlines.letters.intake_client import DossierDirectory
from services.deadlines.officers import Officer
from services.deadlines.web import SignIn

AUDIT_PATH = "/board/audit"
"""The inspectors' page of deadlines' audit trail (``motcua.audit``)."""


@dataclass(frozen=True)
class BoardConfig:
    calendar: WorkingCalendar
    suggested_extension_days: int
    ratings_url: str | None = None
    reporting_url: str | None = None


@dataclass(frozen=True)
class BoardContext:
    db: Database
    feed: BoardFeed
    directory: DossierDirectory
    reference: ReferenceData
    signin: SignIn
    config: BoardConfig

    @property
    def names(self) -> Names:
        return Names(self.reference)

    def layout(self, officer: Officer, current: str = "board") -> Layout:
        """The header of a signed-in page: who, which unit, the links to the other services
        (and, for an inspector, to the audit trail)."""
        nav = service_nav(
            current,
            board="/board",
            ratings=self.config.ratings_url,
            reporting=self.config.reporting_url,
        )
        if officer.has(Role.INSPECTOR):
            nav.append(NavLink(TEXTS["nav_audit"], AUDIT_PATH, current == "audit"))
        return Layout(
            nav=nav,
            user=SignedIn(
                officer.display_name, self.names.unit(officer.unit_code), "/board/logout"
            ),
        )

    def is_top_unit(self, unit_code: str) -> bool:
        """The ministry or a province's department: its inspectors see platform-wide
        entries (``motcua.audit.sees_platform``)."""
        unit = self.reference.unit(unit_code)
        return unit is not None and sees_platform(unit.path)

    def message(
        self,
        officer: Officer,
        title: str,
        text: str,
        status: int,
        back: tuple[str, str] | None = None,
    ) -> Response:
        return html(pages.message_page(title, text, self.layout(officer), back), status)


def board_context(request: Request) -> BoardContext:
    """The process's board context, built in the app's lifespan."""
    ctx: BoardContext = request.app.state.board
    return ctx


def redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=303)


def html(body: str, status: int = 200) -> Response:
    return HTMLResponse(body, status_code=status)


_BACK = re.compile(r"\?[A-Za-z0-9_.~%+=&-]*")
"""A query string an action may send the officer back to (nothing that leaves /board)."""


def board_back(value: str | None) -> str:
    """The board's query string an officer came from (its filters and page), or "" when
    ``value`` is not one: what a form carries so that going back keeps the filters."""
    return value if value and _BACK.fullmatch(value) else ""


def parse_dossier_id(value: str) -> str | None:
    """The path's dossier id, or None when it is not a UUID (a 404, never a 500)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
