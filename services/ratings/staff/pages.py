"""Ratings' pages for officers (paper forms, the counter kiosk, follow-ups), behind the
platform's one sign-in: the token is checked with the public key, never a session here.

``/staff`` is the entry page: who is signed in, the unit subtree their work is limited to,
and the work their roles allow (kiosk, paper and phone entry, follow-ups).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from motcua.identity import (
    Officer,
    OfficerGate,
    Role,
    SignInRequired,
    page_officer,
)
from motcua.reference import Names, NoReference, ReferenceData
from motcua.web import (
    ROLE_LABELS,
    TEXTS,
    Layout,
    NavLink,
    SignedIn,
    service_nav,
)
from services.ratings.dependencies import NO_STORE
from services.ratings.settings import RatingsSettings

STAFF_ROLES = (Role.STAFF_ENTRY, Role.UNIT_HEAD, Role.LEADER)
"""Who works on ratings: staff entering paper forms, and the heads and leaders following up."""
ENTRY_ROLES = (Role.STAFF_ENTRY, Role.UNIT_HEAD)
"""Who enters answers (kiosk, paper, phone) and marks a comment as a complaint."""
CLOSE_ROLES = (Role.UNIT_HEAD,)
"""Who closes a follow-up: the unit's head."""

AUDIT_PAGE = "/staff/audit"
"""The inspectors' page of ratings' audit trail (``motcua.audit``), linked in their header."""

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class StaffPages:
    gate: OfficerGate
    templates: Environment
    settings: RatingsSettings
    reference: ReferenceData = field(default_factory=NoReference)
    """Intake's unit names, for the header's "Đơn vị …" and the home page's scope."""

    def layout(self, officer: Officer | None) -> Layout:
        nav = service_nav(
            "ratings",
            board=self.settings.pages_board_url,
            ratings=self.settings.pages_ratings_url,
            reporting=self.settings.pages_reporting_url,
        )
        user = None
        if officer is not None and officer.has(Role.INSPECTOR):
            nav.append(NavLink(TEXTS["audit_title"], AUDIT_PAGE))
        if officer is not None:
            user = SignedIn(
                officer.display_name,
                Names(self.reference).unit(officer.unit_code),
                f"{self.gate.signin_url}/board/logout",
            )
        return Layout(nav=nav, user=user)

    def render(
        self,
        name: str,
        *,
        status: int = 200,
        officer: Officer | None,
        kiosk: bool = False,
        **context: object,
    ) -> HTMLResponse:
        """A staff page; in ``kiosk`` mode (the citizen holds the tablet) without the
        officers' header: no links to the other services, no name, no sign-out."""
        layout = Layout() if kiosk else self.layout(officer)
        page = self.templates.get_template(name).render(
            layout=layout, officer=officer, kiosk=kiosk, **context
        )
        return HTMLResponse(page, status_code=status, headers=NO_STORE)


def _pages(request: Request) -> StaffPages:
    pages: StaffPages = request.app.state.staff_pages
    return pages


def officer_with(roles: tuple[Role, ...]) -> Callable[[Request], Officer]:
    """A dependency: the signed-in officer holding one of ``roles`` (else sign in, or 403)."""

    def officer(request: Request) -> Officer:
        return page_officer(
            _pages(request).gate,
            page_url=str(request.url),
            cookies=request.cookies,
            authorization=request.headers.get("authorization"),
            roles=roles,
        )

    return officer


staff_officer = officer_with(STAFF_ROLES)
entry_officer = officer_with(ENTRY_ROLES)
head_officer = officer_with(CLOSE_ROLES)


def entry_officer_if_signed_in(request: Request) -> Officer | None:
    """The signed-in entry officer, or None when the token is missing or has run out (an
    entry form may still be posted on its grant, see ``grants.py``)."""
    try:
        return entry_officer(request)
    except SignInRequired:
        return None


@router.get("/staff", response_class=HTMLResponse)
def staff_home(
    officer: Annotated[Officer, Depends(staff_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
) -> HTMLResponse:
    roles = [ROLE_LABELS[role] for role in sorted(officer.roles)]
    return pages.render(
        "staff.html",
        officer=officer,
        title=TEXTS["ratings_staff_title"],
        roles=roles,
        unit_name=Names(pages.reference).unit(officer.unit_code),
        enters=officer.has(*ENTRY_ROLES),
    )
