"""Follow-ups of unhappy answers on the staff side: the subtree's list (open, due soon,
overdue; the latest closed), one follow-up with the citizen's comment (escaped), closing it
with what was done (the unit's head), and marking a comment as a complaint (staff)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from motcua.identity import Officer
from motcua.web import TEXTS
from services.ratings.answers.rules import clean_text
from services.ratings.dependencies import NO_STORE, RatingsContext, context
from services.ratings.followups.rules import ACTION_MAX, Standing
from services.ratings.followups.service import (
    FollowupClosed,
    FollowupNotFound,
    close_followup,
    get_followup,
    list_followups,
    mark_complaint,
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


@router.get("/staff/followups", response_class=HTMLResponse)
def followups_list(
    request: Request,
    officer: Annotated[Officer, Depends(staff_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
    closed: bool = False,
) -> HTMLResponse:
    now = ctx.now()
    with ctx.pool.connection() as conn:
        items = list_followups(
            officer.unit_code, now=now, calendar=ctx.calendar, closed=closed, db_session=conn
        )
        comments = unhandled_comments(officer.unit_code, db_session=conn)
    tally = {standing.value: 0 for standing in Standing}
    for item in items:
        tally[item.standing.value] += 1
    nonce, new = ctx.csrf.nonce(request.cookies)
    response = pages.render(
        "followups.html",
        officer=officer,
        title=TEXTS["followups_title"],
        items=items,
        tally=tally,
        closed=closed,
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
            close_followup(
                followup_id,
                officer.unit_code,
                officer.username,
                action,
                now=ctx.now(),
                calendar=ctx.calendar,
                db_session=conn,
            )
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
    return RedirectResponse(f"/staff/followups/{followup_id}", status_code=303, headers=NO_STORE)


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
