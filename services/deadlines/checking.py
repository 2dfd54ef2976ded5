"""What the worker's two agents do with what they read: ``track`` takes each dossier event
into the ``clocks`` table (and emits what the event itself settles), ``check`` re-reads
the clocks whose next check has come and emits the alerts now due.

Table reads and writes happen while their event is the current one: Faust reads and
writes a table key in the current event's partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from motcua.contracts import ContractError, EventType, decode_event
from motcua.kafka import Topic
from motcua.metrics import CONSUMED
from motcua.streaming import as_current_event
from services.deadlines.board.service import sync_board
from services.deadlines.dead_letters import Send, dead_letter
from services.deadlines.emitting import Emitter
from services.deadlines.metrics import CLOCKS_RESTORED, EVENT_GAPS, HISTORY_CLOSED
from services.deadlines.missed import Positions
from services.deadlines.records import clock_from_record, clock_to_record
from services.deadlines.tracking import (
    Alert,
    DeadlinePolicy,
    DossierClock,
    UnknownEvent,
    apply_event,
    is_closed_history,
)

# How long a batch of checks waits to fill: a lone check waits at most this, a burst of
# thousands goes out in batches of ``check_batch_size``.
CHECK_WITHIN_S = 0.02
COMPARE_WITH_CHANGELOG = b"compare-with-changelog"
"""The key of the check sent to each partition after a recovery (never a dossier id): its
partition's table is compared with the clocks changelog (:meth:`Agents.compare`)."""
ReadBack = Callable[[str, int, range], list[bytes]]
"""(topic, partition, offsets) → the values found there (:func:`.missed.read_offsets`)."""
_log = logging.getLogger("motcua.deadlines")
_TOPIC = Topic.DOSSIER_EVENTS.value


