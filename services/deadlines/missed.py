"""Dossier events the worker's stream skipped, read back from their partition.

Faust can let its commit pass events the ``track`` agent never saw: events fetched around a
rebalance are dropped while the commit moves on (the chaos run lost resolved-late alerts
this way). What was skipped is found by offset, not guessed: the worker keeps, per
partition of the dossier events, the offset of the last event it went through
(:class:`Positions`). An event further on than the next one shows the skip, and the
offsets in between are read back from the partition and applied first, in order (applying
is idempotent by sequence, so an event read twice changes nothing).

Two places a skip would otherwise stay unseen:

- a worker taking a partition over starts at the group's committed offset. The position
  is therefore also kept in the ``positions`` table, written under the partition's own
  events, so it moves with the partition and the new owner knows where the last one was;
- a partition whose skipped events were its last has no later event to show the gap. A
  timer compares each position with the group's committed offset instead: committed
  offsets the worker never went through were skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition
from faust.types import TP, Message
from faust.types.tuples import ack_lock

from motcua.kafka import client_config, read_range

_log = logging.getLogger("motcua.deadlines.missed")

CATCH_UP_EVERY_S = 5.0
"""How often the positions are compared with the group's committed offsets."""
STORE_EVERY = 50
"""Offsets between two writes of a partition's position to the table: a new owner reads
back at most this many events again (and applies none of them twice)."""


@dataclass
class Positions:
    """Per partition of the dossier events, the offset of the last event the worker went
    through, every one before it too (applied, read back, or dead-lettered)."""

    last: dict[int, int] = field(default_factory=dict)
    stored: dict[int, int] = field(default_factory=dict)
    """The position last written to the table, per partition."""
    committed_seen: dict[int, int] = field(default_factory=dict)
    """The group's committed offsets at the last look."""
    restored: set[int] = field(default_factory=set)
    """Partitions whose table was compared with the clocks changelog since the rebalance."""
    handed: dict[int, int] = field(default_factory=dict)
    """Per partition, the last offset read back and handed to the check agent: not gone
    through until applied (a rebalance first loses it, and it is read back again)."""

    def skipped(self, partition: int, offset: int) -> range:
        """The offsets before ``offset`` never gone through: none for the next offset, an
        event seen again, or a partition whose position is not known."""
        last = self.last.get(partition)
        if last is None or offset <= last + 1:
            return range(0)
        return range(last + 1, offset)

    def passed(self, partition: int, offset: int) -> None:
        self.last[partition] = max(offset, self.last.get(partition, offset))

    def to_store(self, partition: int) -> int | None:
        """The position to write to the table now, if it moved far enough since the last."""
        last, stored = self.last.get(partition), self.stored.get(partition)
        if last is None or (stored is not None and last - stored < STORE_EVERY):
            return None
        self.stored[partition] = last
        return last

    def behind(self, committed: Mapping[int, int]) -> dict[int, range]:
        """Per partition, the offsets the group committed that the worker never went
        through (a committed offset is the next one to read)."""
        behind = {}
        for partition, next_offset in committed.items():
            if partition not in self.last:
                continue
            first = max(self.last[partition], self.handed.get(partition, -1)) + 1
            if next_offset > first:
                behind[partition] = range(first, next_offset)
        return behind

    def hand(self, partition: int, offset: int) -> None:
        """Offsets up to ``offset`` are read back and left to the check agent."""
        self.handed[partition] = max(offset, self.handed.get(partition, offset))

    def stalled(self, committed: Mapping[int, int]) -> dict[int, range]:
        """Per partition, the offsets the worker went through that the group's commit has
        stood before since the last look (Faust lost its own acknowledgements of them)."""
        stalled = {
            partition: range(next_offset, self.last[partition] + 1)
            for partition, next_offset in committed.items()
            if partition in self.last
            and next_offset <= self.last[partition]
            and self.committed_seen.get(partition) == next_offset
        }
        self.committed_seen = dict(committed)
        return stalled

    def restore(self, partition: int, stored: Any) -> None:
        """The position the table kept for a partition this worker now owns, if any."""
        if stored is None:
            return
        self.passed(partition, int(stored))
        self.stored[partition] = int(stored)

    def forget(self) -> None:
        """After a rebalance: what this worker owns now is learned again from the table."""
        self.last.clear()
        self.stored.clear()
        self.committed_seen.clear()
        self.handed.clear()
        self.restored.clear()


def read_offsets(
    bootstrap_servers: str,
    topic: str,
    partition: int,
    offsets: range,
    *,
    timeout_s: float = 30.0,
) -> list[bytes]:
    """The values of the messages at ``offsets`` of one partition, in offset order (fewer if
    the partition no longer keeps some, or could not be read: logged)."""

    try:
        messages = read_range(
            bootstrap_servers,
            _from(topic, partition, offsets.start),
            timeout_s=timeout_s,
            stop_before={(topic, partition): offsets.stop},
        )
    except (KafkaException, TimeoutError) as exc:
        _log.warning("skipped events not read back", extra={"error": repr(exc)})
        return []
    return [m.value() or b"" for m in messages if int(m.offset() or 0) in offsets]


