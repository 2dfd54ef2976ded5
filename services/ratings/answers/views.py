"""The citizens' own door: the web form behind the invitation's link (``/r/<token>``). The
national portal's and VNeID's door, with their own keys, is ``portal.py``.

The token is the only credential. Every page and answer is rate limited per client address
and per token; every form carries a CSRF token. An unknown, tampered or malformed token is a 404
after the same single lookup a known one costs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from motcua.http import client_address
from motcua.web import TEXTS
from motcua.web.strings import local_time
from services.ratings.answers.forms import field_names, problems_by_field
from services.ratings.answers.rules import AnswerRefused, parse_answer
from services.ratings.answers.service import (
    AlreadyRated,
    AnswerError,
    Expired,
    UnknownInvitation,
    check_open,
    followup_opened_for,
    invitation_by_token,
    submit_with_token,
)
from services.ratings.counter.rules import rating_reference
from services.ratings.counter.store import mark_opened, valid_rating_of
from services.ratings.criteria import Level, criteria_for
from services.ratings.dependencies import NO_STORE, RatingsContext, context
from services.ratings.followups.service import handling_for_invitation, rate_handling
from services.ratings.metrics import INVALID_FORMS, REFUSED, SUBMITTED
from services.ratings.models import Answer, Channel, Entry, Invitation
from services.ratings.protection import CSRF_FIELD

router = APIRouter(include_in_schema=False)


def with_csrf(
    ctx: RatingsContext, request: Request, scope: str, render: Callable[[str], HTMLResponse]
) -> HTMLResponse:
    """Render a form page with its CSRF token, setting the nonce cookie when it is new."""
    nonce, new = ctx.csrf.nonce(request.cookies)
    response = render(ctx.csrf.token(nonce, scope))
    if new:
        ctx.set_csrf_cookie(response, nonce)
    return response


def limited_page(ctx: RatingsContext, request: Request, token: str | None) -> HTMLResponse | None:
    wait = ctx.limits.hit(address=client_address(request), token=token)
    if wait is None:
        return None
    REFUSED.labels("rate_limited").inc()
    page = ctx.public_page(
        "rate_message.html",
        status=429,
        title=TEXTS["rate_limited_title"],
        heading=TEXTS["rate_limited_title"],
        lines=[TEXTS["rate_limited_text"].format(seconds=wait)],
        link=None,
    )
    page.headers["Retry-After"] = str(wait)
    return page


def refusal_page(
    ctx: RatingsContext, exc: AnswerError, *, link: dict[str, str] | None = None
) -> HTMLResponse:
    """404 unknown, 409 already rated (and when), 410 expired (and when)."""
    if isinstance(exc, AlreadyRated):
        status, key, at = 409, "rate_already", local_time(exc.at)
        REFUSED.labels("already_rated").inc()
    elif isinstance(exc, Expired):
        status, key, at = 410, "rate_expired", local_time(exc.at)
        REFUSED.labels("expired").inc()
    else:
        status, key, at = 404, "rate_unknown", ""
        REFUSED.labels("unknown").inc()
    return ctx.public_page(
        "rate_message.html",
        status=status,
        title=TEXTS[f"{key}_title"],
        heading=TEXTS[f"{key}_title"],
        lines=[TEXTS[f"{key}_text"].format(at=at)],
        link=link,
    )


def csrf_page(ctx: RatingsContext, again: str) -> HTMLResponse:
    REFUSED.labels("csrf").inc()
    return ctx.public_page(
        "rate_message.html",
        status=403,
        title=TEXTS["rate_csrf_title"],
        heading=TEXTS["rate_csrf_title"],
        lines=[TEXTS["rate_csrf_text"]],
        link={"href": again, "label": TEXTS["rate_reload"]},
    )


def form_page(
    ctx: RatingsContext,
    request: Request,
    invitation: Invitation,
    *,
    action: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    entry_grant: str = "",
    kiosk: bool = False,
) -> HTMLResponse:
    """The citizen's form (web and kiosk alike; the kiosk's carries its officer's grant and
    a way back to the search); 422 when it comes back with errors. The agency and the
    procedure by their names; the criteria numbered as asked."""
    criteria = criteria_for(invitation.online)

    def render(csrf_token: str) -> HTMLResponse:
        return ctx.public_page(
            "rate_form.html",
            status=422 if errors else 200,
            title=TEXTS["rate_title"],
            invitation=invitation,
            unit_name=ctx.names.unit(invitation.unit_code),
            procedure_name=ctx.names.procedure(invitation.procedure_code),
            criteria=criteria,
            values=values or {},
            errors=errors or {},
            field_names=field_names(criteria),
            action=action,
            csrf_token=csrf_token,
            entry_grant=entry_grant,
            kiosk=kiosk,
        )

    return with_csrf(ctx, request, action, render)


def answer_from_form(fields: dict[str, str], invitation: Invitation) -> Answer:
    levels = {c.value: fields.get(c.value) for c in criteria_for(True)}
    return parse_answer(
        levels, fields.get("overall"), fields.get("comment"), online=invitation.online
    )


def counted(entry: Entry, answer: Answer | None) -> None:
    if entry.invalid_reason is not None:
        INVALID_FORMS.labels(entry.invalid_reason.value).inc()
    elif answer is not None:
        SUBMITTED.labels(entry.channel.value, answer.overall.key).inc()


@router.get("/r/{token}", response_class=HTMLResponse)
def rating_form(
    token: str, request: Request, ctx: Annotated[RatingsContext, Depends(context)]
) -> HTMLResponse:
    if (limited := limited_page(ctx, request, token)) is not None:
        return limited
    with ctx.pool.connection() as conn:
        try:
            invitation = invitation_by_token(token, db_session=conn)
            check_open(invitation, ctx.now())
            mark_opened(invitation.id, now=ctx.now(), db_session=conn)
        except AlreadyRated as exc:
            ask = handling_for_invitation(exc.invitation.id, db_session=conn)
            if ask is not None and ask.handling_level is None:
                return handling_page(ctx, request, token, ask.closed_at)
            return refusal_page(ctx, exc)
        except AnswerError as exc:
            return refusal_page(ctx, exc)
    return form_page(ctx, request, invitation, action=f"/r/{token}")


def _submit(
    ctx: RatingsContext, request: Request, token: str, fields: dict[str, str]
) -> HTMLResponse | RedirectResponse:
    entry = Entry(Channel.WEB)
    found: list[Invitation] = []

    def answer_for(invitation: Invitation) -> Answer:
        found.append(invitation)
        return answer_from_form(fields, invitation)

    try:
        with ctx.pool.connection() as conn:
            recorded = submit_with_token(
                token, answer_for, entry, now=ctx.now(), calendar=ctx.calendar, db_session=conn
            )
    except AnswerRefused as exc:
        REFUSED.labels("invalid").inc()
        values = {k: v for k, v in fields.items() if k != CSRF_FIELD}
        errors = problems_by_field(exc.problems)
        return form_page(ctx, request, found[0], action=f"/r/{token}", values=values, errors=errors)
    except AnswerError as exc:
        return refusal_page(ctx, exc)
    counted(entry, recorded.answer)
    return RedirectResponse(f"/r/{token}/done", status_code=303, headers=NO_STORE)


@router.post("/r/{token}", response_class=HTMLResponse)
async def submit_form(
    token: str, request: Request, ctx: Annotated[RatingsContext, Depends(context)]
) -> Response:
    if (limited := limited_page(ctx, request, token)) is not None:
        return limited
    fields = await ctx.posted_form(request, f"/r/{token}")
    if fields is None:
        return csrf_page(ctx, f"/r/{token}")
    return await run_in_threadpool(_submit, ctx, request, token, fields)


@router.get("/r/{token}/done", response_class=HTMLResponse)
def thanks(
    token: str, request: Request, ctx: Annotated[RatingsContext, Depends(context)]
) -> Response:
    if (limited := limited_page(ctx, request, token)) is not None:
        return limited
    with ctx.pool.connection() as conn:
        try:
            invitation = invitation_by_token(token, db_session=conn)
        except UnknownInvitation as exc:
            return refusal_page(ctx, exc)
        if invitation.used_at is None:
            return RedirectResponse(f"/r/{token}", status_code=303, headers=NO_STORE)
        followup = followup_opened_for(invitation.id, db_session=conn)
        rating_id = valid_rating_of(invitation.id, db_session=conn)
    lines = [TEXTS["rate_thanks_text"].format(at=local_time(invitation.used_at))]
    if followup:
        lines.append(TEXTS["rate_followup_text"])
    unit = ctx.reference.unit(invitation.unit_code)
    return ctx.public_page(
        "rate_message.html",
        title=TEXTS["rate_thanks_title"],
        heading=TEXTS["rate_thanks_title"],
        lines=lines,
        link=None,
        reference=rating_reference(rating_id) if rating_id else "",
        public_phone=unit.public_phone if unit else None,
    )


def handling_page(
    ctx: RatingsContext, request: Request, token: str, closed_at: datetime, *, error: str = ""
) -> HTMLResponse:
    action = f"/r/{token}/handling"

    def render(csrf_token: str) -> HTMLResponse:
        return ctx.public_page(
            "handling_form.html",
            status=422 if error else 200,
            title=TEXTS["handling_title"],
            intro=TEXTS["handling_intro"].format(at=local_time(closed_at)),
            action=action,
            csrf_token=csrf_token,
            error=error,
        )

    return with_csrf(ctx, request, action, render)


def _rate_handling(
    ctx: RatingsContext, request: Request, token: str, fields: dict[str, str]
) -> HTMLResponse:
    now = ctx.now()
    with ctx.pool.connection() as conn:
        try:
            invitation = invitation_by_token(token, db_session=conn, lock=True)
        except UnknownInvitation as exc:
            return refusal_page(ctx, exc)
        ask = handling_for_invitation(invitation.id, db_session=conn, lock=True)
        if ask is None or ask.handling_level is not None:
            return refusal_page(ctx, AlreadyRated(invitation, invitation.used_at or now))
        value = fields.get("handling", "")
        if value not in ("0", "1", "2"):
            return handling_page(ctx, request, token, ask.closed_at, error="level_required")
        rate_handling(ask.followup_id, Level(int(value)), now=now, db_session=conn)
    return ctx.public_page(
        "rate_message.html",
        title=TEXTS["handling_title"],
        heading=TEXTS["handling_title"],
        lines=[TEXTS["handling_done"]],
        link=None,
    )


@router.post("/r/{token}/handling", response_class=HTMLResponse)
async def submit_handling(
    token: str, request: Request, ctx: Annotated[RatingsContext, Depends(context)]
) -> Response:
    if (limited := limited_page(ctx, request, token)) is not None:
        return limited
    fields = await ctx.posted_form(request, f"/r/{token}/handling")
    if fields is None:
        return csrf_page(ctx, f"/r/{token}")
    return await run_in_threadpool(_rate_handling, ctx, request, token, fields)
