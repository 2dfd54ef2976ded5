"""Publish committed outbox rows to Kafka, in order, losing none.

- One relay publishes at a time (a PostgreSQL advisory lock; standbys wait), so the
  order of one dossier's events in Kafka is the order they committed in.
- The producer is idempotent with ``acks=all`` and no delivery timeout: while Kafka is
  down the relay stalls and the outbox lag grows (an alert), it never skips a row.
- A row is marked published only after Kafka acknowledged it. A crash in between means
  the row is published again after restart with the same CloudEvents id, which every
  consumer deduplicates: at least once, never under a new id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from confluent_kafka import KafkaError, Message, Producer

from services.intake.metrics import OUTBOX_LAG, OUTBOX_PUBLISHED, PUBLISH_ERRORS

_log = logging.getLogger("motcua.intake.relay")
ADVISORY_LOCK = 0x6D6F7463  # "motc": one relay per database
FLUSH_SLICE_S = 1.0
PUBLISHED_RETENTION = "1 day"


def relay_producer_config(bootstrap_servers: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap_servers,
        "enable.idempotence": True,
        "acks": "all",
        "message.timeout.ms": 0,
        "linger.ms": 5,
        "compression.type": "lz4",
        # Java's (and aiokafka's) partitioner: a dossier's events land on the partition the
        # stream processors' own keyed topics use, so their tables co-partition.
        "partitioner": "murmur2_random",
        "log_level": 3,
    }


class OutboxRelay:
    def __init__(
        self,
        database_url: str,
        producer: Producer,
        *,
        batch_size: int = 1000,
        idle_wait_s: float = 0.02,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.database_url = database_url
        self.producer = producer
        self.batch_size = batch_size
        self.idle_wait_s = idle_wait_s
        self.on_batch = on_batch
        self._last_cleanup = 0.0

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set; the batch in flight is finished first."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not stop.is_set():
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK,)).fetchone()
                if row and row[0]:
                    break
                stop.wait(1.0)
            else:
                return
            _log.info("outbox relay active")
            while not stop.is_set():
                published = self.publish_batch(conn)
                if published == 0:
                    self._update_lag(conn)
                    self._cleanup(conn)
                    stop.wait(self.idle_wait_s)
        self.producer.flush(10)

    def publish_batch(self, conn: psycopg.Connection) -> int:
        rows = conn.execute(
            "SELECT id, topic, message_key, payload::text FROM outbox "
            "WHERE published_at IS NULL ORDER BY id LIMIT %s",
            (self.batch_size,),
        ).fetchall()
        if not rows:
            return 0
        acknowledged: list[int] = []
        failures: list[str] = []

        def delivered(row_id: int) -> Callable[[KafkaError | None, Message], None]:
            def callback(error: KafkaError | None, _: Message) -> None:
                if error is None:
                    acknowledged.append(row_id)
                else:
                    failures.append(error.name())

            return callback

        for row_id, topic, key, payload in rows:
            while True:
                try:
                    self.producer.produce(
                        topic,
                        key=key.encode(),
                        value=payload.encode(),
                        on_delivery=delivered(row_id),
                    )
                    break
                except BufferError:
                    self.producer.poll(0.05)
        while self.producer.flush(FLUSH_SLICE_S) > 0:
            _log.warning("Kafka has not acknowledged the outbox batch yet; waiting")
        if acknowledged:
            conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY(%s)", (acknowledged,)
            )
            OUTBOX_PUBLISHED.inc(len(acknowledged))
        for name in failures:
            PUBLISH_ERRORS.labels(name).inc()
        if failures:
            _log.error(
                "Kafka refused outbox events; they stay in the outbox and are retried",
                extra={"errors": sorted(set(failures)), "count": len(failures)},
            )
            time.sleep(1.0)
        if self.on_batch:
            self.on_batch(len(acknowledged))
        return len(acknowledged)

    def _update_lag(self, conn: psycopg.Connection) -> None:
        row = conn.execute(
            "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM outbox "
            "WHERE published_at IS NULL"
        ).fetchone()
        OUTBOX_LAG.set(float(row[0]) if row else 0.0)

    def _cleanup(self, conn: psycopg.Connection) -> None:
        """Published rows are only kept a day: the timeline keeps the history."""
        if time.monotonic() - self._last_cleanup < 60:
            return
        self._last_cleanup = time.monotonic()
        conn.execute(
            "DELETE FROM outbox WHERE published_at < now() - %s::interval",
            (PUBLISHED_RETENTION,),
        )
