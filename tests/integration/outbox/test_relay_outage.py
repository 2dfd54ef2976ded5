"""The relay with Kafka unreachable: the lag gauge grows through the outage, the log says
so once and then every ten seconds, and ``stop`` ends it at once, the unacknowledged rows
left for the next start."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid

import psycopg
import pytest
from confluent_kafka import Producer

from motcua.outbox import OutboxRelay, enqueue, relay_producer_config
from motcua.outbox._metrics import OUTBOX_LAG


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: nothing listens there


def test_an_outage_grows_the_lag_logs_little_and_stops_promptly(
    intake_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = f"test-outage-{uuid.uuid4().hex[:6]}"
    ids = [str(uuid.uuid4()) for _ in range(5)]
    with psycopg.connect(intake_url) as conn:
        for event_id in ids:
            enqueue(
                {"id": event_id, "type": "test"},
                topic=f"test-outage-{event_id}",
                key=event_id,
                db_session=conn,
            )
    producer = Producer(relay_producer_config(f"127.0.0.1:{_dead_port()}"))
    relay = OutboxRelay(intake_url, producer, service=service)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    try:
        with caplog.at_level(logging.WARNING, logger=f"motcua.{service}.relay"):
            worker.start()
            deadline = time.monotonic() + 30
            lag = OUTBOX_LAG.labels(service)
            while lag._value.get() < 5:
                assert time.monotonic() < deadline, "the lag gauge did not grow in the outage"
                time.sleep(0.2)
            stop.set()
            stopped_at = time.monotonic()
            worker.join(timeout=15)
            assert not worker.is_alive(), "the relay did not stop within 15 s"
            assert time.monotonic() - stopped_at < 10
        lines = [r.getMessage() for r in caplog.records if "Kafka" in r.getMessage()]
        assert lines, "the outage was not logged"
        assert len(lines) <= 2, lines  # about 6 s of outage: the first line, maybe one more
        with psycopg.connect(intake_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL AND event_id = ANY(%s)",
                (ids,),
            ).fetchone()
        assert row == (5,)
    finally:
        stop.set()
        worker.join(timeout=15)
        with psycopg.connect(intake_url) as conn:
            conn.execute("DELETE FROM outbox WHERE event_id = ANY(%s)", (ids,))