@dataclass(frozen=True)
class Agents:
    clocks: MutableMapping[str, Any]
    """The Faust table: dossier id → clock record."""
    emitter: Emitter
    dead_letters: Send
    read_back: ReadBack | None = None
    """Reads skipped offsets back from their partition (:mod:`.missed`); none, no repair."""
    stored_positions: MutableMapping[str, Any] | None = None
    """The Faust table: partition → the last offset gone through, under that partition."""
    flush: Callable[[], Awaitable[None]] | None = None
    """Returns once every record the worker produced so far is acknowledged by the brokers
    (Faust's producer flush); needed with ``stored_positions``. A position is written only
    after it: the clock and the position are records of two changelogs, sent side by side,
    and a chaos run's worker was killed with its position past a dossier's completion and
    the completion's clock unsent; the next owner took the position's word and never
    applied it."""
    read_changelog: Callable[[int], dict[str, Any]] | None = None
    """A partition of the clocks changelog: key → its last record (:mod:`.missed`)."""
    positions: Positions = field(default_factory=Positions)
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Skipped events found behind the committed offsets, for the check agent to apply."""

    def __post_init__(self) -> None:
        if self.stored_positions is not None and self.flush is None:
            raise ValueError("stored positions need the producer's flush")

    async def track_all(self, stream: Any) -> None:
        """The ``track`` agent: the dossier events' stream, one event at a time."""
        async for event in stream.events():
            CONSUMED.labels(Topic.DOSSIER_EVENTS.value).inc()
            await self.track(event)

    async def check_all(self, stream: Any, batch_size: int) -> None:
        """The ``check`` agent: the checks' stream, in batches."""
        async for batch in stream.take_events(batch_size, within=CHECK_WITHIN_S):
            await self.check(batch)

    async def track(self, event: Any) -> None:
        """One dossier event, after any its partition skipped before it; then its offset
        is the partition's position."""
        await self._catch_up(event)
        await self._take(event)
        message = event.message
        self.positions.passed(message.partition, message.offset)
        to_store = self.positions.to_store(message.partition)
        if to_store is not None and self.stored_positions is not None and self.flush is not None:
            await self.flush()
            with as_current_event(event):  # the partition's own store and changelog
                self.stored_positions[str(message.partition)] = to_store

    async def _take(self, event: Any) -> None:
        """Its clock as intake states it; a poison event is dead-lettered."""
        try:
            cloud_event = decode_event(event.value)
            if not cloud_event["type"].startswith("vn.motcua.dossier."):
                raise ContractError("type", "not a dossier event")
            dossier_id = cloud_event["subject"]
            before = clock_from_record(self.clocks.get(dossier_id))
            if _lost(before, cloud_event):
                before = await self._restore_table(event, dossier_id)
            _note_missing(before, cloud_event)
            after, settled = _applied(before, [cloud_event], self.emitter.policy)
        except (ContractError, UnknownEvent) as exc:
            await dead_letter(self.dead_letters, event, "contract_violation", str(exc))
            return
        if is_closed_history(cloud_event):
            HISTORY_CLOSED.inc()
        if after is None or after == before:
            return
        self.emitter.schedule(await self._settled(event, after, settled))

    async def _restore_table(self, event: Any, dossier_id: str) -> DossierClock | None:
        """The dossier's clock, after its partition's table is compared with the clocks
        changelog (:meth:`compare`): its event shows the table lost it."""
        await self.compare(event, dossier_id)
        with as_current_event(event):
            return clock_from_record(self.clocks.get(dossier_id))

    async def compare(self, event: Any, shown_by: str | None = None) -> None:
        """Clocks the table lost, found again in the clocks changelog, on ``event``'s
        partition. Faust's recovery of a partition can miss changelog records (chaos runs
        found a worker's table short of 324 clocks other workers had written), and a
        dossier then gets no alert until an event of its own shows the loss. Once per
        partition and rebalance — at the first event showing a loss, or at the check every
        recovery sends each partition — every clock the changelog holds newer than the
        table is written back, its alert marks merged, and its next check scheduled."""
        partition = event.message.partition
        if self.read_changelog is None or partition in self.positions.restored:
            return
        self.positions.restored.add(partition)
        records = await asyncio.get_running_loop().run_in_executor(
            None, self.read_changelog, partition
        )
        restored = 0
        with as_current_event(event):  # the partition's own store and changelog
            for key, record in records.items():
                found, held = clock_from_record(record), clock_from_record(self.clocks.get(key))
                if found is None or (
                    held is not None and held.last_sequence >= found.last_sequence
                ):
                    continue
                if held is not None:
                    found = replace(found, emitted=found.emitted | held.emitted)
                self.clocks[key] = clock_to_record(found)
                self.emitter.schedule(found)
                restored += 1
        CLOCKS_RESTORED.inc(restored)
        _log.log(
            logging.WARNING if restored else logging.INFO,
            "table compared with the clocks changelog",
            extra={
                "partition": partition,
                "compared": len(records),
                "restored": restored,
                "shown_by": shown_by,
            },
        )

    async def _catch_up(self, event: Any) -> None:
        """The events of ``event``'s partition the stream skipped since the worker's
        position there (learned from the table after a rebalance), read back and applied
        in offset order under ``event``: one partition, so one table partition too."""
        if self.read_back is None:
            return
        message = event.message
        if message.partition not in self.positions.last and self.stored_positions is not None:
            with as_current_event(event):
                self.positions.restore(
                    message.partition, self.stored_positions.get(str(message.partition))
                )
        skipped = self.positions.skipped(message.partition, message.offset)
        if not skipped:
            return
        values = await asyncio.get_running_loop().run_in_executor(
            None, self.read_back, message.topic, message.partition, skipped
        )
        for dossier_id, events in _by_dossier(values).items():
            before = await self._clock_for(event, dossier_id, events)
            self.emitter.schedule(await self._apply_skipped(event, before, events))

    async def _clock_for(
        self, event: Any, dossier_id: str, events: Sequence[dict[str, Any]]
    ) -> DossierClock | None:
        """The dossier's clock before ``events`` (read back, on ``event``'s partition) are
        applied: from the changelog if the table lost it. Applied to a lost clock, read-back
        events were dropped unseen — a chaos run's worker read back a dossier's
        assignment onto a clock Faust's recovery had lost, and found the gap only at the
        completion, with the assignment gone."""
        with as_current_event(event):
            before = clock_from_record(self.clocks.get(dossier_id))
        first = min(events, key=_sequence)
        if _lost(before, first):
            before = await self._restore_table(event, dossier_id)
        return before

    async def catch_up_committed(
        self, committed: Mapping[int, int], send_check: Callable[[str], Awaitable[object]]
    ) -> None:
        """Offsets the group committed that the worker never went through (the skipped
        events were the partition's last, so no later one shows the gap): read back and
        left, per dossier, to the check each dossier is sent, which applies them on the
        dossier's partition. The position stays where it is: the partition's next event
        reads them back again, and a worker taking the partition over finds them behind
        the commit, whether or not the checks came first."""
        if self.read_back is None:
            return
        for partition, offsets in self.positions.behind(committed).items():
            values = await asyncio.get_running_loop().run_in_executor(
                None, self.read_back, _TOPIC, partition, offsets
            )
            dossiers: set[str] = set()
            for dossier_id, events in _by_dossier(values).items():
                clock = clock_from_record(self.clocks.get(dossier_id))  # any partition's
                if newer := _newer(clock, events):
                    self.pending.setdefault(dossier_id, []).extend(newer)
                    dossiers.add(dossier_id)
            self.positions.hand(partition, offsets.stop - 1)  # gone through once applied
            _log.info(
                "skipped events handed to checks",
                extra={
                    "partition": partition,
                    "first": offsets.start,
                    "last": offsets.stop - 1,
                    "dossiers": len(dossiers),
                },
            )
            for dossier_id in sorted(dossiers):
                await send_check(dossier_id)

    async def _apply_skipped(
        self, check: Any, clock: DossierClock | None, events: list[dict[str, Any]]
    ) -> DossierClock | None:
        """One dossier's events read back (its first among them: it had no clock yet),
        applied in sequence order under ``check`` (the dossier's partition), what they
        settle emitted: the stream's skips (:meth:`_catch_up`) and those found behind the
        committed offset (:meth:`check`)."""
        by_sequence = sorted(events, key=_sequence)
        after, settled = _applied(clock, by_sequence, self.emitter.policy)
        if after is None or after == clock:
            return clock
        _note_read_back(after.dossier_id, len(_newer(clock, events)))
        return await self._settled(check, after, settled)

    async def _settled(self, event: Any, after: DossierClock, settled: list[Alert]) -> DossierClock:
        """What ``after``'s events settled sent, its board row kept, and the clock written
        under ``event`` (its partition), with any mark a check made meanwhile."""
        [after] = await self.emitter.emit([(after, settled)], datetime.now(UTC))
        if after.emitted or after.rescheduled:
            await self.emitter.db.run_until_done(sync_board, after)
        with as_current_event(event):
            after = _with_marks_since(after, clock_from_record(self.clocks.get(after.dossier_id)))
            self.clocks[after.dossier_id] = clock_to_record(after)
        return after

    def _latest(self, batch: Sequence[Any]) -> dict[str, tuple[Any, DossierClock]]:
        """Each checked dossier's clock (read once), with its last check in the batch."""
        latest: dict[str, tuple[Any, DossierClock]] = {}
        for event in batch:
            dossier_id = event.key.decode()
            if dossier_id in latest:
                latest[dossier_id] = (event, latest[dossier_id][1])
                continue
            with as_current_event(event):  # a read looks in its event's partition
                clock = clock_from_record(self.clocks.get(dossier_id))
            if clock is not None:
                latest[dossier_id] = (event, clock)
        return latest

    async def check(self, batch: Sequence[Any]) -> None:
        """A batch of checks (a burst of alerts falling due together shares its board
        transactions); each clock is written back as its own check's event."""
        for event in batch:
            if event.key == COMPARE_WITH_CHANGELOG:
                await self.compare(event)
        batch = [event for event in batch if event.key != COMPARE_WITH_CHANGELOG]
        now = datetime.now(UTC)
        latest = self._latest(batch)
        for event in batch:
            dossier_id = event.key.decode()
            if dossier_id in self.pending:
                skipped = self.pending.pop(dossier_id)
                clock = await self._clock_for(event, dossier_id, skipped)
                repaired = await self._apply_skipped(event, clock, skipped)
                if repaired is not None:
                    latest[dossier_id] = (event, repaired)
        policy = self.emitter.policy
        due = [(e, c, c.due_alerts(now, policy)) for e, c in latest.values()]
        due = [(e, c, alerts_due) for e, c, alerts_due in due if alerts_due]
        marked = await self.emitter.emit([(c, alerts_due) for _, c, alerts_due in due], now)
        for (event, read, alerts_due), clock in zip(due, marked, strict=True):
            with as_current_event(event):
                now_stored = clock_from_record(self.clocks.get(clock.dossier_id))
                if now_stored is not None and now_stored != read:
                    clock = _marked(now_stored, alerts_due)
                self.clocks[clock.dossier_id] = clock_to_record(clock)
            latest[clock.dossier_id] = (event, clock)
        for _, clock in latest.values():
            self.emitter.schedule(clock)  # marked: its next check is the next alert


