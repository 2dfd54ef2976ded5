"""Reconciliation against a real intake: dossiers received, finished and rejected through
intake's API reach reporting over the real Kafka; the difference between reporting's live
figures and intake's tally (asked through intake's API) is a metric — the size of what is
missing while reporting lags, zero once it has caught up."""

from __future__ import annotations

import uuid

import httpx
import psycopg

from motcua.calendar import default_calendar
from motcua.db import open_pool
from services.intake.app import create_app as create_intake_app
from services.intake.auth import Scope, register_system
from services.intake.reference.models import Unit, UnitLevel
from services.intake.reference.service import upsert_units
from services.reporting import metrics
from services.reporting.consumer import FactConsumer, topic_roles
from services.reporting.gauges import Exporter
from services.reporting.intake import IntakeApi
from tests.conftest import Infra
from tests.integration.conftest import Systems, auth, receive_command, wait_for
from tests.integration.intake.conftest import intake_settings
from tests.integration.reporting.conftest import Province, consuming
from tests.live_server import live_server


def _difference(measure: str) -> float:
    return float(metrics.RECONCILIATION_DIFFERENCE.labels(measure)._value.get())


def test_the_figures_reconcile_with_intake_once_reporting_has_caught_up(
    infra: Infra, intake_url: str, reporting_db: str, systems: Systems
) -> None:
    province = Province.new()
    with psycopg.connect(intake_url) as conn:
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        upsert_units(
            [
                Unit(
                    code=province.code,
                    name="Công an tỉnh Thử",
                    level=UnitLevel.PROVINCE,
                    parent=root[0],
                ),
                Unit(
                    code=province.communes[0],
                    name="Công an xã Thử",
                    level=UnitLevel.COMMUNE,
                    parent=province.code,
                ),
            ],
            db_session=conn,
        )
        _, upstream = register_system(
            f"upstream-{uuid.uuid4().hex[:6]}",
            province.code,
            [Scope.WRITE, Scope.READ],
            db_session=conn,
        )
        _, reader = register_system(
            f"reporting-{uuid.uuid4().hex[:6]}", province.code, [Scope.READ], db_session=conn
        )
    pool = open_pool(reporting_db, max_size=3)
    pool.open(wait=True)
    with live_server(
        create_intake_app(intake_settings(infra, intake_url, inbound_enabled=False))
    ) as intake:
        exporter = Exporter(
            reporting_db,
            pool,
            bootstrap_servers=infra.bootstrap_servers,
            lag_groups=[],
            intake=IntakeApi(intake, reader),
            reconcile_every_s=0,
        )
        codes = []
        for _ in range(6):
            command = receive_command(province.communes[0], occurred_at="2026-11-03T09:00:00+07:00")
            created = httpx.post(f"{intake}/v1/dossiers", json=command, headers=auth(upstream))
            assert created.status_code == 201, created.text
            codes.append(created.json()["dossier_code"])
        for code, step in (
            (codes[0], {"transition": "complete", "outcome": "granted"}),
            (codes[1], {"transition": "complete", "outcome": "granted"}),
            (codes[2], {"transition": "reject", "reason": "Không thuộc thẩm quyền."}),
        ):
            moved = httpx.post(
                f"{intake}/v1/dossiers/{code}/events",
                json={
                    "event_id": f"up-{uuid.uuid4()}",
                    "occurred_at": "2026-11-04T09:00:00+07:00",
                    **step,
                },
                headers=auth(upstream),
            )
            assert moved.status_code in (200, 201), moved.text

        exporter.reconcile_if_due()
        assert _difference("received") == -6  # nothing of it counted yet
        assert _difference("finished") == -2

        consumer = FactConsumer(
            infra.bootstrap_servers,
            open_pool(reporting_db, max_size=3),
            default_calendar(),
            group_id=f"test-reporting-reconcile-{uuid.uuid4().hex[:8]}",
            topics=topic_roles(),
        )
        consumer.pool.open(wait=True)
        with consuming(consumer):

            def reconciled() -> bool:
                exporter.reconcile_if_due()
                return all(_difference(m) == 0 for m in ("received", "finished", "in_progress"))

            wait_for(reconciled, timeout_s=90, what="reporting to agree with intake")
    with pool.connection() as conn:
        name = conn.execute("SELECT name FROM units WHERE code = %s", (province.code,)).fetchone()
    pool.close()
    assert name == ("Công an tỉnh Thử",)  # the names came through intake's API too
    assert metrics.RECONCILED_AT._value.get() > 0
