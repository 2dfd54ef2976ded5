"""Answers staff enter, behind the one sign-in: the counter's kiosk (the citizen answers on
the staff tablet), paper forms (with their serial) and phone answers (entered on the
citizen's behalf, flagged). A dossier is found by its code among the invitations of the
officer's subtree; any other is 404, or 409 when intake says it is there but not yet
returned. The kiosk's pages carry no officers' header: the citizen holds the tablet, and
its thank-you returns to the search by itself. No token is needed: the sign-in vouches, and the
form's grant when the sign-in ran out while the form was being filled in (``grants.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from uuid import UUID

from anyio import from_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from motcua.delivery import IntakeUnavailable
from motcua.http import client_address
from motcua.identity import Officer, SignInRequired
from motcua.web import TEXTS
from motcua.web.strings import CALL_OUTCOMES, local_time
from services.ratings.answers.forms import field_names, problems_by_field
from services.ratings.answers.rules import AnswerRefused, FieldProblem, parse_serial
from services.ratings.answers.service import (
    AlreadyRated,
    SerialUsed,
    UnknownInvitation,
    check_open,
    invitation_for_staff,
    submit_for_dossier,
)
from services.ratings.answers.views import answer_from_form, counted, form_page
from services.ratings.audit import record_entry
from services.ratings.counter.phone import phone_view
from services.ratings.counter.rules import CallOutcome, rating_reference
from services.ratings.counter.store import rated_unit, record_call
from services.ratings.criteria import criteria_for
from services.ratings.dependencies import NO_STORE, RatingsContext, context
from services.ratings.grants import GRANT_FIELD
from services.ratings.metrics import PHONE_CALLS, REFUSED
from services.ratings.models import Answer, Channel, Entry, InvalidReason, Invitation, Recorded
from services.ratings.protection import CSRF_FIELD
from services.ratings.staff.pages import (
    StaffPages,
    _pages,
    entry_officer,
    entry_officer_if_signed_in,
)

router = APIRouter(include_in_schema=False)
Mode = Literal["kiosk", "paper", "phone"]
TITLES = {"kiosk": "kiosk_title", "paper": "paper_title", "phone": "phone_title"}
INTROS = {"kiosk": "kiosk_staff_step", "paper": "", "phone": "phone_intro"}
"""What the search and the entry form tell the officer; the kiosk's is for its search step
alone, the form the citizen holds speaks to them (``kiosk_citizen_intro``)."""
CODE_MAX = 40
"""Characters of a typed dossier code kept (a national code has 25: ``unit-YYMMDD-NNNN``)."""
KIOSK_RETURN_S = 10
"""Seconds the kiosk's thank-you stays before the search comes back for the next citizen."""
KIOSK_SEARCH = "/staff/kiosk"


