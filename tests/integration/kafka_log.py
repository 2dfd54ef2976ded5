"""A topic seen as a log, from a test on a broker other sessions share: its ends, a group's
committed offsets, a new group started at the end, and everything between two points read
whole. The one way the integration tests do these: reading "to the end" by offsets, never
by a time window or a count, is what lets a test require exactly one message where a
window could miss a duplicate."""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from motcua.kafka import client_config

Headers = list[tuple[str, str | bytes | None]]


def produce_where(
    bootstrap: str, topic: str, messages: Sequence[tuple[bytes, bytes, Headers]]
) -> list[tuple[int, int]]:
    """Produce ``(key, value, headers)`` in order and say where each landed, as
    ``(partition, offset)`` in the same order: what a test later reads back or a group's
    committed offset is compared with."""
    landed: dict[int, tuple[int, int]] = {}

    def at(index: int) -> Any:
        def record(error: KafkaError | None, message: Message) -> None:
            assert error is None, error
            landed[index] = (int(message.partition() or 0), int(message.offset() or 0))

        return record

    producer = Producer(client_config(bootstrap, **{"linger.ms": 5}))
    for index, (key, value, headers) in enumerate(messages):
        producer.produce(topic, key=key, value=value, headers=headers, on_delivery=at(index))
    assert producer.flush(30) == 0
    assert len(landed) == len(messages)
    return [landed[index] for index in range(len(messages))]


def _consumer(bootstrap: str, group: str, **settings: Any) -> Consumer:
    """A client that never commits on its own; it joins no group unless it subscribes."""
    return Consumer(
        client_config(bootstrap, **{"group.id": group, "enable.auto.commit": False}, **settings)
    )


def _partitions(client: AdminClient | Consumer, topic: str) -> list[int]:
    """The partitions of ``topic``, which must exist: a test reading a topic that is not
    there would otherwise read nothing and pass."""
    described = client.list_topics(topic, timeout=10).topics.get(topic)
    assert described is not None, f"no topic {topic}"
    assert described.partitions, f"{topic}: {described.error}"
    return sorted(described.partitions)


def _watermarks(consumer: Consumer, topic: str, partition: int) -> tuple[int, int]:
    low, high = consumer.get_watermark_offsets(
        TopicPartition(topic, partition), timeout=10, cached=False
    )
    return int(low), int(high)


def ends(bootstrap: str, topic: str) -> dict[int, int]:
    """Each partition's high watermark as the broker says now (not a cached one): where
    "from here on" starts, or where "everything so far" ends."""
    consumer = _consumer(bootstrap, f"test-watermarks-{uuid.uuid4().hex[:8]}")
    try:
        return {p: _watermarks(consumer, topic, p)[1] for p in _partitions(consumer, topic)}
    finally:
        consumer.close()


def committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Where ``group`` resumes each partition of ``topic`` (negative where it committed
    nothing). Asked as an admin, by no client carrying the group's id: the asking can
    neither join nor disturb the group it watches."""
    admin = AdminClient(client_config(bootstrap))
    wanted = [TopicPartition(topic, p) for p in _partitions(admin, topic)]
    request = ConsumerGroupTopicPartitions(group, wanted)
    answer = admin.list_consumer_group_offsets([request])[group].result(timeout=10)
    found: dict[int, int] = {}
    for tp in answer.topic_partitions:
        assert tp.error is None, tp
        found[tp.partition] = int(tp.offset)
    return found


def start_group_at_end(bootstrap: str, group: str, topics: Iterable[str]) -> None:
    """Commit a group nobody has joined yet at the present end of ``topics``: its first
    member reads what is written from now on, not every other session's history."""
    at_end = {topic: ends(bootstrap, topic) for topic in topics}
    offsets = [TopicPartition(t, p, o) for t, e in at_end.items() for p, o in e.items()]
    if not offsets:
        return
    consumer = _consumer(bootstrap, group)
    try:
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()
    for topic, expected in at_end.items():
        assert committed(bootstrap, group, topic) == expected, f"{group} not at {topic}'s end"


def read_to_end(
    bootstrap: str,
    topic: str,
    *,
    since: Mapping[int, int] | None = None,
    keys: Collection[bytes | str] | None = None,
    timeout_s: float = 60,
) -> list[Message]:
    """Every message of ``topic`` (of ``keys`` only, if given) from ``since`` (else from
    the beginning it keeps) up to its ends as they are when called, duplicates kept.
    Fails if that end is not reached in ``timeout_s``: a partial read must not pass for
    "nothing more was published"."""
    wanted = None if keys is None else {k.encode() if isinstance(k, str) else k for k in keys}
    consumer = _consumer(
        bootstrap,
        f"test-read-{uuid.uuid4().hex[:8]}",
        **{"enable.partition.eof": True, "auto.offset.reset": "error"},
    )
    try:
        stops: dict[int, int] = {}
        starts: list[TopicPartition] = []
        for p in _partitions(consumer, topic):
            low, high = _watermarks(consumer, topic, p)
            start = low if since is None or p not in since else since[p]
            assert start >= low, f"{topic}[{p}]: offsets {start} to {low} are no longer kept"
            if high > start:
                stops[p] = high
                starts.append(TopicPartition(topic, p, start))
        consumer.assign(starts)
        found: list[Message] = []
        deadline = time.monotonic() + timeout_s
        while stops:
            assert time.monotonic() < deadline, f"{topic} not read to {stops} in {timeout_s}s"
            message = consumer.poll(0.5)
            if message is None:
                continue
            partition, offset = int(message.partition() or 0), int(message.offset() or 0)
            error = message.error()
            if error is not None:
                # The end: at or past the high watermark, or short of it while a
                # transaction is open (a committed read stops there until it ends).
                assert error.code() == KafkaError._PARTITION_EOF, error
                reached = offset
            else:
                if offset < stops.get(partition, 0) and (wanted is None or message.key() in wanted):
                    found.append(message)
                reached = offset + 1
            if reached >= stops.get(partition, 0):
                stops.pop(partition, None)
        return found
    finally:
        consumer.close()
