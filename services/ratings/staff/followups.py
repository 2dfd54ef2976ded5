"""Follow-ups of unhappy answers on the staff side: the comments waiting for staff to say
whether each is a complaint first, then the subtree's list (open, due soon, overdue; the
latest closed) narrowed by standing, unit and reason, with units and procedures by name;
one follow-up with the citizen's comment (escaped), closing it with what was done (the
unit's head, confirmed on the list), and marking a comment as a complaint (staff)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from psycopg import Connection
from starlette.concurrency import run_in_threadpool

from motcua.http import client_address
from motcua.identity import Officer
from motcua.web import TEXTS
from motcua.web.strings import FOLLOWUP_REASONS
from services.ratings.answers.rules import clean_text
from services.ratings.audit import record_followup_closed
from services.ratings.dependencies import NO_STORE, RatingsContext, context
from services.ratings.followups.rules import (
    ACTION_MAX,
    EVERY_OPEN,
    STATES,
    FilterRefused,
    FollowupFilter,
    parse_filter,
)
from services.ratings.followups.service import (
    Followup,
    FollowupClosed,
    FollowupNotFound,
    close_followup,
    get_followup,
    list_followups,
    mark_complaint,
    open_tally,
    unhandled_comments,
)
from services.ratings.staff.pages import (
    CLOSE_ROLES,
    ENTRY_ROLES,
    StaffPages,
    _pages,
    entry_officer,
    head_officer,
    staff_officer,
)

router = APIRouter(include_in_schema=False)


COMPLAINT_SCOPE = "/staff/ratings/complaint"


@dataclass(frozen=True)
class _Narrowing:
    """The list's filter as asked, the subtree's units it offers, and why a value the
    page did not offer was refused ("" when none was)."""

    narrowed: FollowupFilter
    units: list[tuple[str, str]]
    refused: str = ""


def _narrowing(
    ctx: RatingsContext, officer: Officer, state: str, unit: str, reason: str
) -> _Narrowing:
    units = [(u.code, u.name) for u in ctx.reference.units_within(officer.unit_code)]
    try:
        narrowed = parse_filter(
            state,
            unit,
            reason,
            units=[code for code, _ in units],
            reasons=list(FOLLOWUP_REASONS),
        )
    except FilterRefused as refused:
        return _Narrowing(EVERY_OPEN, units, TEXTS[f"followups_refused_{refused.field}"])
    return _Narrowing(narrowed, units)


def _closed_notice(
    ctx: RatingsContext, officer: Officer, closed_id: str, conn: Connection
) -> Followup | None:
    """The follow-up just closed (the confirmation names it), if it is one of the subtree."""
    try:
        followup_id = UUID(closed_id)
    except ValueError:
        return None
    try:
        found = get_followup(
            followup_id, officer.unit_code, now=ctx.now(), calendar=ctx.calendar, db_session=conn
        )
    except FollowupNotFound:
        return None
    return found if found.closed_at is not None else None


@router.get("/staff/followups", response_class=HTMLResponse)
def followups_list(
    request: Request,
    officer: Annotated[Officer, Depends(staff_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
    state: str = "",
    unit: str = "",
    reason: str = "",
    closed_id: str = "",
) -> HTMLResponse:
    """Comments waiting for a decision first, then the follow-ups, narrowed as asked."""
    now, narrowing = ctx.now(), _narrowing(ctx, officer, state, unit, reason)
    narrowed = narrowing.narrowed
    with ctx.pool.connection() as conn:
        items = list_followups(
            officer.unit_code, now=now, calendar=ctx.calendar, narrowed=narrowed, db_session=conn
        )
        tally = open_tally(
            officer.unit_code, now=now, calendar=ctx.calendar, narrowed=narrowed, db_session=conn
        )
        comments = unhandled_comments(officer.unit_code, db_session=conn)
        just_closed = _closed_notice(ctx, officer, closed_id, conn) if closed_id else None
    nonce, new = ctx.csrf.nonce(request.cookies)
    response = pages.render(
        "followups.html",
        status=422 if narrowing.refused else 200,
        officer=officer,
        title=TEXTS["followups_title"],
        items=items,
        tally=tally,
        narrowed=narrowed,
        units=narrowing.units,
        refused=narrowing.refused,
        states=STATES,
        just_closed=just_closed,
        names=ctx.names,
        comments=comments if officer.has(*ENTRY_ROLES) else [],
        csrf_token=ctx.csrf.token(nonce, COMPLAINT_SCOPE),
    )
    if new:
        ctx.set_csrf_cookie(response, nonce)
    return response


def _detail(
    ctx: RatingsContext,
    pages: StaffPages,
    request: Request,
    officer: Officer,
    followup_id: UUID,
    *,
    error: str = "",
    status: int = 200,
    action_text: str = "",
) -> HTMLResponse:
    with ctx.pool.connection() as conn:
        try:
            item = get_followup(
                followup_id,
                officer.unit_code,
                now=ctx.now(),
                calendar=ctx.calendar,
                db_session=conn,
            )
        except FollowupNotFound:
            return pages.render(
                "message.html",
                status=404,
                officer=officer,
                title=TEXTS["not_found"],
                message=TEXTS["not_found"],
            )
    nonce, new = ctx.csrf.nonce(request.cookies)
    response = pages.render(
        "followup.html",
        status=status,
        officer=officer,
        title=TEXTS["followups_title"],
        item=item,
        names=ctx.names,
        can_close=officer.has(*CLOSE_ROLES),
        can_mark=officer.has(*ENTRY_ROLES),
        error=error,
        action_text=action_text,
        csrf_token=ctx.csrf.token(nonce, f"/staff/followups/{followup_id}"),
    )
    if new:
        ctx.set_csrf_cookie(response, nonce)
    return response


@router.get("/staff/followups/{followup_id}", response_class=HTMLResponse)
def followup_page(
    followup_id: UUID,
    request: Request,
    officer: Annotated[Officer, Depends(staff_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
) -> HTMLResponse:
    return _detail(ctx, pages, request, officer, followup_id)


def _csrf_refused(pages: StaffPages, officer: Officer) -> HTMLResponse:
    return pages.render(
        "message.html",
        status=403,
        officer=officer,
        title=TEXTS["rate_csrf_title"],
        message=TEXTS["rate_csrf_text"],
    )


def _close(
    ctx: RatingsContext,
    pages: StaffPages,
    request: Request,
    officer: Officer,
    followup_id: UUID,
    text: str,
) -> Response:
    action, problem = clean_text(text, "action_taken", ACTION_MAX)
    if problem or not action:
        key = "followup_action_too_long" if problem else "followup_action_required"
        return _detail(
            ctx,
            pages,
            request,
            officer,
            followup_id,
            error=TEXTS[key],
            status=422,
            action_text=text[:ACTION_MAX],
        )
    try:
        with ctx.pool.connection() as conn:
            closed = close_followup(
                followup_id,
                officer.unit_code,
                officer.username,
                action,
                closed_by_name=officer.display_name,
                now=ctx.now(),
                calendar=ctx.calendar,
                db_session=conn,
            )
            record_followup_closed(officer, closed, client_address(request), db_session=conn)
    except FollowupNotFound:
        return _detail(ctx, pages, request, officer, followup_id)
    except FollowupClosed:
        return _detail(
            ctx,
            pages,
            request,
            officer,
            followup_id,
            error=TEXTS["followup_already_closed"],
            status=409,
        )
    # Back to the list, which confirms what was closed (and can be reloaded harmlessly).
    return RedirectResponse(
        f"/staff/followups?closed_id={followup_id}", status_code=303, headers=NO_STORE
    )


@router.post("/staff/followups/{followup_id}/close", response_class=HTMLResponse)
async def followup_close(
    followup_id: UUID,
    request: Request,
    officer: Annotated[Officer, Depends(head_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
) -> Response:
    fields = await ctx.posted_form(request, f"/staff/followups/{followup_id}")
    if fields is None:
        return _csrf_refused(pages, officer)
    text = fields.get("action_taken", "")
    return await run_in_threadpool(_close, ctx, pages, request, officer, followup_id, text)


def _mark(ctx: RatingsContext, officer: Officer, rating_id: UUID) -> UUID | None:
    try:
        with ctx.pool.connection() as conn:
            return mark_complaint(
                rating_id,
                officer.unit_code,
                now=ctx.now(),
                calendar=ctx.calendar,
                db_session=conn,
            )
    except (FollowupNotFound, FollowupClosed):
        return None


@router.post("/staff/ratings/{rating_id}/complaint", response_class=HTMLResponse)
async def rating_complaint(
    rating_id: UUID,
    request: Request,
    officer: Annotated[Officer, Depends(entry_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
) -> Response:
    fields = await ctx.posted_form(request, COMPLAINT_SCOPE)
    if fields is None:
        return _csrf_refused(pages, officer)
    followup_id = await run_in_threadpool(_mark, ctx, officer, rating_id)
    if followup_id is None:
        return pages.render(
            "message.html",
            status=404,
            officer=officer,
            title=TEXTS["not_found"],
            message=TEXTS["not_found"],
        )
    return RedirectResponse(f"/staff/followups/{followup_id}", status_code=303, headers=NO_STORE)
