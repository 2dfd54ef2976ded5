"""The business gauges, the consumer lag and the one-exporter lock, on the real Kafka and
PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from motcua.db import open_pool
from motcua.kafka import Topic
from services.reporting import metrics
from services.reporting.gauges import Exporter
from tests.conftest import Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    Province,
    Topics,
    consumer_for,
    consuming,
    stored_offsets,
)


def _value(gauge: object, *labels: str) -> float:
    return float(gauge.labels(*labels)._value.get())  # type: ignore[attr-defined]


def test_this_months_figures_and_every_groups_lag_are_exported_by_one_worker(
    infra: Infra, reporting_db: str, topics: Topics, province: Province
) -> None:
    now = datetime.now(UTC)
    dossiers = [
        province.dossier(received_at=now - timedelta(hours=1), due_at=now + timedelta(days=5))
        for _ in range(4)
    ]
    dossiers[0].due_at = now - timedelta(minutes=30)
    topics.publish([d.received() for d in dossiers])
    group = f"test-reporting-gauges-{uuid.uuid4().hex[:8]}"
    with consuming(consumer_for(infra, reporting_db, topics, group_id=group)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == 4, what="stored")
    pool = open_pool(reporting_db, max_size=2)
    pool.open(wait=True)
    first = Exporter(
        reporting_db,
        pool,
        bootstrap_servers=infra.bootstrap_servers,
        lag_groups=[group, f"{group}-never-started"],
        intake=None,
    )
    second = Exporter(
        reporting_db,
        pool,
        bootstrap_servers=infra.bootstrap_servers,
        lag_groups=[group, f"{group}-never-started"],
        intake=None,
    )
    try:
        assert first.holds_lock()
        assert not second.holds_lock()
        first.business()
        assert _value(metrics.DOSSIERS, province.code, "unknown", "received") == 4
        assert _value(metrics.DOSSIERS, province.code, "unknown", "in_progress_overdue") == 1

        dossier_topic = topics.names[Topic.DOSSIER_EVENTS]
        topics.publish([province.dossier().received() for _ in range(3)])
        first.consumer_lag()
        assert _value(metrics.CONSUMER_LAG, group, dossier_topic) == 3

        assert first._lock_conn is not None
        assert first.holds_lock()  # still the exporter at its next tick
        first._lock_conn.close()  # the exporting worker dies: its lock goes with it
        wait_for(second.holds_lock, timeout_s=10, what="the other worker to take over")
    finally:
        for exporter in (first, second):
            exporter.close()
        pool.close()
