"""Staff pages of the invitations, behind the same sign-in and subtree rule as ``/staff``:
the messages the recording channel kept (so a demo user can follow a link and rate) with
what their receipts said (sent, delivered, failed and why) and what became of the link
(not opened, opened, used to rate), the
invitations given up with their last error, and the QR code of an invitation's link for
the hand-over slip and the counter. An invitation outside the officer's subtree is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from motcua.identity import Officer
from motcua.web.strings import INVITATION_PAGE_TEXTS
from services.ratings.invitations.qr import qr_png, qr_svg
from services.ratings.invitations.sealing import SealBroken, TokenSeal
from services.ratings.invitations.tokens import short_link
from services.ratings.staff.pages import StaffPages, _pages, staff_officer

PAGE_SIZE = 50

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class InvitationPages:
    pool: ConnectionPool
    seal: TokenSeal
    public_url: str


def _invitations(request: Request) -> InvitationPages:
    pages: InvitationPages = request.app.state.invitation_pages
    return pages


_MESSAGES = """
SELECT m.id, m.recorded_at, m.channel, m.kind, m.destination_masked, m.subject, m.link,
       m.body, i.dossier_code, COALESCE(q.state, 'sent') AS state, q.reason,
       CASE WHEN i.used_at IS NOT NULL THEN 'used'
            WHEN i.opened_at IS NOT NULL THEN 'opened' ELSE 'unopened' END AS link_state
FROM recorded_messages m JOIN rating_invitations i ON i.id = m.invitation_id
LEFT JOIN invitation_messages q ON q.id = m.message_id
WHERE %(unit)s = ANY(i.unit_path) AND (%(before)s::bigint IS NULL OR m.id < %(before)s)
ORDER BY m.id DESC
LIMIT %(limit)s
"""

_GIVEN_UP = """
SELECT i.dossier_code, i.channel, d.status, d.reminder_status, d.attempts, d.last_error,
       d.updated_at,
       CASE WHEN d.notice_status = 'given_up' THEN 'followup'
            WHEN d.status = 'given_up' THEN 'invite' ELSE 'reminder' END AS kind
FROM invitation_deliveries d JOIN rating_invitations i ON i.id = d.invitation_id
WHERE (d.status = 'given_up' OR d.reminder_status = 'given_up'
       OR d.notice_status = 'given_up')
  AND %(unit)s = ANY(i.unit_path)
ORDER BY d.updated_at DESC
LIMIT %(limit)s
"""


@router.get("/staff/messages", response_class=HTMLResponse)
def staff_messages(
    officer: Annotated[Officer, Depends(staff_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    invitations: Annotated[InvitationPages, Depends(_invitations)],
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    params = {"unit": officer.unit_code, "before": before, "limit": PAGE_SIZE + 1}
    with invitations.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        messages: list[dict[str, Any]] = cursor.execute(_MESSAGES, params).fetchall()
        given_up: list[dict[str, Any]] = cursor.execute(
            _GIVEN_UP, {"unit": officer.unit_code, "limit": PAGE_SIZE}
        ).fetchall()
    next_url = None
    if len(messages) > PAGE_SIZE:
        messages = messages[:PAGE_SIZE]
        next_url = f"/staff/messages?before={messages[-1]['id']}"
    return pages.render(
        "messages.html",
        officer=officer,
        title=INVITATION_PAGE_TEXTS["messages_title"],
        m=INVITATION_PAGE_TEXTS,
        messages=messages,
        given_up=given_up,
        next_url=next_url,
    )


def _link(invitations: InvitationPages, officer: Officer, dossier_code: str) -> str:
    with invitations.pool.connection() as conn:
        row = conn.execute(
            "SELECT i.id, i.unit_path, i.expires_at, i.used_at, d.token_sealed "
            "FROM rating_invitations i JOIN invitation_deliveries d ON d.invitation_id = i.id "
            "WHERE i.dossier_code = %s",
            (dossier_code,),
        ).fetchone()
    if row is None or not officer.sees(row[1]):
        raise HTTPException(404, "No such invitation")
    invitation_id, _, expires_at, used_at, sealed = row
    if sealed is None or used_at is not None or expires_at <= datetime.now(expires_at.tzinfo):
        raise HTTPException(404, "The invitation was used or has expired")
    try:
        token = invitations.seal.open(sealed, str(invitation_id))
    except SealBroken:
        raise HTTPException(404, "The invitation's link cannot be shown") from None
    return short_link(invitations.public_url, token)


@router.get("/staff/invitations/{dossier_code}/qr.svg")
def invitation_qr_svg(
    dossier_code: str,
    officer: Annotated[Officer, Depends(staff_officer)],
    invitations: Annotated[InvitationPages, Depends(_invitations)],
) -> Response:
    link = _link(invitations, officer, dossier_code)
    return Response(qr_svg(link), media_type="image/svg+xml", headers=_PRIVATE)


@router.get("/staff/invitations/{dossier_code}/qr.png")
def invitation_qr_png(
    dossier_code: str,
    officer: Annotated[Officer, Depends(staff_officer)],
    invitations: Annotated[InvitationPages, Depends(_invitations)],
) -> Response:
    link = _link(invitations, officer, dossier_code)
    return Response(qr_png(link), media_type="image/png", headers=_PRIVATE)


_PRIVATE = {"Cache-Control": "no-store"}
"""The code is the token: no shared cache keeps it."""


def install_invitation_pages(
    app: FastAPI, pool: ConnectionPool, seal: TokenSeal, public_url: str
) -> None:
    app.state.invitation_pages = InvitationPages(pool, seal, public_url)
    app.include_router(router)


__all__ = ["install_invitation_pages"]
