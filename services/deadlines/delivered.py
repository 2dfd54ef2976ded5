"""Alerts already on the topic whose mark a dead worker never wrote to the clocks table.

An alert goes to Kafka first and is marked in its clock after; the mark reaches the
changelog a moment later (Faust buffers table writes). A worker killed in between leaves an
alert on the topic but not in the table, and its successor would send it a second time.
So before a worker takes partitions over it reads the tail of their alerts and counts
what it finds as sent.

The alerts topic is keyed by dossier and partitioned like the checks topic, so each alert
partition has one writer: the worker owning that partition. An unmarked alert is one of
the last its writer sent before dying, so reading from ``lookback_s`` before the
partition's last record is enough however long the partition stayed unowned.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from motcua.kafka import client_config
from services.deadlines.tracking import AlertKind

_log = logging.getLogger("motcua.deadlines.delivered")


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
    consumer = Consumer(
        client_config(
            bootstrap_servers,
            **{
                "group.id": "motcua-deadlines-delivered",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "fetch.wait.max.ms": 50,
            },
        )
    )
    found: dict[str, set[str]] = {}
    try:
        ends: dict[int, int] = {}
        lasts: list[TopicPartition] = []
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=timeout_s
            )
            if high > low:
                ends[partition] = high
                lasts.append(TopicPartition(topic, partition, high - 1))
        if not ends:
            return found
        lookback_ms = int(lookback_s * 1000)
        since = [
            TopicPartition(topic, partition, max(0, last.timestamp()[1] - lookback_ms))
            for partition, last in _read(consumer, lasts, ends, timeout_s)
        ]
        starts = consumer.offsets_for_times(since, timeout=timeout_s)
        for _, message in _read(consumer, [tp for tp in starts if tp.offset >= 0], ends, timeout_s):
            event = json.loads(message.value() or b"")
            kind = AlertKind.of_event_type(event["type"])
            found.setdefault(event["subject"], set()).add(f"{kind}:{event['data']['episode']}")
    except (KafkaException, TimeoutError, KeyError, ValueError) as exc:
        _log.warning("alerts already sent: not read", extra={"error": repr(exc)})
        return {}
    finally:
        consumer.close()
    return found


def _read(
    consumer: Consumer, start: list[TopicPartition], ends: dict[int, int], timeout_s: float
) -> list[tuple[int, Message]]:
    """Every record from ``start`` up to ``ends`` (exclusive), with its partition."""
    consumer.assign(start)
    pending = {tp.partition for tp in start if tp.offset < ends[tp.partition]}
    messages: list[tuple[int, Message]] = []
    deadline = time.monotonic() + timeout_s
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"alerts partitions {sorted(pending)} not read in time")
        message = consumer.poll(0.2)
        if message is None:
            continue
        partition, offset, error = message.partition(), message.offset(), message.error()
        if partition is None:
            continue
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                pending.discard(partition)
            continue
        if offset is None:
            continue
        if offset < ends[partition]:
            messages.append((partition, message))
        if offset + 1 >= ends[partition]:
            pending.discard(partition)
    return messages
