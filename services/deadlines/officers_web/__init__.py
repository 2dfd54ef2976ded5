"""Deadlines' officers' web: sign-in for the whole platform, the duty-officer board, the
apology-letter form and its PDF, the CSV export and the live updates — a FastAPI process
of its own (``python -m services.deadlines.officers_web``), apart from the Faust worker,
so the pages never feel a rebalance and scale apart from the partitions.

It reads what the worker writes (PostgreSQL), hears the board's changes by ``LISTEN``,
and follows the announced calendar and intake's reference data. A letter an officer issues
is staged in deadlines' outbox in the issuing transaction; the worker's outbox relay
publishes it (:mod:`motcua.outbox`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from motcua.calendar_feed import CalendarFeed, LiveCalendar
from motcua.delivery import Receipt, Verdict, receipt_secret, receipts_router
from motcua.health import standard_checks
from motcua.http import create_service_app
from motcua.reference import IntakeReference
from services.deadlines.board.live import BoardFeed
from services.deadlines.board.views import BoardConfig, BoardContext, install_board_views
from services.deadlines.database import Database
from services.deadlines.letters.intake_client import IntakeDirectory
from services.deadlines.notices.link_view import router as letter_link_router
from services.deadlines.notices.receipts import apply_receipt
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.web import SignIn
from services.deadlines.web import router as signin_router


def board_context(
    settings: DeadlinesSettings,
    db: Database,
    calendar: LiveCalendar,
    reference: IntakeReference,
) -> BoardContext:
    return BoardContext(
        db=db,
        feed=BoardFeed(settings.database_url),
        directory=IntakeDirectory(settings.intake_url, settings.intake_api_key.get_secret_value()),
        reference=reference,
        signin=SignIn.from_settings(settings, db),
        config=BoardConfig(
            calendar=calendar,
            suggested_extension_days=settings.suggested_extension_working_days,
            ratings_url=settings.pages_ratings_url or None,
            reporting_url=settings.pages_reporting_url or None,
        ),
    )


def letter_receipts(app: FastAPI, settings: DeadlinesSettings) -> APIRouter:
    """The providers' signed webhook for the letters' notices (the worker sends them; the
    receipts come here, to the process with the public address)."""

    def apply(channel: str, receipt: Receipt) -> Verdict | None:
        db: Database = app.state.board.db
        with db.pool.connection() as conn:
            return apply_receipt(channel, receipt, db_session=conn)

    return receipts_router(apply, lambda channel: receipt_secret(settings, channel))


def create_app(settings: DeadlinesSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        calendar = LiveCalendar()  # as announced: the letter form counts working days
        calendar_feed = CalendarFeed(settings.kafka_bootstrap_servers, calendar)
        # Procedure and unit names for the board, from intake's API, kept fresh in memory.
        reference = IntakeReference(settings.intake_url, settings.intake_api_key.get_secret_value())
        ctx = board_context(settings, db, calendar, reference)
        app.state.board, app.state.signin = ctx, ctx.signin
        calendar_feed.start()
        loops = [
            asyncio.create_task(ctx.feed.run()),
            asyncio.create_task(reference.run(settings.reference_refresh_s)),
        ]
        try:
            yield
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            calendar_feed.stop()
            db.close()

    app = create_service_app(
        service="deadlines",
        version="0.1.0",
        checks=standard_checks(settings),
        lifespan=lifespan,
        description="Officers' sign-in for the platform and the duty-officer board "
        "(Nghị định 61/2018, Điều 19: the dossiers falling late, and the apology letters).",
    )
    app.include_router(signin_router)
    install_board_views(app, settings.audit_pages())
    app.include_router(letter_link_router)
    app.include_router(letter_receipts(app, settings))
    return app


def app_from_environment() -> FastAPI:
    """The app as each server process builds it, from its own environment."""
    return create_app(DeadlinesSettings())
