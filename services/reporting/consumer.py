"""Reporting's consumer: a plain confluent-kafka consumer whose position lives in
PostgreSQL, beside the figures.

- On every assignment it seeks each partition to the offset ``consumed_offsets`` holds
  (the beginning when there is none), so the group's committed offsets in Kafka never
  decide what is counted; they are committed too, after each batch, only so that lag
  can be watched like every other group's.
- Each batch is one transaction (``projection.apply_batch``); a poison message goes to
  ``motcua.dlq.reporting`` with its reason, acknowledged before its offset is stored.
- ``replay`` reads the same topics with no group up to the ends they had when it started:
  what ``manage rebuild`` runs into a fresh schema.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import psycopg
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, Producer, TopicPartition
from psycopg_pool import ConnectionPool

from motcua.calendar import WorkingCalendar
from motcua.crash_points import crash_point
from motcua.kafka import (
    consumer_config,
    idempotent_producer_config,
    next_offsets,
    send_to_dead_letter,
)
from motcua.outage import Outage
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
        self._producer: Producer | None = None
        self._kafka = Outage("Kafka", _log)
        self._database = Outage("PostgreSQL", _log)

    def _config(self, group_id: str) -> dict[str, object]:
        # The offsets live with the figures; Kafka's committed ones are only a hint.
        return consumer_config(
            self.bootstrap_servers, group_id, **{"enable.auto.offset.store": False}
        )

    @property
    def producer(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(idempotent_producer_config(self.bootstrap_servers))
        return self._producer

    def run(self, stop: threading.Event) -> None:
        """Count what the group assigns this worker until ``stop`` is set."""
        consumer = Consumer(self._config(self.group_id))
        consumer.subscribe(self.topics, on_assign=self._seek_to_stored)
        try:
            while not stop.is_set():
                batch = self._poll(consumer)
                if batch and self._apply_until_done(batch, stop):
                    consumer.commit(offsets=next_offsets(batch), asynchronous=True)
        finally:
            consumer.close()
            if self._producer is not None:
                self._producer.flush(10)

    def _seek_to_stored(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        with self.pool.connection() as conn:
            offsets = store.stored_offsets(db_session=conn)
        for partition in partitions:
            partition.offset = offsets.get((partition.topic, partition.partition), OFFSET_BEGINNING)
        consumer.assign(partitions)
        _log.info(
            "partitions assigned",
            extra={"partitions": [f"{p.topic}[{p.partition}]@{p.offset}" for p in partitions]},
        )

    def replay(self, stop: threading.Event | None = None) -> int:
        """Every message of the topics from the beginning up to their ends now (or, when
        the schema already holds offsets, from there); returns how many were applied."""
        stop = stop or threading.Event()
        consumer = Consumer(self._config(f"{self.group_id}-replay"))
        try:
            with self.pool.connection() as conn:
                stored = store.stored_offsets(db_session=conn)
            ends: dict[tuple[str, int], int] = {}
            assignment: list[TopicPartition] = []
            metadata = consumer.list_topics(timeout=10)
            for topic in self.topics:
                for partition in metadata.topics[topic].partitions:
                    low, high = consumer.get_watermark_offsets(
                        TopicPartition(topic, partition), timeout=10
                    )
                    start = max(low, stored.get((topic, partition), low))
                    if start < high:
                        ends[(topic, partition)] = high
                        assignment.append(TopicPartition(topic, partition, start))
            consumer.assign(assignment)
            count = 0
            while ends and not stop.is_set():
                batch = [
                    m
                    for m in self._poll(consumer)
                    if int(m.offset() or 0) < ends.get((str(m.topic()), int(m.partition() or 0)), 0)
                ]
                if batch and self._apply_until_done(batch, stop):
                    count += len(batch)
                for message in batch:
                    key = (str(message.topic()), int(message.partition() or 0))
                    if int(message.offset() or 0) + 1 >= ends.get(key, 0):
                        ends.pop(key, None)
            return count
        finally:
            consumer.close()

    def _poll(self, consumer: Consumer) -> list[Message]:
        messages = consumer.consume(self.batch_size, timeout=0.2)
        batch = []
        for message in messages:
            if message.error():
                self._kafka.failed(message.error())
            else:
                batch.append(message)
        if batch:
            self._kafka.recovered()
        return batch

    def _apply_until_done(self, batch: Sequence[Message], stop: threading.Event) -> bool:
        records = [_record(m) for m in batch]
        by_offset = {
            (r.topic, r.partition, r.offset): m for r, m in zip(records, batch, strict=True)
        }
        while not stop.is_set():
            try:
                with self.pool.connection() as conn, conn.transaction():
                    applied = apply_batch(records, self.calendar, roles=self.roles, db_session=conn)
                    for record, letter in applied.rejected:
                        source = by_offset[(record.topic, record.partition, record.offset)]
                        send_to_dead_letter(self.producer, SERVICE, source, letter)
                        _log.info(
                            "event dead-lettered",
                            extra={
                                "reason": letter.reason,
                                "topic": record.topic,
                                "offset": record.offset,
                            },
                        )
                    crash_point("facts-written")  # the batch's facts and offsets, uncommitted
            except psycopg.OperationalError as exc:
                self._database.failed(exc)  # the batch is tried again whole
                stop.wait(self.retry_wait_s)
                continue
            except RuntimeError as exc:
                self._kafka.failed(exc)  # a dead letter Kafka did not acknowledge
                stop.wait(self.retry_wait_s)
                continue
            crash_point("facts-committed")  # in PostgreSQL; Kafka's offsets not yet
            self._database.recovered()
            self._observe(records, applied)
            return True
        return False

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
