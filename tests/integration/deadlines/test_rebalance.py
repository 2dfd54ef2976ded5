"""Two deadlines workers in one consumer group: every alert exactly once across rebalances.

The issue asks for each alert exactly once per dossier and lateness episode, across
restarts (``test_alerts.py``) and across rebalances between two workers (here). Worker A
starts alone while dossiers keep arriving, due over the next seconds; worker B joins
(rebalance); a burst of dossiers arrives and A is killed with SIGKILL while both workers
are sending its alerts (after the session timeout B takes A's partitions); A comes back on
its own data directory, whose tables it restores from Kafka as it did not stop cleanly
(rebalance); B stops with SIGTERM (a clean hand-over). Then every due-soon and overdue
alert must be on the alerts topic, each as exactly one Kafka record.

The workers run on the platform's topics, exactly as deployed; only this test's dossiers
(fresh ids) are counted. Like every test here it expects a broker of its own (``make
test`` starts one): another session's deadlines workers on the same broker would alert on
these dossiers too.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    ConsumerGroupState,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from motcua.contracts import encode_event
from motcua.kafka import Topic
from services.deadlines.tracking import ALERT_NAMESPACE
from tests.conftest import Database, Infra
from tests.integration.deadlines.test_alerts import Worker, _received

pytestmark = pytest.mark.long  # a minute; `make chaos` runs it, the short chaos run covers it

PARTITIONS = 6
EXPECTED_KINDS = ("due_soon", "overdue")


class GroupWorker(Worker):
    """``test_alerts``' worker, in a consumer group shared with another worker."""

    def __init__(self, infra: Infra, database: Database, tmp: Path, *, app_id: str) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        super().__init__(infra, database, tmp)
        self.env.update(
            {
                "APP_ID": app_id,
                # The shortest allowed: a killed worker's partitions move after 6 s.
                "CONSUMER_SESSION_TIMEOUT_S": "6",
            }
        )

    def tail(self, chars: int = 2500) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- worker {self.log.parent.name} ---\n{text[-chars:]}"


class DossierStream(threading.Thread):
    """Dossier-received events at a steady rate until stopped, and bursts on demand.

    Due-soon fires one working day before the due date, so at once; the dues are spread
    over 6-25 s after each receipt, so overdue alerts keep falling due through the test.
    Only dossiers whose event the broker acknowledged are expected to alert.
    """

    def __init__(self, bootstrap_servers: str, topic: str, per_second: float = 3.0) -> None:
        super().__init__(name="dossier-stream", daemon=True)
        self._producer = Producer(
            {"bootstrap.servers": bootstrap_servers, "partitioner": "murmur2_random"}
        )
        self._topic = topic
        self._period = 1.0 / per_second
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._dues: dict[str, datetime] = {}
        self._sent: set[str] = set()
        self.errors: list[str] = []

    def run(self) -> None:
        n = 0
        while not self._halt.wait(self._period):
            self._send(str(uuid.uuid4()), timedelta(seconds=6 + (n * 7) % 20))
            self._producer.poll(0)
            n += 1
        if self._producer.flush(15) != 0:
            self.errors.append("dossier events left undelivered")

    def burst(self, size: int, due_in: timedelta) -> set[str]:
        """``size`` dossiers at once, all due at the same instant."""
        dossier_ids = {str(uuid.uuid4()) for _ in range(size)}
        for dossier_id in dossier_ids:
            self._send(dossier_id, due_in)
        if self._producer.flush(15) != 0:
            self.errors.append("burst left undelivered")
        return dossier_ids

    def _send(self, dossier_id: str, due_in: timedelta) -> None:
        due = datetime.now(UTC) + due_in

        def delivered(error: Any, _message: Any) -> None:
            if error is not None:
                self.errors.append(str(error))
                return
            with self._lock:
                self._dues[dossier_id] = due

        with self._lock:
            self._sent.add(dossier_id)
        self._producer.produce(
            self._topic,
            key=dossier_id.encode(),
            value=encode_event(_received(dossier_id, due)),
            on_delivery=delivered,
        )

    def stop(self) -> None:
        self._halt.set()
        if self.ident is not None:
            self.join(timeout=30)

    def sent(self, dossier_id: str) -> bool:
        """Whether ``dossier_id`` is one of this stream's (asked before it can alert)."""
        with self._lock:
            return dossier_id in self._sent

    def dues(self) -> dict[str, datetime]:
        with self._lock:
            return dict(self._dues)


class AlertLog(threading.Thread):
    """Every alert about the stream's dossiers, from the topic's first offset."""

    def __init__(self, bootstrap_servers: str, topic: str, ours: Callable[[str], bool]) -> None:
        super().__init__(name="alert-log", daemon=True)
        self._ours = ours
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": f"t-{uuid.uuid4()}",
                "enable.auto.commit": False,
                # What downstream consumers see: aborted transactions' records do not count.
                "isolation.level": "read_committed",
            }
        )
        self._consumer.assign(
            [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)]
        )
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []

    def run(self) -> None:
        try:
            while not self._halt.is_set():
                message = self._consumer.poll(0.1)
                if message is None or message.error() or message.value() is None:
                    continue
                event = json.loads(message.value() or b"")
                if not self._ours(event["subject"]):
                    continue
                with self._lock:
                    self._events.append(event)
        finally:
            self._consumer.close()

    def stop(self) -> None:
        self._halt.set()
        if self.ident is not None:
            self.join(timeout=30)

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events)

    def count(self, dossier_ids: Collection[str] | None = None) -> int:
        with self._lock:
            return sum(
                1 for e in self._events if dossier_ids is None or e["subject"] in dossier_ids
            )


