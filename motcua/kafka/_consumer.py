"""The one consumer loop every plain Kafka consumer of the platform runs on.

A service gives it a handler — a function of a batch of messages — and says how it
reads: as a member of a group (:class:`Group`), or from partitions it assigns itself
(:class:`Assigned`). The loop owns everything else:

- subscribe (seeking to the offsets the handler stored, for :attr:`Commit.STORED`) or
  assign (and know when it has caught up with the ends the partitions had then);
- poll in batches of at most ``batch_size`` and hand each batch to the handler;
- commit by the policy: after the handler returned (:attr:`Commit.AFTER_HANDLER`: the
  handler's transaction is done), or only as a lag hint when the handler stores the
  offsets with its own data (:attr:`Commit.STORED`); never when assigned;
- give the handler a :class:`DeadLetters` that writes a poison message, with its reason
  and its original headers, to the service's dead-letter topic;
- wait out PostgreSQL or Kafka being away with the batch in hand, one log line now and
  then (:class:`motcua.outage.Outage`), and try the same batch again;
- export throughput (``motcua_messages_consumed_total``) and lag
  (``motcua_consumer_lag_messages``);
- stop when its event is set (SIGTERM, through :class:`motcua.supervision.Supervisor`),
  leaving a batch it has not finished uncommitted.

:func:`read_range` is the same loop reading assigned partitions up to their ends once.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import psycopg
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from motcua.kafka._client import client_config, consumer_config, idempotent_producer_config
from motcua.kafka._dead_letter import DeadLetter, DeadLetterNotAcknowledged, send_to_dead_letter
from motcua.kafka._offsets import next_offsets
from motcua.metrics import CONSUMED, CONSUMER_LAG
from motcua.outage import Outage

_log = logging.getLogger("motcua.kafka.consumer")

Offsets = Mapping[tuple[str, int], int]
"""The next offset to read, per (topic, partition)."""


class Commit(StrEnum):
    """When a group member's position moves."""

    AFTER_HANDLER = "after-handler"
    """Committed to Kafka once the handler returned: its transaction (or dead letter) is
    done. At least once; the handler makes a redelivered message harmless."""
    STORED = "stored-with-data"
    """The handler stores the offsets in its own transaction; on every assignment the
    loop seeks to them. Kafka's committed offsets are only a hint for the lag."""


@dataclass(frozen=True)
class Group:
    """Subscribe as a member of ``group_id``."""

    group_id: str
    commit: Commit = Commit.AFTER_HANDLER
    stored_offsets: Callable[[], Offsets] | None = None
    """For :attr:`Commit.STORED`: read on every assignment (the beginning when absent)."""

    def __post_init__(self) -> None:
        if (self.commit == Commit.STORED) != (self.stored_offsets is not None):
            raise ValueError("stored offsets go with Commit.STORED, and only with it")


@dataclass(frozen=True)
class Assigned:
    """No group: read the partitions ``start`` returns, commit nothing."""

    start: Callable[[Consumer], Sequence[TopicPartition]]
    """The partitions and their first offsets, asked once the consumer exists."""
    until_end: bool = False
    """Return once the ends the partitions had when assigned are read (and nothing past)."""
    stop_before: Mapping[tuple[str, int], int] = field(default_factory=dict)
    """(topic, partition) → an offset to end there instead, if that is sooner."""


def from_beginning(topic: str) -> Callable[[Consumer], list[TopicPartition]]:
    """Every partition of ``topic`` from its first record."""

    def start(consumer: Consumer) -> list[TopicPartition]:
        partitions = consumer.list_topics(topic, timeout=5).topics[topic].partitions
        if not partitions:
            raise KafkaException(f"topic {topic} has no partitions")
        return [TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(partitions)]

    return start


class DeadLetters:
    """Where a handler gives up on a message; the producer is made on the first letter."""

    def __init__(self, bootstrap_servers: str, service: str, log: logging.Logger) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.service = service
        self.log = log
        self._producer: Producer | None = None

    def send(self, message: Message, letter: DeadLetter) -> None:
        """Written and acknowledged, or :class:`DeadLetterNotAcknowledged` (an outage)."""
        if self._producer is None:
            self._producer = Producer(idempotent_producer_config(self.bootstrap_servers))
        send_to_dead_letter(self._producer, self.service, message, letter)
        self.log.info(
            "message dead-lettered",
            extra={
                "reason": letter.reason,
                "topic": message.topic(),
                "partition": message.partition(),
                "offset": message.offset(),
            },
        )

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(10)