def _applied(
    clock: DossierClock | None, events: Sequence[dict[str, Any]], policy: DeadlinePolicy
) -> tuple[DossierClock | None, list[Alert]]:
    """``events`` applied in order, and every alert they settle."""
    settled: list[Alert] = []
    for event in events:
        clock, settled_by_it = apply_event(clock, event, policy)
        settled += settled_by_it
    return clock, settled


def _marked(clock: DossierClock, alerts: Sequence[Alert]) -> DossierClock:
    for alert in alerts:
        clock = clock.mark(alert)
    return clock


def _with_marks_since(after: DossierClock, stored: DossierClock | None) -> DossierClock:
    """``after``, with the alerts the check agent marked on the stored clock while this
    event awaited Kafka and PostgreSQL.

    Both agents read a clock, await, then write it back; the later write must not put back
    a clock the other had moved on from. The check agent changes only the marks, the track
    agent everything else, so each keeps the other's work: here the marks, in ``check`` the
    event (the chaos run lost completions, and their resolved-late alerts, to a check
    writing back the clock it had read)."""
    if stored is None:
        return after
    return replace(after, emitted=after.emitted | stored.emitted)


def _by_dossier(values: Sequence[bytes]) -> dict[str, list[dict[str, Any]]]:
    """Dossier events read back, per dossier in offset order; anything else there was
    dead-lettered when first read."""
    events: dict[str, list[dict[str, Any]]] = {}
    for value in values:
        try:
            read = decode_event(value)
        except ContractError:
            continue
        if read["type"].startswith("vn.motcua.dossier."):
            events.setdefault(read["subject"], []).append(read)
    return events


