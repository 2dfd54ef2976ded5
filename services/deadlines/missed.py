"""A dossier's events the worker's stream skipped, read back from their partition.

Faust can drop an event in a rebalance or a restart while the commit moves past it (an
event fetched before the rebalance, acknowledged unread; a table read while its partition
was being handed over). The dossier's next event then shows the gap: its sequence is not
the one after the clock's. The skipped events are on the same partition (one key, one
partition), a little before it: read back from there, they are applied in order before it,
so what they settle (a resolved-late alert above all) is not lost. A dossier whose skipped
event was its last shows no gap and is not repaired; ``motcua_deadlines_event_gaps_total``
counts the gaps seen.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition

from motcua.kafka import client_config, read_range

_log = logging.getLogger("motcua.deadlines.missed")

FIRST_LOOK = 5_000
"""Offsets read back at first; doubled while events are missing, down to the oldest kept."""


def read_missed(
    bootstrap_servers: str,
    topic: str,
    partition: int,
    before_offset: int,
    dossier_id: str,
    sequences: Collection[int],
    *,
    timeout_s: float = 30.0,
) -> list[dict[str, Any]]:
    """The events of ``dossier_id`` with ``sequences`` found before ``before_offset``, in
    sequence order (fewer if the partition no longer keeps some)."""
    wanted = set(sequences)
    found: dict[int, dict[str, Any]] = {}
    look = FIRST_LOOK
    try:
        while True:
            start = max(0, before_offset - look)
            for message in read_range(
                bootstrap_servers, _from(topic, partition, start), timeout_s=timeout_s
            ):
                if int(message.offset() or 0) >= before_offset:
                    continue
                if (message.key() or b"").decode(errors="replace") != dossier_id:
                    continue
                event = json.loads(message.value() or b"{}")
                sequence = event.get("data", {}).get("sequence")
                if sequence in wanted:
                    found[int(sequence)] = event
            if wanted <= set(found) or start == 0:
                break
            look *= 2
    except (KafkaException, TimeoutError, ValueError) as exc:
        _log.warning("skipped events not read back", extra={"error": repr(exc)})
    return [found[s] for s in sorted(found)]


def _from(topic: str, partition: int, start: int) -> Callable[[Consumer], list[TopicPartition]]:
    """Where to read from: ``start``, or the oldest offset the partition still keeps."""

    def position(consumer: Consumer) -> list[TopicPartition]:
        low, _ = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        return [TopicPartition(topic, partition, max(start, int(low)))]

    return position


def read_before_committed(
    bootstrap_servers: str,
    group: str,
    topic: str,
    partitions: Iterable[int],
    *,
    look: int = 2_000,
    timeout_s: float = 30.0,
) -> list[dict[str, Any]]:
    """The last ``look`` events before ``group``'s committed offset on each partition: where
    Faust leaves the events it skipped in a rebalance, the commit already past them. A
    skipped event with no later one of its dossier shows no gap; these are looked at on
    every recovery instead."""
    wanted = sorted(partitions)
    if not wanted:
        return []
    consumer = Consumer(client_config(bootstrap_servers, **{"group.id": group}))
    try:
        committed = consumer.committed(
            [TopicPartition(topic, p) for p in wanted], timeout=timeout_s
        )
    except KafkaException as exc:
        _log.warning("skipped events not read back", extra={"error": repr(exc)})
        return []
    finally:
        consumer.close()
    starts = [
        TopicPartition(topic, tp.partition, max(0, int(tp.offset) - look))
        for tp in committed
        if tp.offset is not None and int(tp.offset) > 0
    ]
    if not starts:
        return []
    ends = {tp.partition: int(tp.offset) for tp in committed}
    try:
        messages = read_range(bootstrap_servers, lambda _: starts, timeout_s=timeout_s)
    except (KafkaException, TimeoutError) as exc:
        _log.warning("skipped events not read back", extra={"error": repr(exc)})
        return []
    return [
        json.loads(m.value() or b"{}")
        for m in messages
        if int(m.offset() or 0) < ends.get(int(m.partition() or 0), 0)
    ]
