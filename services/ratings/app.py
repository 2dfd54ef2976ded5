"""Ratings: invites every citizen to rate the service and takes their answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from motcua.calendar import default_calendar
from motcua.db import open_pool
from motcua.delivery import receipt_secret, receipts_router
from motcua.health import Check, standard_checks
from motcua.http import create_service_app
from motcua.outbox import supervise_relay
from motcua.reference import IntakeReference
from motcua.supervision import Supervisor
from services.ratings.answers.portal import api as portal_api
from services.ratings.answers.views import router as answers_router
from services.ratings.counter.intake import IntakeCounter
from services.ratings.delivery.receipts import receipt_applier
from services.ratings.dependencies import RatingsContext, form_secret
from services.ratings.followups.gauges import unwatch_followups, watch_followups
from services.ratings.grants import EntryGrants
from services.ratings.protection import Csrf, RateLimits
from services.ratings.settings import RatingsSettings
from services.ratings.staff.install import install_staff_pages
from services.ratings.staff.invitations import install_invitation_pages
from services.ratings.workers import supervise_invitation_workers, token_seal


def create_app(settings: RatingsSettings) -> FastAPI:
    seal = token_seal(settings)
    pool = open_pool(settings.database_url, max_size=settings.db_pool_size)
    loops = Supervisor("ratings")
    reference = IntakeReference(settings.intake_url, settings.intake_api_key.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        secret = form_secret(settings)
        refreshing = asyncio.create_task(reference.run(settings.reference_refresh_s))
        intake = IntakeCounter(settings.intake_url, settings.intake_api_key.get_secret_value())
        app.state.ratings = RatingsContext(
            settings=settings,
            pool=pool,
            calendar=default_calendar(),
            csrf=Csrf(secret),
            limits=RateLimits(
                settings.rate_limit_per_address,
                settings.rate_limit_per_token,
                settings.rate_limit_storage_uri,
            ),
            templates=templates,
            entry_grants=EntryGrants(secret, timedelta(seconds=settings.entry_form_lifetime_s)),
            reference=reference,
            intake=intake,
        )
        watch_followups(pool)
        # Invitations and ratings reach Kafka only through the outbox (motcua.outbox).
        supervise_relay(loops, settings, service="ratings")
        supervise_invitation_workers(loops, settings, pool, seal)
        try:
            with loops.running():
                yield
        finally:
            refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refreshing
            await intake.close()
            unwatch_followups(pool)
            pool.close()

    app = create_service_app(
        service="ratings",
        version="0.1.0",
        checks=[*standard_checks(settings), Check("loops", loops.check)],
        lifespan=lifespan,
        description="Citizen satisfaction ratings (Nghị định 61/2018, Điều 31).",
    )
    templates = install_staff_pages(app, settings, reference, pool)
    install_invitation_pages(app, pool, seal, settings.ratings_public_url)
    app.include_router(answers_router)
    app.include_router(portal_api)
    # The providers' receipts of invitation messages (docs/delivery.md).
    app.include_router(
        receipts_router(receipt_applier(pool), lambda channel: receipt_secret(settings, channel))
    )
    return app


def app_from_environment() -> FastAPI:
    """The app as each server process builds it, from its own environment."""
    return create_app(RatingsSettings())