def find_page(
    pages: StaffPages,
    officer: Officer,
    mode: Mode,
    *,
    dossier: str = "",
    error: str = "",
    saved: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The search by dossier code; in the kiosk, without the officers' header."""
    return pages.render(
        "staff_find.html",
        status=status,
        officer=officer,
        kiosk=mode == "kiosk",
        title=TEXTS[TITLES[mode]],
        intro=TEXTS[INTROS[mode]] if INTROS[mode] else "",
        action=f"/staff/{mode}",
        dossier=dossier,
        error=error,
        saved=saved,
    )


def already_page(
    pages: StaffPages, officer: Officer, mode: Mode, exc: AlreadyRated
) -> HTMLResponse:
    """409, when it was rated, and the way back to the search."""
    REFUSED.labels("already_rated").inc()
    return pages.render(
        "message.html",
        status=409,
        officer=officer,
        kiosk=mode == "kiosk",
        title=TEXTS["rate_already_title"],
        message=TEXTS["rate_already_text"].format(at=local_time(exc.at)),
        back={"href": f"/staff/{mode}", "label": TEXTS["kiosk_back"]},
    )


def not_found_page(
    ctx: RatingsContext, pages: StaffPages, officer: Officer, mode: Mode, code: str
) -> HTMLResponse:
    """No invitation of that code in the officer's subtree: 409 when intake has the dossier
    there still being handled (not yet returned), else 404 (unknown, or not ours)."""
    key, status = "dossier_not_found", 404
    try:
        found = from_thread.run(ctx.intake.dossier, code)
    except IntakeUnavailable:
        found = None
    if found is not None and officer.sees(found.unit_path) and not found.finished:
        key, status = "dossier_not_returned", 409
    REFUSED.labels("not_returned" if status == 409 else "unknown").inc()
    return find_page(pages, officer, mode, dossier=code, error=TEXTS[key], status=status)


def summary_texts(errors: dict[str, str]) -> tuple[str, str]:
    """The error summary's heading and sentence: a serial used twice is not an incomplete
    form, and says so."""
    if errors.get("paper_serial") == "serial_used":
        return TEXTS["serial_used_title"], TEXTS["serial_used_intro"]
    return TEXTS["error_summary"], TEXTS["rate_errors_intro"]


def _form_context(
    ctx: RatingsContext, invitation: Invitation, values: dict[str, str] | None
) -> dict[str, Any]:
    """The dossier by its names, the criteria asked of it, what was typed."""
    criteria = criteria_for(invitation.online)
    return {
        "invitation": invitation,
        "unit_name": ctx.names.unit(invitation.unit_code),
        "procedure_name": ctx.names.procedure(invitation.procedure_code),
        "criteria": criteria,
        "field_names": field_names(criteria),
        "values": values or {},
    }


def entry_page(
    ctx: RatingsContext,
    pages: StaffPages,
    request: Request,
    officer: Officer,
    mode: Mode,
    invitation: Invitation,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    revealed: bool = False,
) -> HTMLResponse:
    """The kiosk's citizen form, or the paper / phone entry form (the phone's with the
    number to call and the call's outcome)."""
    action = f"/staff/{mode}/{invitation.dossier_code}"
    grant = ctx.entry_grants.issue(officer, action, now=ctx.now())
    if mode == "kiosk":
        return form_page(
            ctx,
            request,
            invitation,
            action=action,
            values=values,
            errors=errors,
            entry_grant=grant,
            kiosk=True,
        )
    nonce, new = ctx.csrf.nonce(request.cookies)
    errors = errors or {}
    phone = None
    if mode == "phone":
        phone = phone_view(ctx.intake, invitation.dossier_code, revealed=revealed)
    response = pages.render(
        "staff_entry.html",
        status=status if not errors else (status if status != 200 else 422),
        officer=officer,
        title=TEXTS[TITLES[mode]],
        intro=TEXTS[INTROS[mode]] if INTROS[mode] else "",
        mode=mode,
        errors=errors,
        summary=summary_texts(errors),
        action=action,
        csrf_token=ctx.csrf.token(nonce, action),
        phone=phone,
        entry_grant=grant,
        **_form_context(ctx, invitation, values),
    )
    if new:
        ctx.set_csrf_cookie(response, nonce)
    return response


def _open(
    ctx: RatingsContext,
    pages: StaffPages,
    request: Request,
    officer: Officer,
    mode: Mode,
    dossier: str | None,
) -> HTMLResponse:
    if not dossier:
        return find_page(pages, officer, mode, saved=saved_note(request))
    code = dossier.strip()[:CODE_MAX]
    with ctx.pool.connection() as conn:
        try:
            invitation = invitation_for_staff(code, officer.unit_code, db_session=conn)
            if mode != "paper":
                check_open(invitation, ctx.now(), expiry=False)
        except UnknownInvitation:
            invitation = None
        except AlreadyRated as exc:
            return already_page(pages, officer, mode, exc)
    if invitation is None:
        return not_found_page(ctx, pages, officer, mode, code.upper())
    return entry_page(ctx, pages, request, officer, mode, invitation)


def saved_note(request: Request) -> str:
    """What the search says after a save: the form saved (valid or not), a call recorded."""
    params = request.query_params
    code = params.get("saved", "")[:CODE_MAX]
    outcome = params.get("outcome", "")
    if not code:
        return ""
    if outcome in CALL_OUTCOMES:
        return TEXTS["phone_call_saved"].format(code=code, outcome=CALL_OUTCOMES[outcome])
    key = "entry_saved_invalid" if params.get("invalid") else "entry_saved"
    return TEXTS[key].format(code=code)


def _open_route(mode: Mode) -> Callable[..., HTMLResponse]:
    def open_entry(
        request: Request,
        officer: Annotated[Officer, Depends(entry_officer)],
        pages: Annotated[StaffPages, Depends(_pages)],
        ctx: Annotated[RatingsContext, Depends(context)],
        dossier: str | None = None,
    ) -> HTMLResponse:
        return _open(ctx, pages, request, officer, mode, dossier)

    return open_entry


def _entry(
    mode: Mode, fields: dict[str, str], officer: Officer
) -> tuple[Entry, list[FieldProblem]]:
    """Who entered what, by which channel; for paper, the serial and the validity (with the
    problems they have, reported beside the answer's)."""
    complaint = fields.get("complaint") == "1"
    if mode == "kiosk":
        kiosk = Entry(
            Channel.KIOSK,
            officer.username,
            staff_present=True,
            entered_by_name=officer.display_name,
        )
        return kiosk, []
    if mode == "phone":
        phone = Entry(
            Channel.PHONE,
            officer.username,
            staff_present=True,
            comment_is_complaint=complaint,
            entered_by_name=officer.display_name,
        )
        return phone, []
    problems: list[FieldProblem] = []
    serial = "-"
    try:
        serial = parse_serial(fields.get("paper_serial"))
    except AnswerRefused as exc:
        problems += exc.problems
    validity = fields.get("validity", "valid")
    reason = None
    if validity != "valid":
        try:
            reason = InvalidReason(validity)
        except ValueError:
            problems.append(FieldProblem("invalid_reason", "reason_required"))
    paper = Entry(
        Channel.PAPER,
        officer.username,
        staff_present=fields.get("staff_present") == "1",
        paper_serial=serial,
        invalid_reason=reason,
        comment_is_complaint=complaint and reason is None,
        entered_by_name=officer.display_name,
    )
    return paper, problems


def _answer(fields: dict[str, str], entry: Entry, invitation: Invitation) -> Answer | None:
    """The levels of a form that counts; an invalid paper form keeps none."""
    return answer_from_form(fields, invitation) if entry.valid else None


def _typed_values(fields: dict[str, str]) -> dict[str, str]:
    """What was typed or ticked, to fill the form again (its tokens are issued anew)."""
    return {k: v for k, v in fields.items() if k not in (CSRF_FIELD, GRANT_FIELD)}


def _lookup(ctx: RatingsContext, code: str, officer: Officer) -> Invitation | None:
    with ctx.pool.connection() as conn:
        try:
            return invitation_for_staff(code, officer.unit_code, db_session=conn)
        except UnknownInvitation:
            return None


def _refused(
    ctx: RatingsContext,
    pages: StaffPages,
    request: Request,
    officer: Officer,
    mode: Mode,
    code: str,
    fields: dict[str, str],
    problems: list[FieldProblem],
    entry: Entry,
) -> HTMLResponse:
    """The form again with every problem (422), or 404 when the dossier is not ours."""
    REFUSED.labels("invalid").inc()
    invitation = _lookup(ctx, code, officer)
    if invitation is None:
        return not_found_page(ctx, pages, officer, mode, code)
    try:
        _answer(fields, entry, invitation)
    except AnswerRefused as exc:
        problems = problems + exc.problems
    values = _typed_values(fields)
    return entry_page(
        ctx,
        pages,
        request,
        officer,
        mode,
        invitation,
        values=values,
        errors=problems_by_field(problems),
        status=422,
    )


def _save(
    ctx: RatingsContext,
    officer: Officer,
    mode: Mode,
    code: str,
    fields: dict[str, str],
    entry: Entry,
    address: str,
) -> Recorded:
    """Store the answer and its audit entry; a phone answer is also the call's outcome
    (answered)."""
    with ctx.pool.connection() as conn:
        recorded = submit_for_dossier(
            code,
            officer.unit_code,
            lambda invitation: _answer(fields, entry, invitation),
            entry,
            now=ctx.now(),
            calendar=ctx.calendar,
            db_session=conn,
        )
        if mode == "phone":
            record_call(
                recorded.invitation.id,
                CallOutcome.ANSWERED,
                officer.username,
                now=recorded.submitted_at,
                db_session=conn,
            )
        record_entry(officer, recorded, address, db_session=conn)
    return recorded


def _saved(recorded: Recorded, mode: Mode) -> Response:
    """Counted, then where the officer (or the citizen at the kiosk) goes next."""
    counted(recorded.entry, recorded.answer)
    if mode == "phone":
        PHONE_CALLS.labels(CallOutcome.ANSWERED.value).inc()
    if mode == "kiosk":
        done = f"/staff/kiosk/done?rating={recorded.rating_id}"
        return RedirectResponse(done, status_code=303, headers=NO_STORE)
    invalid = "&invalid=1" if not recorded.entry.valid else ""
    return RedirectResponse(
        f"/staff/{mode}?saved={recorded.invitation.dossier_code}{invalid}",
        status_code=303,
        headers=NO_STORE,
    )


def _submit(
    ctx: RatingsContext,
    pages: StaffPages,
    request: Request,
    officer: Officer,
    mode: Mode,
    code: str,
    fields: dict[str, str],
) -> Response:
    entry, problems = _entry(mode, fields, officer)
    if problems:
        return _refused(ctx, pages, request, officer, mode, code, fields, problems, entry)
    try:
        recorded = _save(ctx, officer, mode, code, fields, entry, client_address(request))
    except AnswerRefused as exc:
        return _refused(ctx, pages, request, officer, mode, code, fields, exc.problems, entry)
    except SerialUsed:
        REFUSED.labels("serial_used").inc()
        invitation = _lookup(ctx, code, officer)
        assert invitation is not None
        return entry_page(
            ctx,
            pages,
            request,
            officer,
            mode,
            invitation,
            values=_typed_values(fields),
            errors={"paper_serial": "serial_used"},
            status=409,
        )
    except UnknownInvitation:
        return not_found_page(ctx, pages, officer, mode, code)
    except AlreadyRated as exc:
        return already_page(pages, officer, mode, exc)
    return _saved(recorded, mode)


def _submit_route(mode: Mode) -> Callable[..., Awaitable[Response]]:
    async def submit_entry(
        code: str,
        request: Request,
        signed_in: Annotated[Officer | None, Depends(entry_officer_if_signed_in)],
        pages: Annotated[StaffPages, Depends(_pages)],
        ctx: Annotated[RatingsContext, Depends(context)],
    ) -> Response:
        action = f"/staff/{mode}/{code}"
        fields = await ctx.posted_form(request, action)
        officer = signed_in
        if fields is not None and officer is None:
            officer = ctx.entry_grants.officer(fields.get(GRANT_FIELD), action, now=ctx.now())
        if officer is None:
            form = request.url.replace(path=f"/staff/{mode}", query=urlencode({"dossier": code}))
            raise SignInRequired(pages.gate.sign_in_location(str(form)))
        if fields is None:
            REFUSED.labels("csrf").inc()
            return csrf_refused(pages, officer, mode)
        return await run_in_threadpool(
            _submit, ctx, pages, request, officer, mode, code[:CODE_MAX], fields
        )

    return submit_entry


for _mode in ("kiosk", "paper", "phone"):
    router.add_api_route(f"/staff/{_mode}", _open_route(_mode), methods=["GET"])
    router.add_api_route(f"/staff/{_mode}/{{code}}", _submit_route(_mode), methods=["POST"])


def csrf_refused(pages: StaffPages, officer: Officer, mode: Mode) -> HTMLResponse:
    """403: the form's token is not one this form gave out (or it is too old)."""
    REFUSED.labels("csrf").inc()
    return pages.render(
        "message.html",
        status=403,
        officer=officer,
        kiosk=mode == "kiosk",
        title=TEXTS["rate_csrf_title"],
        message=TEXTS["rate_csrf_text"],
        back={"href": f"/staff/{mode}", "label": TEXTS["kiosk_back"]},
    )


@router.get("/staff/kiosk/done", response_class=HTMLResponse)
def kiosk_done(
    officer: Annotated[Officer, Depends(entry_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
    rating: UUID | None = None,
    stay: bool = False,
) -> HTMLResponse:
    """The citizen's thank-you on the kiosk: their rating's reference, the unit's number,
    and the search again after ``KIOSK_RETURN_S`` seconds. The return is the HTTP
    ``Refresh`` header (no script needed); "stay" turns it off (WCAG 2.2.1: a time limit
    the person can switch off), and "return now" does not wait."""
    unit = None
    if rating is not None:
        with ctx.pool.connection() as conn:
            unit = rated_unit(rating, officer.unit_code, db_session=conn)
    ref = ctx.reference.unit(unit) if unit else None
    page = pages.render(
        "kiosk_thanks.html",
        officer=officer,
        kiosk=True,
        title=TEXTS["rate_thanks_title"],
        reference=rating_reference(rating) if unit and rating else "",
        public_phone=ref.public_phone if ref else None,
        seconds=0 if stay else KIOSK_RETURN_S,
        stay_url=f"/staff/kiosk/done?{urlencode({'rating': rating or '', 'stay': 1})}",
        back=KIOSK_SEARCH,
    )
    if not stay:
        page.headers["Refresh"] = f"{KIOSK_RETURN_S};url={KIOSK_SEARCH}"
    return page
