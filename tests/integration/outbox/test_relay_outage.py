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
from confluent_kafka import KafkaError, KafkaException, Producer

from motcua.kafka import TopicSpec, ensure_topics
from motcua.outbox import OutboxRelay, enqueue, relay_producer_config
from motcua.outbox._metrics import OUTBOX_LAG
from tests.conftest import Infra


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


class _FatalOnce:
    """A real producer that, the first time it is asked to send, fails as an idempotent
    producer does for good (librdkafka's ``_FATAL``)."""

    def __init__(self, producer: Producer) -> None:
        self._producer = producer

    def produce(self, *args: object, **kwargs: object) -> None:
        raise KafkaException(KafkaError(KafkaError._FATAL, "test: sequence lost", fatal=True))

    def __getattr__(self, name: str) -> object:
        return getattr(self._producer, name)


def test_a_fatal_producer_error_is_survived_with_a_new_producer(
    intake_url: str, infra: Infra
) -> None:
    service = f"test-fatal-{uuid.uuid4().hex[:6]}"
    topic = f"test-fatal-{uuid.uuid4().hex[:6]}"
    ensure_topics(infra.bootstrap_servers, [TopicSpec(topic, "test", partitions=1)])
    ids = [str(uuid.uuid4()) for _ in range(3)]
    with psycopg.connect(intake_url) as conn:
        for event_id in ids:
            enqueue({"id": event_id, "type": "test"}, topic=topic, key=event_id, db_session=conn)
    config = relay_producer_config(infra.bootstrap_servers)
    made: list[Producer] = []

    def new_producer() -> Producer:
        made.append(Producer(config))
        return made[-1]

    relay = OutboxRelay(
        intake_url,
        _FatalOnce(Producer(config)),  # type: ignore[arg-type]
        service=service,
        new_producer=new_producer,
    )
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            with psycopg.connect(intake_url) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL "
                    "AND event_id = ANY(%s)",
                    (ids,),
                ).fetchone()
            if row == (3,):
                break
            assert worker.is_alive(), "the relay ended on the fatal error"
            assert time.monotonic() < deadline, "the rows were not published by a new producer"
            time.sleep(0.2)
        assert len(made) == 1
    finally:
        stop.set()
        worker.join(timeout=15)
        with psycopg.connect(intake_url) as conn:
            conn.execute("DELETE FROM outbox WHERE event_id = ANY(%s)", (ids,))
