"""Intake: the system of record for dossiers and the only door into the platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from motcua.calendar import WorkingCalendar, default_calendar
from motcua.calendar_feed import CalendarFeed, LiveCalendar
from motcua.db import open_pool
from motcua.health import Check, standard_checks
from motcua.http import create_service_app, problem_response
from motcua.identity import OfficerGate
from motcua.kafka import Topic
from motcua.outbox import supervise_relay
from motcua.supervision import Supervisor
from services.intake.audit import intake_audit_router
from services.intake.auth import KeyStore
from services.intake.calendar.views import router as calendar_router
from services.intake.dependencies import IntakeContext
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.group_commit import GroupCommit
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.unit_of_work import UnitOfWork, unavailable
from services.intake.dossier.views import router as dossier_router
from services.intake.dossier.window import InstantWindow
from services.intake.inbound import InboundConsumer
from services.intake.pages import install_audit_page
from services.intake.personal.anonymise import AnonymisationJob
from services.intake.personal.views import router as personal_router
from services.intake.reference.views import router as reference_router
from services.intake.settings import IntakeSettings


def rules_from(settings: IntakeSettings, calendar: WorkingCalendar | None = None) -> IntakeRules:
    key = settings.applicant_ref_key
    return IntakeRules(
        calendar=calendar or default_calendar(),
        paper_cutoff=settings.paper_cutoff,
        applicant_ref_key=key.get_secret_value().encode() if key else None,
        window=InstantWindow(
            max_past=timedelta(days=settings.occurred_at_max_past_days),
            max_future=timedelta(seconds=settings.occurred_at_max_future_s),
        ),
        reschedule_once=settings.reschedule_once,
    )


def create_app(settings: IntakeSettings) -> FastAPI:
    loops = Supervisor("intake")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Every process (each HTTP worker) follows the announced overrides itself, and
        # starts serving only once it has read them all.
        calendar = LiveCalendar()
        feed = CalendarFeed(settings.kafka_bootstrap_servers, calendar)
        feed.start()
        if not feed.wait_caught_up(settings.calendar_startup_timeout_s):
            feed.stop()
            raise RuntimeError("calendar overrides not read in time; refusing to compute dates")
        pool = open_pool(settings.database_url, max_size=settings.db_pool_size)
        rules = rules_from(settings, calendar)
        writes = UnitOfWork(pool, rules)
        receipts = GroupCommit(writes, max_group=settings.group_commit_max)
        for committer in range(1, settings.group_committers + 1):
            loops.add(f"receipts-{committer}", receipts.run)
        app.state.intake = IntakeContext(settings, pool, rules, KeyStore(), writes, receipts)
        doors = [Topic.INTAKE_COMMANDS] if settings.inbound_enabled else []
        doors += [Topic.APOLOGY_LETTERS] if settings.apology_letters_enabled else []
        if doors:
            inbound = InboundConsumer(
                settings.kafka_bootstrap_servers,
                writes,
                topics=doors,
                group_id=settings.inbound_group_id,
                apology_system=settings.apology_system,
            )
            loops.add("inbound", inbound.run)
        supervise_relay(loops, settings, service="intake")
        anonymisation = AnonymisationJob.configured(settings, pool)
        if anonymisation is not None:
            loops.add("anonymisation", anonymisation.run)
        try:
            with loops.running():
                yield
                receipts.close()  # the committers finish what is queued, then stop
        finally:
            feed.stop()
            pool.close()

    app = create_service_app(
        service="intake",
        version="0.1.0",
        checks=[*standard_checks(settings), Check("loops", loops.check)],
        lifespan=lifespan,
        description="Receives dossier events from upstream case systems, keeps the system of "
        "record and publishes canonical events to Kafka through a transactional outbox.",
    )

    @app.exception_handler(IntakeError)
    async def _refused(_: Request, exc: IntakeError) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, **exc.extra)

    app.add_exception_handler(psycopg.OperationalError, unavailable)

    _include_routers(app, settings)
    return app


def _include_routers(app: FastAPI, settings: IntakeSettings) -> None:
    for router in (dossier_router, reference_router, calendar_router, personal_router):
        app.include_router(router)
    # Inspectors sign in as officers: their token, checked with the platform's public key.
    gate = OfficerGate.from_settings(settings)

    def unit_name(code: str) -> str:
        with app.state.intake.pool.connection() as conn:
            row = conn.execute("SELECT name FROM units WHERE code = %s", (code,)).fetchone()
        return str(row[0]) if row else code

    page = install_audit_page(app, gate, unit_name)
    app.include_router(
        intake_audit_router(gate, lambda: app.state.intake.pool, page, settings.audit_pages())
    )


def app_from_environment() -> FastAPI:
    """The app as each server process builds it, from its own environment."""
    return create_app(IntakeSettings())
