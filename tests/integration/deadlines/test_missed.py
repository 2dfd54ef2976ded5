"""What a worker's repair reads from the real broker: the messages at exactly the offsets
asked for, and a group's committed offsets, only where it committed."""

from __future__ import annotations

import uuid

from confluent_kafka import Consumer, TopicPartition

from motcua.kafka import TopicSpec, client_config, ensure_topics
from services.deadlines.missed import CommittedOffsets, read_changelog, read_offsets
from tests.conftest import Infra
from tests.integration.kafka_log import produce_where


def test_the_offsets_asked_for_are_read_back_in_order(infra: Infra) -> None:
    topic = f"test-missed-{uuid.uuid4().hex[:8]}"
    ensure_topics(infra.bootstrap_servers, [TopicSpec(topic, "a test's", partitions=2)])
    messages: list[tuple[bytes, bytes, list[tuple[str, str | bytes | None]]]] = [
        (b"k", f"value {n}".encode(), []) for n in range(12)
    ]
    landed = produce_where(infra.bootstrap_servers, topic, messages)
    partition = landed[0][0]
    offsets = [offset for p, offset in landed if p == partition]
    wanted = range(offsets[3], offsets[7])
    found = read_offsets(infra.bootstrap_servers, topic, partition, wanted)
    assert found == [f"value {n}".encode() for n in range(3, 7)]
    assert read_offsets(infra.bootstrap_servers, topic, partition, range(900, 910)) == []


def test_a_groups_committed_offsets_are_read_where_it_committed(infra: Infra) -> None:
    topic = f"test-committed-{uuid.uuid4().hex[:8]}"
    group = f"test-committed-{uuid.uuid4().hex[:8]}"
    ensure_topics(infra.bootstrap_servers, [TopicSpec(topic, "a test's", partitions=3)])
    produce_where(infra.bootstrap_servers, topic, [(b"a", b"1", []), (b"b", b"2", [])] * 5)
    committed_offsets = CommittedOffsets(infra.bootstrap_servers, group, topic)
    assert committed_offsets([0, 1, 2]) == {}
    consumer = Consumer(client_config(infra.bootstrap_servers, **{"group.id": group}))
    try:
        consumer.commit(offsets=[TopicPartition(topic, 1, 4)], asynchronous=False)
    finally:
        consumer.close()
    assert committed_offsets([0, 1, 2]) == {1: 4}, "the same client asked again"
    assert committed_offsets([0, 2]) == {}
    assert committed_offsets([]) == {}


def test_a_changelog_partition_reads_as_each_keys_last_record(infra: Infra) -> None:
    topic = f"test-changelog-{uuid.uuid4().hex[:8]}"
    ensure_topics(infra.bootstrap_servers, [TopicSpec(topic, "a test's", partitions=1)])
    records: list[tuple[bytes, bytes | None, list[tuple[str, str | bytes | None]]]] = [
        (b'"a"', b'{"n": 1}', []),
        (b'"b"', b'{"n": 1}', []),
        (b'"a"', b'{"n": 2}', []),
        (b'"c"', b'{"n": 1}', []),
        (b'"c"', None, []),
    ]
    produce_where(infra.bootstrap_servers, topic, records)  # type: ignore[arg-type]
    assert read_changelog(infra.bootstrap_servers, topic, 0) == {"a": {"n": 2}, "b": {"n": 1}}
