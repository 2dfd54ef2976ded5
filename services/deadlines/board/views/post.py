"""The letters to post (``/board/post``): the day's print batch, its PDF with an address
sheet before each letter, and marking it posted.

The citizen's name and address are asked from intake each time a batch is shown, printed
or marked (never stored). A letter whose citizen has no address on file gets no sheet:
the batch page says so, and marking the batch posted records that letter as failed for
good (nothing was sent). Like the letter form, the forms post with the officer's
SameSite session, so another site cannot post them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi import APIRouter
from starlette.responses import Response

from motcua.web import TEXTS
from services.deadlines.board import pages
from services.deadlines.board.views.context import BoardContext, html, redirect
from services.deadlines.board.views.session import ACT_ROLES, Actor, Ctx, Viewer
from services.deadlines.letters.intake_client import DossierParticulars, IntakeUnavailable
from services.deadlines.notices.envelopes import PostalLabel, batch_pdf
from services.deadlines.notices.print_batch import (
    BatchNotFound,
    PostLetter,
    PrintBatch,
    create_batch,
    letter_pdfs,
    letters_to_post,
    mark_posted,
    print_batch,
    recent_batches,
)
from services.deadlines.officers import Officer

router = APIRouter(include_in_schema=False)
BATCH_PATH = "/board/post/batches/{batch_id}"
_MAX_ID_DIGITS = 18


def _batch_id(text: str) -> int | None:
    """The path's batch id, or None when it is not one (a 404, never a 500)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= _MAX_ID_DIGITS else None


async def _addressees(
    ctx: BoardContext, letters: list[PostLetter]
) -> dict[str, DossierParticulars]:
    """Each letter's citizen as intake states it now, by notice id."""
    found = await asyncio.gather(
        *(ctx.directory.particulars(letter.dossier_code) for letter in letters)
    )
    return {letter.notice_id: who for letter, who in zip(letters, found, strict=True)}


def _has_address(who: DossierParticulars) -> bool:
    return bool(who.citizen_address and who.citizen_address.strip())


async def _post_page(
    ctx: BoardContext, officer: Officer, *, error: str | None = None, status: int = 200
) -> Response:
    waiting = await ctx.db.run(letters_to_post, officer)
    batches = await ctx.db.run(recent_batches, officer)
    page = pages.post_page(
        ctx.layout(officer),
        waiting,
        batches,
        ctx.names,
        can_act=officer.has(*ACT_ROLES),
        error=error,
    )
    return html(page, status)


async def _batch(ctx: BoardContext, officer: Officer, batch_id: str) -> PrintBatch | None:
    found = _batch_id(batch_id)
    if found is None:
        return None
    try:
        return await ctx.db.run(print_batch, officer, found)
    except BatchNotFound:
        return None


def _batch_response(
    ctx: BoardContext,
    officer: Officer,
    batch: PrintBatch,
    addressees: Mapping[str, DossierParticulars] | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    page = pages.batch_page(
        ctx.layout(officer), batch, addressees, can_act=officer.has(*ACT_ROLES), error=error
    )
    return html(page, status)


def _not_found(ctx: BoardContext, officer: Officer) -> Response:
    return ctx.message(officer, TEXTS["not_found"], TEXTS["post_not_found"], 404)


def _intake_down(exc: IntakeUnavailable) -> str:
    return TEXTS["post_intake_down"].format(detail=exc)


@router.get("/board/post")
async def post_letters(ctx: Ctx, officer: Viewer) -> Response:
    return await _post_page(ctx, officer)


@router.post("/board/post/batches")
async def new_batch(ctx: Ctx, officer: Actor) -> Response:
    created = await ctx.db.run(create_batch, officer)
    if created is None:
        return await _post_page(ctx, officer, error=TEXTS["post_nothing_waiting"], status=409)
    return redirect(BATCH_PATH.format(batch_id=created))


@router.get(BATCH_PATH)
async def batch_letters(batch_id: str, ctx: Ctx, officer: Viewer) -> Response:
    batch = await _batch(ctx, officer, batch_id)
    if batch is None:
        return _not_found(ctx, officer)
    try:
        addressees = await _addressees(ctx, batch.letters)
    except IntakeUnavailable as exc:
        return _batch_response(ctx, officer, batch, None, error=_intake_down(exc))
    return _batch_response(ctx, officer, batch, addressees)


def _label(letter: PostLetter, who: DossierParticulars) -> PostalLabel:
    assert who.citizen_address is not None
    reference = TEXTS["post_label_reference"].format(
        dossier=letter.dossier_code, number=letter.letter_number, version=letter.letter_version
    )
    return PostalLabel(who.agency, who.citizen_name, who.citizen_address.strip(), reference)


@router.get(BATCH_PATH + "/letters.pdf")
async def batch_file(batch_id: str, ctx: Ctx, officer: Viewer) -> Response:
    batch = await _batch(ctx, officer, batch_id)
    if batch is None:
        return _not_found(ctx, officer)
    try:
        addressees = await _addressees(ctx, batch.letters)
    except IntakeUnavailable as exc:
        return _batch_response(ctx, officer, batch, None, error=_intake_down(exc), status=503)
    letters = await ctx.db.run(letter_pdfs, officer, batch.summary.id)
    printable = [
        (_label(letter, addressees[letter.notice_id]), pdf)
        for letter, pdf in letters
        if _has_address(addressees[letter.notice_id])
    ]
    if not printable:
        error = TEXTS["post_none_printable"]
        return _batch_response(ctx, officer, batch, addressees, error=error, status=409)
    body = await asyncio.to_thread(batch_pdf, printable)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="thu-buu-dien-dot-{batch.summary.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post(BATCH_PATH + "/posted")
async def batch_posted(batch_id: str, ctx: Ctx, officer: Actor) -> Response:
    batch = await _batch(ctx, officer, batch_id)
    if batch is None:
        return _not_found(ctx, officer)
    if batch.summary.posted_at is None:
        try:
            addressees = await _addressees(ctx, batch.letters)
        except IntakeUnavailable as exc:
            return _batch_response(ctx, officer, batch, None, error=_intake_down(exc), status=503)
        unaddressed = {key for key, who in addressees.items() if not _has_address(who)}
        try:
            await ctx.db.run(
                mark_posted,
                officer,
                batch.summary.id,
                unaddressed=unaddressed,
                posted_at=datetime.now(UTC),
            )
        except BatchNotFound:
            return _not_found(ctx, officer)
    return redirect(BATCH_PATH.format(batch_id=batch.summary.id))