Handler = Callable[[Sequence[Message], DeadLetters], object]
"""Does a batch's work (one transaction, or one per message) and dead-letters what it
refuses; raises ``psycopg.OperationalError`` or :class:`DeadLetterNotAcknowledged` to
have the same batch tried again once the dependency is back."""


class _Ends:
    """Where each assigned partition ended when it was assigned, and which are read."""

    def __init__(self, ends: Offsets) -> None:
        self.ends = dict(ends)
        self.pending = {key for key, end in ends.items() if end > 0}

    @classmethod
    def of(
        cls,
        consumer: Consumer,
        start: Sequence[TopicPartition],
        stop_before: Mapping[tuple[str, int], int],
    ) -> _Ends:
        ends: dict[tuple[str, int], int] = {}
        for tp in start:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=5
            )
            high = min(high, stop_before.get((tp.topic, tp.partition), high))
            first = tp.offset if tp.offset >= 0 else low
            ends[(tp.topic, tp.partition)] = high if first < high else 0
        return cls(ends)

    def within(self, message: Message) -> bool:
        return int(message.offset() or 0) < self.ends.get(_key(message), 0)

    def passed(self, message: Message) -> None:
        if int(message.offset() or 0) + 1 >= self.ends.get(_key(message), 0):
            self.pending.discard(_key(message))

    def reached(self, topic: str, partition: int) -> None:
        self.pending.discard((topic, partition))


def _key(message: Message) -> tuple[str, int]:
    return str(message.topic()), int(message.partition() or 0)


