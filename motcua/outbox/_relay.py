"""Publish committed outbox rows to Kafka, in order, losing none.

- One relay publishes a schema's outbox at a time (a PostgreSQL advisory lock whose id is
  derived from the schema, so two services sharing a database never wait for each other;
  standbys of one service do), so the order of one key's (dossier's, invitation's) events
  in Kafka is the order they committed in.
- A key's next event is sent only once Kafka acknowledged the one before (a batch goes
  out in waves, one row per message key each): an event Kafka refuses blocks the later
  events of its key until it goes through, while other keys carry on.
- The producer is idempotent with ``acks=all`` and no delivery timeout: while Kafka is
  down the relay stalls and the outbox lag grows (an alert), it never skips a row.
- A row is marked published only after Kafka acknowledged it. A crash in between means
  the row is published again after restart with the same CloudEvents id, which every
  consumer deduplicates: at least once, never under a new id.
- Published rows are deleted after ``PUBLISHED_RETENTION``: the outbox is a queue, each
  service keeps its history elsewhere.
- A lost database connection is opened again (and the lock taken again) after
  ``RECONNECT_AFTER_S``; nothing else stops the relay but ``stop``.
- A fatal producer error (the idempotent producer lost its sequence, was fenced…) leaves
  the producer unusable for good: a new one from ``new_producer`` takes over, and the rows
  the old one had not confirmed go out again under their ids. Anything else the relay
  raises reaches its :class:`motcua.supervision.Supervisor`, which restarts it.
- While Kafka is down the relay says so once, then every ten seconds with how long and
  how often (``motcua.outage``); the lag gauge is read on its own schedule, so it grows
  through the outage; ``stop`` ends the wait at once, leaving the unacknowledged rows
  for the next start (they go out again under their ids).
- Every row is a CloudEvent (``enqueue`` takes only ``motcua.contracts.new_event``'s), so
  every message goes out in the CloudEvents Kafka binding's structured mode, with its
  ``content-type`` header (``motcua.contracts.structured_headers``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from confluent_kafka import KafkaError, KafkaException, Message, Producer

from motcua.contracts import structured_headers
from motcua.crash_points import crash_point
from motcua.kafka import idempotent_producer_config
from motcua.outage import Outage
from motcua.outbox._metrics import OUTBOX_LAG, OUTBOX_PUBLISHED, PUBLISH_ERRORS

FLUSH_SLICE_S = 0.5
LAG_EVERY_S = 2.0
STOP_FLUSH_S = 2.0
PUBLISHED_RETENTION = "1 day"
# How long a key whose event Kafka refused waits before that event is tried again.
RETRY_AFTER_S = 1.0
RECONNECT_AFTER_S = 5.0
STANDBY_POLL_S = 1.0
# Refusals that hold for every message to the topic, not for one request's messages.
TOPIC_ERRORS = frozenset(
    KafkaError(code).name()
    for code in (
        KafkaError._UNKNOWN_TOPIC,
        KafkaError._UNKNOWN_PARTITION,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.TOPIC_EXCEPTION,
    )
)


class _Stopping(Exception):
    """``stop`` was set while Kafka had not acknowledged a wave: leave it unmarked."""


class ProducerFatal(RuntimeError):
    """The producer reported a fatal error: it cannot send again, a new one is needed."""


def _is_fatal(error: KafkaError) -> bool:
    """The error itself is fatal, or the producer refuses because it met one before."""
    return bool(error.fatal()) or error.code() == KafkaError._FATAL


@dataclass(frozen=True)
class _Row:
    id: int
    topic: str
    key: str
    payload: str


def relay_producer_config(bootstrap_servers: str) -> dict[str, Any]:
    """The producer every relay needs for its guarantees (idempotent, ``acks=all``, no
    delivery timeout)."""
    return idempotent_producer_config(
        bootstrap_servers,
        **{
            "message.timeout.ms": 0,
            "linger.ms": 5,
            "compression.type": "lz4",
            # Java's (and aiokafka's) partitioner: a dossier's events land on the partition
            # the stream processors' own keyed topics use, so their tables co-partition.
            "partitioner": "murmur2_random",
        },
    )


def advisory_lock_id(schema: str) -> int:
    """The advisory lock of the relay of ``schema``'s outbox: stable across processes and
    releases (a hash, not Python's per-process ``hash``), one per schema."""
    digest = hashlib.sha256(f"motcua.outbox:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def outbox_schema(conn: psycopg.Connection) -> str:
    """The schema whose ``outbox`` table the connection's search_path finds."""
    row = conn.execute(
        "SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = to_regclass('outbox')"
    ).fetchone()
    if row is None:
        raise RuntimeError("no outbox table on the search path: are the migrations applied?")
    return str(row[0])


class OutboxRelay:
    """The relay of one service's outbox (the table its database role's search_path finds);
    ``service`` labels its metrics and names its logger."""

    def __init__(
        self,
        database_url: str,
        producer: Producer,
        *,
        service: str,
        batch_size: int = 1000,
        idle_wait_s: float = 0.02,
        new_producer: Callable[[], Producer] | None = None,
    ) -> None:
        self.database_url = database_url
        self.producer = producer
        self.new_producer = new_producer
        self.service = service
        self.batch_size = batch_size
        self.idle_wait_s = idle_wait_s
        self._log = logging.getLogger(f"motcua.{service}.relay")
        self._lag = OUTBOX_LAG.labels(service)
        self._published = OUTBOX_PUBLISHED.labels(service)
        self._last_cleanup = 0.0
        # Keys whose oldest event Kafka refused, until when they sit out.
        self._held: dict[str, float] = {}
        self._kafka = Outage("Kafka", self._log)
        self._database = Outage("PostgreSQL", self._log)
        self._stop = threading.Event()
        self._fatal: KafkaError | None = None

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set; the batch in flight is finished first, unless
        Kafka is not acknowledging it (then it is left for the next start)."""
        self._stop = stop
        watcher = threading.Thread(
            target=self._watch_lag, args=(stop,), name=f"{self.service}-outbox-lag", daemon=True
        )
        watcher.start()
        while not stop.is_set():
            try:
                self._run_connected(stop)
                self._database.recovered()
            except _Stopping:
                break
            except ProducerFatal as exc:
                self._replace_producer(exc)
            except psycopg.OperationalError as exc:
                self._database.failed(exc)
                stop.wait(RECONNECT_AFTER_S)
        # What Kafka has not acknowledged by now is sent again after the restart.
        self.producer.purge(in_queue=True, in_flight=False)
        self.producer.flush(STOP_FLUSH_S)
        watcher.join(timeout=LAG_EVERY_S + 1)

    def _replace_producer(self, fatal: ProducerFatal) -> None:
        if self.new_producer is None:
            raise fatal
        self._log.error(
            "the producer failed for good; a new one takes over and sends the unconfirmed "
            "rows again under their ids",
            extra={"error": str(fatal)},
        )
        self.producer.purge(in_queue=True, in_flight=True)
        self.producer = self.new_producer()
        self._fatal = None
        PUBLISH_ERRORS.labels(self.service, "_FATAL").inc()

    def _watch_lag(self, stop: threading.Event) -> None:
        """The age of the oldest unpublished row, every ``LAG_EVERY_S``, on a connection of
        its own: it must grow while the publishing loop waits for Kafka."""
        conn: psycopg.Connection | None = None
        while not stop.wait(LAG_EVERY_S):
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
                self._update_lag(conn)
            except psycopg.OperationalError:
                conn = None  # the publishing loop reports PostgreSQL's outage
        if conn is not None:
            conn.close()

    def _run_connected(self, stop: threading.Event) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            schema = outbox_schema(conn)
            lock = advisory_lock_id(schema)
            while not stop.is_set():
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock,)).fetchone()
                if row and row[0]:
                    break
                stop.wait(STANDBY_POLL_S)
            else:
                return
            self._database.recovered()
            self._log.info("outbox relay active", extra={"schema": schema, "lock": lock})
            while not stop.is_set():
                published = self.publish_batch(conn)
                if published == 0:
                    self._update_lag(conn)
                    self._cleanup(conn)
                    stop.wait(self.idle_wait_s)

    def publish_batch(self, conn: psycopg.Connection) -> int:
        """Publish one batch of committed rows, in waves of one row per key.

        A wave sends each key's oldest unpublished row and waits for Kafka's answer; the
        next row of a key goes out only once the previous one was acknowledged (and marked).
        A row Kafka refuses (alone: the broker refuses whole requests, so a refused row is
        tried again by itself) therefore holds back the later rows of its own key — never
        those of another — and that key sits out for ``RETRY_AFTER_S`` before it is tried
        again, first row first. Sending everything at once would let a later event of a
        key overtake a refused earlier one.
        """
        pending = self._pending(conn)
        if pending:
            crash_point("outbox-read")  # rows in hand, nothing sent
        published = 0
        while pending:
            wave = [queue[0] for queue in pending.values()]
            refused = self._send_wave(wave)
            crash_point("outbox-acknowledged")  # Kafka has the wave; nothing marked yet
            acknowledged = [row.id for row in wave if row.id not in refused]
            if acknowledged:
                conn.execute(
                    "UPDATE outbox SET published_at = now() WHERE id = ANY(%s)", (acknowledged,)
                )
                self._published.inc(len(acknowledged))
                published += len(acknowledged)
            self._advance(pending, wave, refused)
        return published

    def _pending(self, conn: psycopg.Connection) -> dict[str, deque[_Row]]:
        """The batch's unpublished rows by key, oldest first, but for the keys sitting out."""
        now = time.monotonic()
        self._held = {key: until for key, until in self._held.items() if until > now}
        rows = conn.execute(
            "SELECT id, topic, message_key, payload::text FROM outbox "
            "WHERE published_at IS NULL AND NOT (message_key = ANY(%s)) ORDER BY id LIMIT %s",
            (list(self._held), self.batch_size),
        ).fetchall()
        pending: dict[str, deque[_Row]] = {}
        for row_id, topic, key, payload in rows:
            pending.setdefault(key, deque()).append(_Row(row_id, topic, key, payload))
        return pending

    def _send_wave(self, wave: list[_Row]) -> dict[int, str]:
        """Send ``wave``; the rows Kafka refused, each tried again alone first.

        The broker refuses a whole request (every message for one partition), so an
        innocent event may share a refusal — unless the error is the topic's, which every
        event to it shares anyway.
        """
        refused = self._send(wave)
        if len(wave) > 1:
            for row in [row for row in wave if row.id in refused]:
                if refused[row.id] not in TOPIC_ERRORS and not self._send([row]):
                    del refused[row.id]
        return refused

    def _advance(
        self, pending: dict[str, deque[_Row]], wave: list[_Row], refused: dict[int, str]
    ) -> None:
        """Take the acknowledged rows off their keys' queues; a refused row's key sits out
        with the rest of its queue."""
        for row in wave:
            if row.id in refused:
                del pending[row.key]  # the rest of this key waits behind it
                self._held[row.key] = time.monotonic() + RETRY_AFTER_S
            else:
                pending[row.key].popleft()
                if not pending[row.key]:
                    del pending[row.key]
        if refused:
            for name in refused.values():
                PUBLISH_ERRORS.labels(self.service, name).inc()
            self._log.error(
                "Kafka refused outbox events; they and their keys' later events stay "
                "in the outbox and are retried",
                extra={"errors": sorted(set(refused.values())), "count": len(refused)},
            )

    def _send(self, wave: list[_Row]) -> dict[int, str]:
        """Produce ``wave`` and wait for every delivery report; the refused rows' errors."""
        refused: dict[int, str] = {}
        for row in wave:
            error = self._produce(row, self._on_delivery(row.id, refused))
            if error is not None:
                refused[row.id] = error
        self._await_acknowledgements()
        return refused

    def _on_delivery(
        self, row_id: int, refused: dict[int, str]
    ) -> Callable[[KafkaError | None, Message], None]:
        def callback(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                refused[row_id] = error.name()
                if _is_fatal(error):
                    self._fatal = error

        return callback

    def _produce(
        self, row: _Row, on_delivery: Callable[[KafkaError | None, Message], None]
    ) -> str | None:
        """Hand ``row`` to the producer, waiting for room in its queue; the error's name
        if the producer refused it before it left (too large, unknown topic…): a delivery
        error like any other."""
        while True:
            try:
                self.producer.produce(
                    row.topic,
                    key=row.key.encode(),
                    value=row.payload.encode(),
                    headers=structured_headers(),
                    on_delivery=on_delivery,
                )
                return None
            except BufferError:
                self.producer.poll(0.05)
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if isinstance(error, KafkaError) and _is_fatal(error):
                    raise ProducerFatal(error.str()) from exc
                return str(error.name()) if error else type(exc).__name__

    def _await_acknowledgements(self) -> None:
        """Wait until Kafka answered for everything produced, saying so while it does not."""
        while self.producer.flush(FLUSH_SLICE_S) > 0:
            if self._fatal is not None:
                break
            self._kafka.failed("the outbox batch is not acknowledged yet")
            if self._stop.is_set():
                raise _Stopping
        if self._fatal is not None:
            raise ProducerFatal(self._fatal.str())
        self._kafka.recovered()

    def _update_lag(self, conn: psycopg.Connection) -> None:
        row = conn.execute(
            "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM outbox "
            "WHERE published_at IS NULL"
        ).fetchone()
        self._lag.set(float(row[0]) if row else 0.0)

    def _cleanup(self, conn: psycopg.Connection) -> None:
        """Published rows are only kept a day: each service keeps its history elsewhere (intake
        its timeline)."""
        if time.monotonic() - self._last_cleanup < 60:
            return
        self._last_cleanup = time.monotonic()
        conn.execute(
            "DELETE FROM outbox WHERE published_at < now() - %s::interval",
            (PUBLISHED_RETENTION,),
        )