def _from(topic: str, partition: int, first: int) -> Callable[[Consumer], list[TopicPartition]]:
    """Where to read from: ``first``, or the oldest offset the partition still keeps."""

    def start(consumer: Consumer) -> list[TopicPartition]:
        low, _ = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        return [TopicPartition(topic, partition, max(first, int(low)))]

    return start


def read_changelog(
    bootstrap_servers: str, topic: str, partition: int, *, timeout_s: float = 300.0
) -> dict[str, dict[str, Any]]:
    """The last record of every key in one partition of a table's changelog (JSON keys and
    values, as Faust writes them); empty if it could not be read (logged)."""

    try:
        messages = read_range(bootstrap_servers, _from(topic, partition, 0), timeout_s=timeout_s)
    except (KafkaException, TimeoutError) as exc:
        _log.warning("changelog not read", extra={"error": repr(exc), "partition": partition})
        return {}
    records: dict[str, dict[str, Any]] = {}
    for message in messages:
        key = json.loads(message.key() or b"null")
        if message.value() is None:
            records.pop(key, None)
        else:
            records[key] = json.loads(message.value() or b"null")
    return records


class CommittedOffsets:
    """A group's committed offsets on one topic, through one client for the worker's life.

    A consumer carrying the group's id that never subscribes: it asks the group's
    coordinator without joining the group. Not an admin client: librdkafka's admin
    OffsetFetch dereferences a consumer group it does not have when the coordinator has
    moved (`NOT_COORDINATOR`, as when a broker dies), and the long chaos run lost a worker
    to that segfault twice."""

    def __init__(self, bootstrap_servers: str, group: str, topic: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.group = group
        self.topic = topic
        self._consumer: Consumer | None = None

    def __call__(self, partitions: Iterable[int], *, timeout_s: float = 10.0) -> dict[int, int]:
        """The committed offset on each of ``partitions`` that has one; none if the broker
        does not answer in time (logged)."""
        wanted = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        if not wanted:
            return {}
        if self._consumer is None:
            self._consumer = Consumer(
                client_config(self.bootstrap_servers, **{"group.id": self.group})
            )
        try:
            committed = self._consumer.committed(wanted, timeout=timeout_s)
        except KafkaException as exc:
            _log.warning("committed offsets not read", extra={"error": repr(exc)})
            return {}
        return {tp.partition: int(tp.offset) for tp in committed if int(tp.offset) >= 0}


def acknowledge(consumer: Any, topic: str, partition: int, offsets: range) -> dict[str, Any]:
    """Faust's acknowledgements of ``offsets`` (from the group's committed offset to the
    worker's position), given again so its commit moves on; what Faust's bookkeeping of
    the partition was beforehand, for the log.

    A rebalance can leave Faust's consumer read to the partition's end while its list of
    acknowledged offsets lost those read before (the chaos run saw a commit stand 900
    offsets back with nothing left to read: the group lagged for good). The worker went
    through them, so it says so; an offset Faust has already taken changes nothing.

    Faust's own record of the committed offset can also differ from the group's: after a
    worker left, the new owner read the partition's committed offset (1830) just before
    the leaver's last commit landed (1838). Its stream started at 1838, so Faust waited
    for acknowledgements of 1830–1837 that could never come and committed nothing more
    (a chaos run left 1,522 offsets uncommitted for good; setting Faust's record to the
    group's offset in the live worker moved the commit at once). Ahead of the group, it
    would refuse every acknowledgement below it instead. The group's committed offset is
    the truth, so Faust is told it first."""
    tp = TP(topic, partition)
    believed = consumer._committed_offset.get(tp)
    acked = consumer._acked.get(tp) or []
    before = {
        "faust_committed": believed,
        "faust_acked": len(acked),
        "faust_first_acked": min(acked) if acked else None,
        "assigned": tp in consumer.assignment(),
    }
    consumer._committed_offset[tp] = offsets.start
    for offset in offsets:
        consumer.ack(Message(topic, partition, offset, 0.0, 0, None, None, None, None, tp=tp))
    with ack_lock:  # a gap Faust recorded over them would be merged in as repeats
        consumer._gap[tp].chop(offsets.start, offsets.stop)
    return before


def drop_duplicate_acks(consumer: Any, topic: str, partition: int) -> int:
    """Offsets Faust holds twice in its list of acknowledged offsets, dropped; how many.

    Faust's consumer records a jump in the offsets it fetched as a gap that includes the
    offset it jumped to, and that message is acknowledged too when it has been processed:
    once the gap is merged into the list, the offset is there twice. Faust commits one run
    of consecutive offsets at a time and a repeated offset ends a run, so each repeat
    costs a commit interval: in a chaos run one partition's commit crawled 1–7 offsets a
    look, 800 behind, with ~450 repeats in the list; dropping them in the live worker
    moved the commit to the partition's end at once."""
    tp = TP(topic, partition)
    with ack_lock:  # Faust's own, held by every acknowledgement
        acked = consumer._acked.get(tp)
        if not acked:
            return 0
        unique = sorted(set(acked))
        repeated = len(acked) - len(unique)
        if repeated:
            acked[:] = unique
            consumer._acked_index[tp] = set(unique)
        return repeated
