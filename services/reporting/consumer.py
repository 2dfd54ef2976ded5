"""Reporting's consumer: its handler on :class:`motcua.kafka.ConsumerLoop`, whose position
lives in PostgreSQL beside the figures (``Commit.STORED``).

- On every assignment the loop seeks each partition to the offset ``consumed_offsets``
  holds (the beginning when there is none), so the group's committed offsets in Kafka
  never decide what is counted; the loop commits them too, after each batch, only so that
  lag can be watched like every other group's.
- Each batch is one transaction (``projection.apply_batch``, which stores the offsets); a
  poison message goes to ``motcua.dlq.reporting`` with its reason, acknowledged inside
  that transaction, before its offset is stored.
- ``replay`` reads the same topics with no group up to the ends they had when it started
  (the loop's ``Assigned(until_end=True)``): what ``manage rebuild`` runs into a fresh
  schema.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from confluent_kafka import Consumer, Message, TopicPartition
from psycopg_pool import ConnectionPool

from motcua.calendar import WorkingCalendar
from motcua.crash_points import crash_point
from motcua.kafka import Assigned, Commit, ConsumerLoop, DeadLetters, Group, Handler
from services.reporting import store
from services.reporting.metrics import EVENTS_APPLIED, LAST_APPLIED, VISIBLE_SECONDS
from services.reporting.projection import TOPICS, Applied, Record, apply_batch

SERVICE = "reporting"
TOPIC_NAMES: tuple[str, ...] = tuple(topic.value for topic in TOPICS)
_log = logging.getLogger("motcua.reporting.consumer")


def topic_roles(prefix: str = "") -> dict[str, str]:
    """The topics to read, each standing for one of reporting's."""
    return {f"{prefix}{name}": name for name in TOPIC_NAMES}


def _record(message: Message) -> Record:
    kind, timestamp = message.timestamp()
    return Record(
        topic=str(message.topic()),
        partition=int(message.partition() or 0),
        offset=int(message.offset() or 0),
        value=message.value(),
        timestamp_ms=timestamp if kind else None,
    )


class FactConsumer:
    def __init__(
        self,
        bootstrap_servers: str,
        pool: ConnectionPool,
        calendar: WorkingCalendar,
        *,
        group_id: str = "motcua-reporting",
        topics: Mapping[str, str] | None = None,
        batch_size: int = 2000,
        retry_wait_s: float = 2.0,
        on_batch: Callable[[Applied], None] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.pool = pool
        self.calendar = calendar
        self.group_id = group_id
        self.roles = dict(topics or {name: name for name in TOPIC_NAMES})
        """Each topic read, and which of reporting's topics it stands for."""
        self.topics = list(self.roles)
        self.batch_size = batch_size
        self.retry_wait_s = retry_wait_s
        self.on_batch = on_batch

    def _loop(self, mode: Group | Assigned, handler: Handler) -> ConsumerLoop:
        return ConsumerLoop(
            "reporting-facts",
            self.bootstrap_servers,
            self.topics,
            handler,
            mode,
            service=SERVICE,
            batch_size=self.batch_size,
            poll_timeout_s=0.2,
            retry_wait_s=self.retry_wait_s,
            log=_log,
        )

    def _stored_offsets(self) -> dict[tuple[str, int], int]:
        with self.pool.connection() as conn:
            return store.stored_offsets(db_session=conn)

    def run(self, stop: threading.Event) -> None:
        """Count what the group assigns this worker until ``stop`` is set."""
        mode = Group(self.group_id, Commit.STORED, stored_offsets=self._stored_offsets)
        self._loop(mode, self.handle).run(stop)

    def replay(self, stop: threading.Event | None = None) -> int:
        """Every message of the topics from the beginning up to their ends now (or, when
        the schema already holds offsets, from there); returns how many were applied."""
        count = 0

        def counted(batch: Sequence[Message], dead_letters: DeadLetters) -> None:
            nonlocal count
            self.handle(batch, dead_letters)
            count += len(batch)

        self._loop(Assigned(self._replay_start, until_end=True), counted).run(
            stop or threading.Event()
        )
        return count

    def _replay_start(self, consumer: Consumer) -> list[TopicPartition]:
        """Each partition from its stored offset, or its first record."""
        stored = self._stored_offsets()
        metadata = consumer.list_topics(timeout=10)
        start = []
        for topic in self.topics:
            for partition in metadata.topics[topic].partitions:
                low, _ = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10
                )
                start.append(
                    TopicPartition(topic, partition, max(low, stored.get((topic, partition), low)))
                )
        return start

    def handle(self, batch: Sequence[Message], dead_letters: DeadLetters) -> None:
        """The batch's facts and offsets in one transaction, its poison dead-lettered in it."""
        records = [_record(m) for m in batch]
        by_offset = {
            (r.topic, r.partition, r.offset): m for r, m in zip(records, batch, strict=True)
        }
        with self.pool.connection() as conn, conn.transaction():
            applied = apply_batch(records, self.calendar, roles=self.roles, db_session=conn)
            for record, letter in applied.rejected:
                dead_letters.send(
                    by_offset[(record.topic, record.partition, record.offset)], letter
                )
            crash_point("facts-written")  # the batch's facts and offsets, uncommitted
        crash_point("facts-committed")  # in PostgreSQL; Kafka's offsets not yet
        self._observe(records, applied)

    def _observe(self, records: Sequence[Record], applied: Applied) -> None:
        now = time.time()
        for topic, count in applied.events.items():
            EVENTS_APPLIED.labels(topic).inc(count)
        for record in records:
            if record.timestamp_ms:
                VISIBLE_SECONDS.observe(max(0.0, now - record.timestamp_ms / 1000))
        LAST_APPLIED.set(now)
        if self.on_batch is not None:
            self.on_batch(applied)