# What a fresh broker's group coordinator answers while it loads.
STARTING_COORDINATOR = (
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
)


def _alert_key(event: dict[str, Any]) -> tuple[str, str, int]:
    return event["subject"], event["type"].split(".")[3], int(event["data"]["episode"])


def _records(events: list[dict[str, Any]]) -> Counter[tuple[str, str, int]]:
    """Kafka records per (dossier, kind, episode): a repeated alert counts twice."""
    return Counter(_alert_key(event) for event in events)


def _wait_for(
    what: str,
    condition: Callable[[], bool],
    timeout: float,
    logs: Callable[[], str],
    poll: float = 0.2,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")
        time.sleep(poll)


def test_two_workers_alert_exactly_once_across_rebalances(
    infra: Infra, database: Database, tmp_path: Path
) -> None:
    app_id = f"motcua-deadlines-rebalance-{uuid.uuid4().hex[:8]}"
    a, b = (GroupWorker(infra, database, tmp_path / name, app_id=app_id) for name in ("a", "b"))
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    stream = DossierStream(infra.bootstrap_servers, Topic.DOSSIER_EVENTS.value)
    alerts = AlertLog(infra.bootstrap_servers, Topic.DEADLINE_ALERTS.value, stream.sent)
    started = time.monotonic()
    timeline: list[str] = []

    def logs() -> str:
        return "\n".join([*timeline, a.tail(), b.tail()])

    def step(name: str) -> None:
        timeline.append(f"{time.monotonic() - started:5.1f} s  {name}")

    def group_of(members: int) -> Callable[[], bool]:
        def stable() -> bool:
            try:
                described = admin.describe_consumer_groups([app_id], request_timeout=10)
                group = described[app_id].result()
            except KafkaException as exc:  # a fresh broker's group coordinator still loads
                if exc.args[0].code() not in STARTING_COORDINATOR:
                    raise
                return False
            return group.state == ConsumerGroupState.STABLE and len(group.members) == members

        return stable

    def more_alerts(n: int, dossier_ids: Collection[str] | None = None) -> Callable[[], bool]:
        target = alerts.count(dossier_ids) + n
        return lambda: alerts.count(dossier_ids) >= target

    alerts.start()
    try:
        a.start()
        _wait_for("worker A to join", group_of(1), 60, logs)
        stream.start()
        step("A alone, dossiers arriving")
        _wait_for("A's first alerts", more_alerts(10), 60, logs)
        b.start()
        _wait_for("B to join A", group_of(2), 60, logs)
        step("B joined")
        _wait_for("alerts after B joined", more_alerts(10), 60, logs)
        # Kill A while both are busy sending alerts: its last ones are in flight.
        burst = stream.burst(60, due_in=timedelta(seconds=8))
        _wait_for("the burst's first alerts", more_alerts(10, burst), 30, logs, poll=0.01)
        assert a.stop(signal.SIGKILL) == -signal.SIGKILL
        step(f"A killed, {alerts.count(burst)} of the burst's 120 alerts seen")
        _wait_for("B alone after A's death", group_of(1), 60, logs)
        step("B took A's partitions")
        _wait_for("alerts after A's death", more_alerts(10), 60, logs)
        a.start()
        _wait_for("A to rejoin B", group_of(2), 60, logs)
        step("A rejoined")
        # Its table files may hold writes their changelog never got: restored from Kafka.
        assert "last stop was not clean" in a.log.read_text(), a.tail()
        _wait_for("alerts after A rejoined", more_alerts(10), 60, logs)
        assert b.stop(signal.SIGTERM) == 0
        step("B stopped")
        _wait_for("A alone after B left", group_of(1), 60, logs)
        _wait_for("alerts after B left", more_alerts(5), 60, logs)
        stream.stop()
        step("dossiers stopped")
        assert not stream.errors, stream.errors
        dues = stream.dues()
        expected = {(d, kind, 1) for d in dues for kind in EXPECTED_KINDS}
        settle = max(0.0, (max(dues.values()) - datetime.now(UTC)).total_seconds()) + 30
        _wait_for(
            "every expected alert",
            lambda: expected <= set(_records(alerts.events())),
            settle,
            lambda: f"missing: {sorted(expected - set(_records(alerts.events())))}\n{logs()}",
        )
        step("every alert seen")
        # A repeated alert (a check processed again, an alert sent again) would be here by now.
        time.sleep(3)
        assert a.stop(signal.SIGTERM) == 0
    finally:
        stream.stop()
        alerts.stop()
        for worker in (a, b):
            if worker.process and worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()

    events = alerts.events()
    records = _records(events)
    repeated = {key: n for key, n in records.items() if n > 1}
    unexpected = set(records) - expected
    extra = sum(repeated.values()) - len(repeated)
    summary = (
        f"{len(dues)} dossiers, {len(events)} alert records: "
        f"{len(repeated)} alerts repeated ({extra} extra records), "
        f"{len(unexpected)} unexpected; {time.monotonic() - started:.0f} s\n" + "\n".join(timeline)
    )
    print(f"\nrebalance: {summary}")
    assert not repeated, f"{summary}\nrepeated: {sorted(repeated.items())[:10]}\n{logs()}"
    assert not unexpected, f"{summary}\nunexpected: {sorted(unexpected)[:10]}"
    wrong_ids = [
        e
        for e in events
        if e["id"] != str(uuid.uuid5(ALERT_NAMESPACE, "{}:{}:{}".format(*_alert_key(e))))
    ]
    assert not wrong_ids, wrong_ids[:3]
