"""The relay without Kafka or PostgreSQL: its lock per schema, its waves per key, its metrics
per service, and that a database it cannot reach does not end it."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import KafkaError
from prometheus_client import REGISTRY

import motcua.outbox._relay as relay_module
from motcua.contracts import structured_headers
from motcua.outbox import OutboxRelay, advisory_lock_id, relay_producer_config
from tests.conftest import ROOT

Delivery = Callable[[KafkaError | None, Any], None]


class FakeProducer:
    """Acknowledges every message at flush, except those whose key is in ``refuse``."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.refuse = refuse or set()
        self.sent: list[tuple[str, str]] = []
        self.headers: list[Any] = []
        self._waiting: list[tuple[str, Delivery]] = []

    def produce(
        self, topic: str, *, key: bytes, value: bytes, headers: Any, on_delivery: Delivery
    ) -> None:
        self.headers.append(headers)
        self._waiting.append((key.decode(), on_delivery))

    def flush(self, _timeout: float = 0) -> int:
        for key, callback in self._waiting:
            refused = key in self.refuse
            if not refused:
                self.sent.append((key, "ok"))
            callback(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE) if refused else None, None)
        self._waiting.clear()
        return 0

    def purge(self, in_queue: bool = True, in_flight: bool = True) -> None:
        """Nothing waits in a fake's queue."""

    def poll(self, _timeout: float = 0) -> int:
        return 0


class FakeOutbox:
    """The two statements ``publish_batch`` runs, over rows (id, topic, key, payload)."""

    def __init__(self, rows: list[tuple[int, str, str, str]]) -> None:
        self.rows = rows
        self.published: list[int] = []

    def execute(self, query: str, params: tuple[Any, ...]) -> FakeOutbox:
        if query.startswith("UPDATE outbox SET published_at"):
            self.published.extend(params[0])
            self._result: list[tuple[Any, ...]] = []
        else:
            held, limit = params
            self._result = [
                row for row in self.rows if row[0] not in self.published and row[2] not in held
            ][:limit]
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._result


def _sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def _relay(producer: FakeProducer, service: str = "unit") -> OutboxRelay:
    return OutboxRelay("postgresql://unused", producer, service=service)  # type: ignore[arg-type]


def test_the_lock_is_one_per_schema_and_the_same_in_every_process() -> None:
    ids = {schema: advisory_lock_id(schema) for schema in ("intake", "ratings", "reporting")}
    assert len(set(ids.values())) == 3
    assert all(-(2**63) <= lock < 2**63 for lock in ids.values())
    other_process = subprocess.run(
        [
            sys.executable,
            "-c",
            "from motcua.outbox import advisory_lock_id as a; print(a('ratings'))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(other_process.stdout) == ids["ratings"]


def test_the_shared_package_imports_no_service() -> None:
    probe = (
        "import sys, motcua.outbox; "
        "print(sorted(m for m in sys.modules if m.startswith('services')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_producer_keeps_the_guarantees() -> None:
    config = relay_producer_config("kafka:9092")
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["message.timeout.ms"] == 0


def test_a_batch_goes_out_in_waves_and_a_refused_key_holds_back_only_its_own_rows() -> None:
    outbox = FakeOutbox(
        [
            (1, "t", "refused", "{}"),
            (2, "t", "free", "{}"),
            (3, "t", "refused", "{}"),
            (4, "t", "free", "{}"),
        ]
    )
    producer = FakeProducer(refuse={"refused"})
    relay = _relay(producer, service="unit-waves")

    assert relay.publish_batch(outbox) == 2  # type: ignore[arg-type]
    assert outbox.published == [2, 4]
    assert producer.sent == [("free", "ok"), ("free", "ok")]
    # Every row is a CloudEvent: each message says so in the binding's structured mode.
    assert producer.headers == [structured_headers()] * 4
    assert _sample("motcua_outbox_published_total", service="unit-waves") == 2
    errors = _sample(
        "motcua_outbox_publish_errors_total", service="unit-waves", error="MSG_SIZE_TOO_LARGE"
    )
    assert errors == 1
    # The refused key sits out: the next round does not even read its rows.
    assert relay.publish_batch(outbox) == 0  # type: ignore[arg-type]

    producer.refuse.clear()
    relay._held.clear()  # its RETRY_AFTER_S has passed
    assert relay.publish_batch(outbox) == 2  # type: ignore[arg-type]
    assert outbox.published == [2, 4, 1, 3]


def test_a_database_it_cannot_reach_is_tried_again_quietly_until_stopped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(relay_module, "RECONNECT_AFTER_S", 0.05)
    relay = OutboxRelay(
        "postgresql://127.0.0.1:1/none?connect_timeout=1",
        FakeProducer(),  # type: ignore[arg-type]
        service="unit-reconnect",
    )
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    with caplog.at_level(logging.WARNING, logger="motcua.unit-reconnect.relay"):
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while relay._database.failures < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert worker.is_alive()
        finally:
            stop.set()
            worker.join(timeout=5)
    assert not worker.is_alive()
    assert relay._database.failures >= 5, "it tried again"
    # Five attempts in well under ten seconds: one line says so, not five.
    assert [record.getMessage() for record in caplog.records] == [
        "PostgreSQL unreachable; retrying"
    ]


class FatalProducer(FakeProducer):
    """Fails every delivery with a fatal error, as an idempotent producer does once it has
    lost its sequence: it can never send again."""

    def flush(self, _timeout: float = 0) -> int:
        for _, callback in self._waiting:
            callback(KafkaError(KafkaError._FATAL, "sequence lost", fatal=True), None)
        self._waiting.clear()
        return 0


def test_a_fatal_producer_error_marks_nothing_and_asks_for_a_new_producer() -> None:
    outbox = FakeOutbox([(1, "t", "a", "{}"), (2, "t", "b", "{}")])
    replacement = FakeProducer()
    relay = OutboxRelay(
        "postgresql://unused",
        FatalProducer(),  # type: ignore[arg-type]
        service="unit-fatal",
        new_producer=lambda: replacement,  # type: ignore[arg-type,return-value]
    )
    with pytest.raises(relay_module.ProducerFatal) as fatal:
        relay.publish_batch(outbox)  # type: ignore[arg-type]
    assert outbox.published == []
    relay._replace_producer(fatal.value)
    assert relay.producer is replacement
    assert relay.publish_batch(outbox) == 2  # type: ignore[arg-type]
    assert outbox.published == [1, 2]
    assert _sample("motcua_outbox_publish_errors_total", service="unit-fatal", error="_FATAL") == 1


def test_without_a_way_to_make_a_producer_the_fatal_error_goes_to_the_supervisor() -> None:
    relay = _relay(FatalProducer(), service="unit-fatal-alone")
    with pytest.raises(relay_module.ProducerFatal):
        relay._replace_producer(relay_module.ProducerFatal("sequence lost"))