class ConsumerLoop:
    """One consumer: ``run(stop)`` it in a supervised thread.

    ``name`` labels its lag; ``service`` names the dead-letter topic
    (``motcua.dlq.<service>``); ``settings`` go to the client on top of the mode's.
    """

    def __init__(
        self,
        name: str,
        bootstrap_servers: str,
        topics: Sequence[str],
        handler: Handler,
        mode: Group | Assigned,
        *,
        service: str = "",
        batch_size: int = 500,
        poll_timeout_s: float = 0.5,
        retry_wait_s: float = 2.0,
        settings: Mapping[str, Any] | None = None,
        on_caught_up: Callable[[], None] | None = None,
        log: logging.Logger = _log,
    ) -> None:
        self.name = name
        self.bootstrap_servers = bootstrap_servers
        self.topics = list(topics)
        self.handler = handler
        self.mode = mode
        self.dead_letters = DeadLetters(bootstrap_servers, service or name, log)
        self.batch_size = batch_size
        self.poll_timeout_s = poll_timeout_s
        self.retry_wait_s = retry_wait_s
        self.settings = dict(settings or {})
        self.on_caught_up = on_caught_up
        self.log = log
        self.kafka = Outage("Kafka", log)
        self.database = Outage("PostgreSQL", log)
        self._caught_up = threading.Event()
        self._ends = _Ends({})

    @property
    def caught_up(self) -> bool:
        """Assigned: everything the partitions held when assigned has been handled."""
        return self._caught_up.is_set()

    def wait_caught_up(self, timeout_s: float) -> bool:
        return self._caught_up.wait(timeout_s)

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set (or, :attr:`Assigned.until_end`, the ends are read)."""
        consumer = Consumer(self._config())
        try:
            if not self._start(consumer, stop):
                return
            while not stop.is_set() and not self._check_caught_up():
                batch = self._poll(consumer)
                if batch and not self._handle_until_done(batch, stop):
                    return  # stopping with the batch undone: its offsets stay where they were
                if batch:
                    self._commit(consumer, batch)
                    self._observe(consumer, batch)
        finally:
            consumer.close()
            self.dead_letters.close()

    def _config(self) -> dict[str, Any]:
        if isinstance(self.mode, Group):
            # Stored with the data: Kafka's committed offsets are only a hint.
            hint = {"enable.auto.offset.store": False} if self.mode.stored_offsets else {}
            return consumer_config(
                self.bootstrap_servers, self.mode.group_id, **hint, **self.settings
            )
        return client_config(
            self.bootstrap_servers,
            **{
                # Required by the client, never used: partitions are assigned.
                "group.id": f"motcua-{self.name}-{uuid.uuid4()}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                **self.settings,
            },
        )

    def _start(self, consumer: Consumer, stop: threading.Event) -> bool:
        """Subscribe, or assign once Kafka answers; False when stopped first."""
        mode = self.mode
        if isinstance(mode, Group):
            if mode.stored_offsets is None:
                consumer.subscribe(self.topics)
            else:
                seek = functools.partial(self._seek_to_stored, stored=mode.stored_offsets)
                consumer.subscribe(self.topics, on_assign=seek)
            return True
        while not stop.is_set():
            try:
                start = list(mode.start(consumer))
                self._ends = _Ends.of(consumer, start, mode.stop_before)
                consumer.assign(start)
            except KafkaException as exc:
                self.kafka.failed(exc)
                stop.wait(1.0)
                continue
            self.kafka.recovered()
            return True
        return False

    def _seek_to_stored(
        self,
        consumer: Consumer,
        partitions: list[TopicPartition],
        *,
        stored: Callable[[], Offsets],
    ) -> None:
        offsets = stored()
        for partition in partitions:
            partition.offset = offsets.get((partition.topic, partition.partition), OFFSET_BEGINNING)
        consumer.assign(partitions)
        self.log.info(
            "partitions assigned",
            extra={"partitions": [f"{p.topic}[{p.partition}]@{p.offset}" for p in partitions]},
        )

    def _poll(self, consumer: Consumer) -> list[Message]:
        batch = []
        for message in consumer.consume(self.batch_size, timeout=self.poll_timeout_s):
            error = message.error()
            if error is None:
                batch.append(message)
            elif error.code() == KafkaError._PARTITION_EOF:
                self._ends.reached(str(message.topic()), int(message.partition() or 0))
            else:
                self.kafka.failed(error)
        if batch:
            self.kafka.recovered()
        if isinstance(self.mode, Assigned) and self.mode.until_end:
            for message in batch:
                if not self._ends.within(message):
                    self._ends.passed(message)  # read past the end: left alone
            batch = [message for message in batch if self._ends.within(message)]
        return batch

    def _handle_until_done(self, batch: Sequence[Message], stop: threading.Event) -> bool:
        """The batch handled, or False when stopping first (the handler tries it whole)."""
        while not stop.is_set():
            try:
                self.handler(batch, self.dead_letters)
            except psycopg.OperationalError as exc:
                self.database.failed(exc)
            except DeadLetterNotAcknowledged as exc:
                self.kafka.failed(exc)
            else:
                self.database.recovered()
                self.kafka.recovered()
                return True
            stop.wait(self.retry_wait_s)
        return False

    def _commit(self, consumer: Consumer, batch: Sequence[Message]) -> None:
        for message in batch:
            self._ends.passed(message)
        if not isinstance(self.mode, Group):
            return
        try:
            if self.mode.commit == Commit.STORED:
                consumer.commit(offsets=next_offsets(batch), asynchronous=True)
            else:
                consumer.commit(offsets=next_offsets(batch), asynchronous=False)
        except KafkaException as exc:
            # The work is done (a rebalance took the partitions, or the broker left): the
            # next batch's commit covers this one, and until then a restart or the new
            # owner only hands the handler again what it has already made harmless.
            self.log.warning("a batch's offsets not committed", extra={"error": str(exc)})

    def _observe(self, consumer: Consumer, batch: Sequence[Message]) -> None:
        for topic, count in Counter(str(m.topic()) for m in batch).items():
            CONSUMED.labels(topic).inc(count)
        for tp in next_offsets(batch):
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0:
                lag = max(0, high - tp.offset)
                CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(lag)

    def _check_caught_up(self) -> bool:
        """Assigned: mark (once) having read the ends; True when that ends the run."""
        if not isinstance(self.mode, Assigned) or self._ends.pending:
            return False
        if not self._caught_up.is_set():
            self._caught_up.set()
            if self.on_caught_up is not None:
                self.on_caught_up()
        return self.mode.until_end


def read_range(
    bootstrap_servers: str,
    start: Callable[[Consumer], Sequence[TopicPartition]],
    *,
    timeout_s: float,
    settings: Mapping[str, Any] | None = None,
    stop_before: Mapping[tuple[str, int], int] | None = None,
) -> list[Message]:
    """Every message from ``start`` up to the ends the partitions had then (or the offsets
    in ``stop_before``, if sooner), read once.

    Raises :class:`TimeoutError` when they are not all read within ``timeout_s``.
    """
    found: list[Message] = []
    loop = ConsumerLoop(
        "read-range",
        bootstrap_servers,
        [],
        lambda batch, _: found.extend(batch),
        Assigned(start, until_end=True, stop_before=stop_before or {}),
        poll_timeout_s=0.2,
        settings=settings,
    )
    stop = threading.Event()
    timer = threading.Timer(timeout_s, stop.set)
    timer.start()
    try:
        loop.run(stop)
    finally:
        timer.cancel()
    if not loop.caught_up:
        raise TimeoutError(f"partitions not read to their ends in {timeout_s} s")
    return found
