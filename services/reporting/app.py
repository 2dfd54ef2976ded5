"""Reporting: the official figures, live, for every unit and procedure — for leaders
(``/reports``, ``/v1/reports``) and for ops (``/metrics``, Grafana)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from psycopg_pool import ConnectionPool

from motcua.audit import AuditDoors, audit_router, token_checks
from motcua.calendar import default_calendar
from motcua.db import open_pool
from motcua.health import Check, standard_checks
from motcua.http import create_service_app
from motcua.identity import OfficerGate
from motcua.supervision import Supervisor
from motcua.web.strings import AUDIT_SERVICE_LABELS
from services.reporting import auditing
from services.reporting.consumer import FactConsumer, topic_roles
from services.reporting.context import ReportingContext, context
from services.reporting.gauges import Exporter
from services.reporting.intake import IntakeApi
from services.reporting.pages import AUDIT_PAGE, install_report_pages, render_audit
from services.reporting.public import router as public_router
from services.reporting.settings import ReportingSettings
from services.reporting.views import router


def supervise_reporting_workers(
    supervisor: Supervisor, settings: ReportingSettings, pool: ConnectionPool
) -> None:
    """The fact consumer and the one-worker exporter among the process's loops."""
    if settings.consumer_enabled:
        consumer = FactConsumer(
            settings.kafka_bootstrap_servers,
            pool,
            default_calendar(),
            group_id=settings.reporting_group_id,
            batch_size=settings.consumer_batch_size,
            topics=topic_roles(settings.reporting_topic_prefix),
        )
        supervisor.add("facts", consumer.run)
    key = settings.intake_api_key.get_secret_value()
    exporter = (
        None
        if not settings.exporter_enabled
        else Exporter(
            settings.database_url,
            pool,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            lag_groups=[g.strip() for g in settings.lag_groups.split(",") if g.strip()],
            intake=IntakeApi(settings.intake_url, key) if key else None,
            interval_s=settings.gauges_interval_s,
            reconcile_every_s=settings.reconcile_interval_s,
        )
    )
    if exporter is not None:
        supervisor.add("gauges", exporter.run)


def create_app(settings: ReportingSettings) -> FastAPI:
    pool = open_pool(settings.database_url, max_size=settings.db_pool_size)
    loops = Supervisor("reporting")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.reporting = ReportingContext(
            settings=settings, pool=pool, gate=OfficerGate.from_settings(settings)
        )
        supervise_reporting_workers(loops, settings, pool)
        try:
            with loops.running():
                yield
        finally:
            pool.close()

    app = create_service_app(
        service="reporting",
        version="0.1.0",
        checks=[*standard_checks(settings), Check("loops", loops.check)],
        lifespan=lifespan,
        description="Official figures of dossier handling and citizens' satisfaction, per "
        "unit, procedure, field and period, counted exactly once.",
    )
    install_report_pages(app)
    app.include_router(router)
    app.include_router(public_router)
    officer_of, page_inspector = token_checks(lambda request: context(request).gate)
    doors = AuditDoors(
        connection=pool.connection,
        officer_of=officer_of,
        is_top_unit=partial(auditing.is_top_unit, pool),
        service_label=AUDIT_SERVICE_LABELS["reporting"],
        other_logs=settings.audit_pages(),
        service="reporting",
        render_page=render_audit,
        page_inspector=page_inspector,
    )
    app.include_router(audit_router(doors, page_path=AUDIT_PAGE))
    return app


def app_from_environment() -> FastAPI:
    """The app as each server process builds it, from its own environment."""
    return create_app(ReportingSettings())
