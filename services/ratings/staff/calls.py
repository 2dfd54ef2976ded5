"""Phone entry's two steps besides the answers: unmasking the citizen's number (each time
recorded: who, when) and recording a call that ended without a rating (unreachable,
declined), counted apart: ``PHONE_CALLS`` and the ``phone_calls`` table, never a rating.

Both need a signed-in entry officer and the phone entry page's CSRF token (one per page,
bound to the dossier's entry form).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from motcua.identity import Officer
from services.ratings.answers.service import UnknownInvitation, invitation_for_staff
from services.ratings.counter.rules import NOT_RATED
from services.ratings.counter.store import record_call, record_reveal
from services.ratings.dependencies import NO_STORE, RatingsContext, context
from services.ratings.metrics import PHONE_CALLS
from services.ratings.staff.entry import CODE_MAX, csrf_refused, entry_page, not_found_page
from services.ratings.staff.pages import StaffPages, _pages, entry_officer

router = APIRouter(include_in_schema=False)


def _reveal(
    ctx: RatingsContext, pages: StaffPages, request: Request, officer: Officer, code: str
) -> HTMLResponse:
    with ctx.pool.connection() as conn:
        try:
            invitation = invitation_for_staff(code, officer.unit_code, db_session=conn)
        except UnknownInvitation:
            return not_found_page(ctx, pages, officer, "phone", code)
        record_reveal(invitation.id, officer.username, now=ctx.now(), db_session=conn)
    return entry_page(ctx, pages, request, officer, "phone", invitation, revealed=True)


@router.post("/staff/phone/{code}/reveal", response_class=HTMLResponse)
async def reveal_number(
    code: str,
    request: Request,
    officer: Annotated[Officer, Depends(entry_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
) -> Response:
    """The phone entry page with the number shown, once the unmasking is recorded."""
    code = code[:CODE_MAX]
    fields = await ctx.posted_form(request, f"/staff/phone/{code}")
    if fields is None:
        return csrf_refused(pages, officer, "phone")
    return await run_in_threadpool(_reveal, ctx, pages, request, officer, code)


def _call(
    ctx: RatingsContext,
    pages: StaffPages,
    request: Request,
    officer: Officer,
    code: str,
    outcome: str,
) -> Response:
    with ctx.pool.connection() as conn:
        try:
            invitation = invitation_for_staff(code, officer.unit_code, db_session=conn)
        except UnknownInvitation:
            return not_found_page(ctx, pages, officer, "phone", code)
        chosen = next((o for o in NOT_RATED if o.value == outcome), None)
        if chosen is None:
            return entry_page(
                ctx,
                pages,
                request,
                officer,
                "phone",
                invitation,
                errors={"outcome": "outcome_required"},
            )
        record_call(invitation.id, chosen, officer.username, now=ctx.now(), db_session=conn)
    PHONE_CALLS.labels(chosen.value).inc()
    done = f"/staff/phone?saved={invitation.dossier_code}&outcome={chosen.value}"
    return RedirectResponse(done, status_code=303, headers=NO_STORE)


@router.post("/staff/phone/{code}/call", response_class=HTMLResponse)
async def record_outcome(
    code: str,
    request: Request,
    officer: Annotated[Officer, Depends(entry_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
) -> Response:
    """A call that ended without a rating: recorded, counted, the search again."""
    code = code[:CODE_MAX]
    fields = await ctx.posted_form(request, f"/staff/phone/{code}")
    if fields is None:
        return csrf_refused(pages, officer, "phone")
    outcome = fields.get("outcome", "")
    return await run_in_threadpool(_call, ctx, pages, request, officer, code, outcome)
