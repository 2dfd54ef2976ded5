"""Alerts already on the topic whose mark a dead worker never wrote to the clocks table.

An alert goes to Kafka first and is marked in its clock after; the mark reaches the
changelog a moment later (Faust buffers table writes). A worker killed in between leaves an
alert on the topic but not in the table, and its successor would send it a second time.
So before a worker takes partitions over it reads the tail of their alerts and counts
what it finds as sent.

The alerts topic is keyed by dossier and partitioned like the checks topic, so each alert
partition has one writer: the worker owning that partition. An unmarked alert is one of
the last its writer sent before dying, so reading from ``lookback_s`` before the
partition's last record is enough however long the partition stayed unowned. Both reads
are :func:`motcua.kafka.read_range`: the consumer loop reading assigned partitions to
their ends once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from motcua.kafka import read_range
from services.deadlines.tracking import AlertKind

_log = logging.getLogger("motcua.deadlines.delivered")

_SETTINGS = {"fetch.wait.max.ms": 50}
"""A tail is a few records: answer at once rather than wait for a fuller fetch."""


def alerts_already_sent(
    bootstrap_servers: str,
    topic: str,
    partitions: Iterable[int],
    *,
    lookback_s: float = 60.0,
    timeout_s: float = 10.0,
) -> dict[str, set[str]]:
    """Per dossier, the markers (``kind:episode``) of the alerts at the tail of ``partitions``.

    Gives up with a warning (and an empty answer: at-least-once again) if Kafka does not
    answer in time, rather than keeping the partitions from being processed.
    """
    wanted = list(partitions)
    found: dict[str, set[str]] = {}
    try:
        lasts = read_range(
            bootstrap_servers,
            lambda consumer: _last_records(consumer, topic, wanted, timeout_s),
            timeout_s=timeout_s,
            settings=_SETTINGS,
        )
        since = _lookback(lasts, int(lookback_s * 1000))
        if not since:
            return found
        for message in read_range(
            bootstrap_servers,
            lambda consumer: [
                tp for tp in consumer.offsets_for_times(since, timeout=timeout_s) if tp.offset >= 0
            ],
            timeout_s=timeout_s,
            settings=_SETTINGS,
        ):
            event = json.loads(message.value() or b"")
            kind = AlertKind.of_event_type(event["type"])
            found.setdefault(event["subject"], set()).add(f"{kind}:{event['data']['episode']}")
    except (KafkaException, TimeoutError, KeyError, ValueError) as exc:
        _log.warning("alerts already sent: not read", extra={"error": repr(exc)})
        return {}
    return found


def _last_records(
    consumer: Consumer, topic: str, partitions: list[int], timeout_s: float
) -> list[TopicPartition]:
    """Each partition that holds records, from its last one."""
    lasts = []
    for partition in partitions:
        low, high = consumer.get_watermark_offsets(
            TopicPartition(topic, partition), timeout=timeout_s
        )
        if high > low:
            lasts.append(TopicPartition(topic, partition, high - 1))
    return lasts


def _lookback(lasts: list[Message], lookback_ms: int) -> list[TopicPartition]:
    """Per partition, the instant ``lookback_ms`` before its last record (as read first)."""
    since: dict[int, TopicPartition] = {}
    for message in lasts:
        partition = int(message.partition() or 0)
        if partition not in since:
            at = max(0, message.timestamp()[1] - lookback_ms)
            since[partition] = TopicPartition(str(message.topic()), partition, at)
    return list(since.values())
