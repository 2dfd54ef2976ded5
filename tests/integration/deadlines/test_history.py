"""The deadlines worker on history (the history importer's events, `history` on the envelope):
what closed long ago raises nothing, what is still open is followed from its arrival."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from motcua.contracts import (
    History,
    encode_event,
)
from motcua.kafka import Topic
from tests.conftest import Database, Infra
from tests.integration import kafka_log
from tests.integration.deadlines.test_alerts import UNIT, Worker
from tests.integration.deadlines.test_alerts import _produce as produce
from tests.services.reporting.events import Dossier

LONG_AGO = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội, a Monday


def _dossier(received: datetime, history: History) -> Dossier:
    """A dossier at the board's unit, due three days after it was received."""
    return Dossier(
        unit_path=tuple(UNIT),
        received_at=received,
        due_at=received + timedelta(days=3),
        history=history,
    )


def _closed_dossier(n: int) -> list[dict[str, Any]]:
    """Received and completed long ago, every other one after its due date."""
    dossier = _dossier(LONG_AGO + timedelta(days=n), History.CLOSED)
    completed = dossier.due_at + timedelta(days=2 if n % 2 else -1)
    return [dossier.received(), dossier.completed(completed)]


@pytest.fixture
def worker(infra: Infra, database: Database, tmp_path: Path) -> Iterator[Worker]:
    worker = Worker(infra, database, tmp_path)
    worker.start()
    yield worker
    if worker.process and worker.process.poll() is None:
        worker.process.kill()
        worker.process.wait()


def _wait_committed(infra: Infra, worker: Worker, ends: dict[int, int]) -> None:
    """Until the worker's group has committed up to ``ends``: every message produced
    before was handled (a dead letter or a no-op alike), not merely still on its way."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        committed = kafka_log.committed(
            infra.bootstrap_servers, worker.env["APP_ID"], Topic.DOSSIER_EVENTS.value
        )
        if all(committed.get(p, -1) >= offset for p, offset in ends.items()):
            return
        time.sleep(0.5)
    pytest.fail(f"the worker never committed up to {ends}:\n{worker.log.read_text()[-3000:]}")


def test_closed_history_raises_nothing_and_open_history_is_alerted_on_arrival(
    infra: Infra, database: Database, worker: Worker
) -> None:
    since = kafka_log.ends(infra.bootstrap_servers, Topic.DEADLINE_ALERTS.value)
    dlq_since = kafka_log.ends(infra.bootstrap_servers, "motcua.dlq.deadlines")
    closed = [event for n in range(40) for event in _closed_dossier(n)]
    closed_ids = {event["subject"] for event in closed}
    # Imported still open, due long ago: the law owes the citizen an apology from now on.
    open_dossier = _dossier(LONG_AGO, History.OPEN)
    still_open, opened = open_dossier.dossier_id, open_dossier.received()
    # Keyed and partitioned as intake's relay does it (murmur2), like test_alerts.
    produce(infra, [(e["subject"].encode(), encode_event(e)) for e in [*closed, opened]])
    _wait_committed(
        infra, worker, kafka_log.ends(infra.bootstrap_servers, Topic.DOSSIER_EVENTS.value)
    )
    assert worker.metric("motcua_deadlines_history_closed_events_total") == len(closed)
    # The open one's overdue alert is the proof the timer ran over what was tracked.
    deadline = time.monotonic() + 60
    alerts: list[Any] = []
    while time.monotonic() < deadline and not any(
        m.key() == still_open.encode() and b"overdue" in (m.value() or b"") for m in alerts
    ):
        time.sleep(0.5)
        alerts = kafka_log.read_to_end(
            infra.bootstrap_servers, Topic.DEADLINE_ALERTS.value, since=since
        )
    mine = [m for m in alerts if (m.key() or b"").decode() in closed_ids | {still_open}]
    kinds = sorted(((m.key() or b"").decode(), _kind(m.value())) for m in mine)
    assert kinds == [(still_open, "due_soon"), (still_open, "overdue")], worker.log.read_text()[
        -3000:
    ]
    dead = kafka_log.read_to_end(
        infra.bootstrap_servers, "motcua.dlq.deadlines", since=dlq_since, keys=closed_ids
    )
    assert dead == []
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        letters = conn.execute(
            "SELECT dossier_id::text FROM apology_letters WHERE dossier_id = ANY(%s::uuid[])",
            ([*closed_ids, still_open],),
        ).fetchall()
        watched = conn.execute(
            "SELECT count(*) FROM watched_dossiers WHERE dossier_id = ANY(%s::uuid[])",
            (list(closed_ids),),
        ).fetchone()
    assert letters == [(still_open,)]
    assert watched == (0,)


def _kind(value: bytes | None) -> str:
    event_type: str = json.loads(value or b"{}")["type"]
    return event_type.split(".")[3]