def _sequence(event: dict[str, Any]) -> int:
    return int(event["data"]["sequence"])


def _newer(clock: DossierClock | None, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events a clock has not applied yet."""
    seen = clock.last_sequence if clock is not None else 0
    return [e for e in events if _sequence(e) > seen]


def _note_read_back(dossier_id: str, events: int) -> None:
    """Counted and logged by dossier id (no personal data). The id is in the message itself:
    a repeated message is held to a line every ten seconds, and every dossier must be named."""
    EVENT_GAPS.labels("read_back").inc(events)
    _log.warning(f"dossier events read back: {dossier_id}", extra={"dossier_id": dossier_id})


def _lost(before: DossierClock | None, cloud_event: dict[str, Any]) -> bool:
    """Whether the table shows it lost the dossier's clock: no clock for an event after the
    receipt, or one that is not the last before this event."""
    if is_closed_history(cloud_event):
        return False
    if before is None:
        return bool(cloud_event["type"] != EventType.DOSSIER_RECEIVED.value)
    return _sequence_gap(before, cloud_event) > 0


def _sequence_gap(before: DossierClock | None, cloud_event: dict[str, Any]) -> int:
    """How many of the dossier's sequences lie between its clock and ``cloud_event``."""
    sequence = cloud_event["data"].get("sequence")
    if before is None or not isinstance(sequence, int):
        return 0
    return max(0, sequence - before.last_sequence - 1)


def _note_missing(before: DossierClock | None, cloud_event: dict[str, Any]) -> None:
    """A dossier event whose sequence is not the next after its clock's, after the
    partition's skipped events were read back: those between are gone (paged)."""
    missing = _sequence_gap(before, cloud_event)
    if before is None or not missing:
        return
    EVENT_GAPS.labels("missing").inc(missing)
    _log.error(
        f"dossier events missing: {before.dossier_id}",
        extra={
            "dossier_id": before.dossier_id,
            "after": before.last_sequence,
            "got": cloud_event["data"]["sequence"],
        },
    )
