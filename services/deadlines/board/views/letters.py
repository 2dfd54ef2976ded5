"""The apology-letter form (reason, extension), issuing and correcting it, and its PDF."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from motcua.documents import render_pdf
from motcua.http import client_address
from motcua.web import TEXTS
from motcua.web.forms import read_form
from motcua.web.strings import LETTER_ERRORS
from services.deadlines.board import pages
from services.deadlines.board.views.context import (
    BoardContext,
    board_back,
    html,
    parse_dossier_id,
    redirect,
)
from services.deadlines.board.views.session import Actor, Ctx, Viewer
from services.deadlines.letters.intake_client import DossierParticulars, IntakeUnavailable
from services.deadlines.letters.models import (
    ApologyLetter,
    LetterRuleError,
    clean_reason,
    new_appointment,
)
from services.deadlines.letters.service import (
    LetterNotFound,
    LetterTask,
    issue_letter,
    letter_pdf,
    letter_task,
)
from services.deadlines.officers import Officer

_MAX_NUMBER_DIGITS = 9


def _whole_number(params: Mapping[str, str], name: str) -> int | None:
    """An episode or version the query addresses (None when absent); ``ValueError`` when
    it is not a whole number, which the routes answer with a 404."""
    text = params.get(name)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_NUMBER_DIGITS):
        raise ValueError(name)
    return int(text)


async def _task(
    ctx: BoardContext, officer: Officer, dossier_id: str, params: Mapping[str, str]
) -> LetterTask | None:
    """The letter the path and ``?episode=`` address (the current episode's without it)."""
    found = parse_dossier_id(dossier_id)
    try:
        episode = _whole_number(params, "episode")
    except ValueError:
        return None
    if found is None:
        return None
    try:
        return await ctx.db.run(letter_task, officer, found, episode=episode)
    except LetterNotFound:
        return None


def _not_found(ctx: BoardContext, officer: Officer) -> Response:
    return ctx.message(officer, TEXTS["not_found"], TEXTS["no_letter_here"], 404)


def _new_due_at(
    ctx: BoardContext, task: LetterTask, form: Mapping[str, str], now: datetime
) -> datetime:
    """The appointment the letter gives: asked for on a draft, kept on a correction."""
    if task.status != "draft":
        assert task.new_due_at is not None
        return task.new_due_at
    try:
        days = int(form.get("extension_working_days", ""))
    except ValueError:
        raise LetterRuleError(
            "extension_working_days", "extension_not_a_number", "enter a whole number of days"
        ) from None
    return new_appointment(task.original_due_at, days, now, ctx.config.calendar)


async def _applicant(ctx: BoardContext, task: LetterTask) -> str | None:
    """Who the letter is for, as intake names them now (never stored); None when intake
    cannot be asked — the form says so and still works."""
    try:
        return (await ctx.directory.particulars(task.dossier_code)).citizen_name
    except IntakeUnavailable:
        return None


async def _form_page(
    ctx: BoardContext,
    officer: Officer,
    task: LetterTask,
    *,
    error: str | None = None,
    field: str | None = None,
    reason: str = "",
    status: int = 200,
    form: Mapping[str, str] | None = None,
) -> Response:
    """The form, with the applicant and the new appointment the letter would give for the
    days asked (the suggested ones at first): deadlines' own working-day calendar sets the
    date a letter gives, so the preview is that same computation, not intake's."""
    asked = form or {}
    days = asked.get("extension_working_days") or str(ctx.config.suggested_extension_days)
    preview = None
    if task.status == "draft" and field != "extension_working_days":
        try:
            preview = _new_due_at(ctx, task, {"extension_working_days": days}, datetime.now(UTC))
        except LetterRuleError:
            preview = None
    state = pages.LetterFormState(
        applicant=await _applicant(ctx, task),
        preview_due_at=preview,
        days=days[:8],
        back=board_back(asked.get("back")),
    )
    page = pages.letter_page(
        ctx.layout(officer),
        task,
        ctx.names,
        suggested_days=ctx.config.suggested_extension_days,
        error=error,
        error_field=field,
        reason=reason,
        state=state,
    )
    return html(page, status)


async def _refused(
    ctx: BoardContext,
    officer: Officer,
    task: LetterTask,
    exc: LetterRuleError,
    form: Mapping[str, str],
    status: int,
) -> Response:
    """The form again, the broken rule by its field, the reason and days as typed."""
    error = LETTER_ERRORS[exc.rule].format(**exc.details)
    return await _form_page(
        ctx,
        officer,
        task,
        error=error,
        field=exc.field,
        reason=form.get("reason", ""),
        status=status,
        form=form,
    )


def _letter_for(
    particulars: DossierParticulars, task: LetterTask, reason: str, issued_at: datetime
) -> Callable[[str, int, datetime], ApologyLetter]:
    """The letter of a number, version and new appointment, the rest as intake states it."""

    def letter_for(number: str, version: int, due: datetime) -> ApologyLetter:
        return ApologyLetter(
            agency=particulars.agency,
            parent_agency=particulars.parent_agency,
            place=particulars.place,
            letter_number=number,
            version=version,
            citizen_name=particulars.citizen_name,
            citizen_address=particulars.citizen_address,
            dossier_code=task.dossier_code,
            procedure_name=particulars.procedure_name,
            received_at=particulars.received_at,
            original_due_at=task.original_due_at,
            reason=reason,
            new_due_at=due,
            issued_at=issued_at,
            agency_head_title=particulars.agency_head_title,
        )

    return letter_for


router = APIRouter(include_in_schema=False)
LETTER_PATH = "/board/dossiers/{dossier_id}/letter"


@router.get(LETTER_PATH)
async def letter_form(request: Request, dossier_id: str, ctx: Ctx, officer: Viewer) -> Response:
    task = await _task(ctx, officer, dossier_id, request.query_params)
    if task is None:
        return _not_found(ctx, officer)
    return await _form_page(ctx, officer, task, form=request.query_params)


@router.post(LETTER_PATH)
async def issue(request: Request, dossier_id: str, ctx: Ctx, officer: Actor) -> Response:
    task = await _task(ctx, officer, dossier_id, request.query_params)
    if task is None:
        return _not_found(ctx, officer)
    form = await read_form(request) or {}
    raw_reason = form.get("reason", "")
    now = datetime.now(UTC)
    if form.get("action") == "preview":
        try:
            _new_due_at(ctx, task, form, now)
        except LetterRuleError as exc:
            return await _refused(ctx, officer, task, exc, form, 422)
        return await _form_page(ctx, officer, task, reason=raw_reason, form=form)
    try:
        reason = clean_reason(raw_reason)
        new_due_at = _new_due_at(ctx, task, form, now)
    except LetterRuleError as exc:
        return await _refused(ctx, officer, task, exc, form, 422)
    try:
        particulars = await ctx.directory.particulars(task.dossier_code)
    except IntakeUnavailable as exc:
        message = TEXTS["letter_intake_down"].format(detail=exc)
        return await _form_page(
            ctx, officer, task, error=message, reason=raw_reason, status=503, form=form
        )
    try:
        await ctx.db.run(
            issue_letter,
            officer,
            task,
            reason=reason,
            new_due_at=new_due_at,
            issued_at=now,
            render=lambda letter: render_pdf(letter.document()),
            letter_for=_letter_for(particulars, task, reason, now),
            address=client_address(request),
        )
    except LetterRuleError as exc:
        return await _refused(ctx, officer, task, exc, form, 409)
    back = board_back(form.get("back"))
    again = {"episode": str(task.episode)} if "episode" in request.query_params else {}
    again |= {"back": back} if back else {}
    return redirect(
        f"/board/dossiers/{task.dossier_id}/letter" + (f"?{urlencode(again)}" if again else "")
    )


async def _withheld(
    ctx: BoardContext, officer: Officer, dossier_id: str, params: Mapping[str, str]
) -> Response | None:
    """A page instead of the PDF when the letter, kept as sent with the citizen's name and
    address, must no longer be handed out: intake anonymised them after retention
    (docs/personal-data.md), or cannot say whether it did."""
    task = await _task(ctx, officer, dossier_id, params)
    if task is None:
        return None
    try:
        particulars = await ctx.directory.particulars(task.dossier_code)
    except IntakeUnavailable as exc:
        text = TEXTS["letter_reprint_intake_down"].format(detail=exc)
        return ctx.message(officer, TEXTS["letter_reprint_title"], text, 503)
    if not particulars.applicant_anonymised:
        return None
    text = TEXTS["letter_anonymised"].format(code=task.dossier_code)
    return ctx.message(officer, TEXTS["letter_reprint_title"], text, 200)


@router.get(LETTER_PATH + ".pdf")
async def letter_pdf_file(request: Request, dossier_id: str, ctx: Ctx, officer: Viewer) -> Response:
    found = parse_dossier_id(dossier_id)
    try:
        version = _whole_number(request.query_params, "version")
        episode = _whole_number(request.query_params, "episode")
    except ValueError:
        return _not_found(ctx, officer)
    if found is None:
        return _not_found(ctx, officer)
    try:
        number, version, pdf = await ctx.db.run(
            letter_pdf, officer, found, version, episode=episode
        )
    except LetterNotFound:
        return _not_found(ctx, officer)
    withheld = await _withheld(ctx, officer, found, request.query_params)
    if withheld is not None:
        return withheld
    filename = f"phieu-xin-loi-{number.replace('/', '-')}-v{version}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
