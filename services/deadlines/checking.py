"""What the worker's two agents do with what they read: ``track`` takes each dossier event
into the ``clocks`` table (and emits what the event itself settles), ``check`` re-reads
the clocks whose next check has come and emits the alerts now due.

Table reads and writes happen while their event is the current one: Faust reads and
writes a table key in the current event's partition.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Iterable, MutableMapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from motcua.contracts import ContractError, decode_event
from motcua.kafka import Topic
from motcua.metrics import CONSUMED
from motcua.streaming import as_current_event
from services.deadlines.board.service import sync_board
from services.deadlines.dead_letters import Send, dead_letter
from services.deadlines.emitting import Emitter
from services.deadlines.metrics import EVENT_GAPS, HISTORY_CLOSED
from services.deadlines.records import clock_from_record, clock_to_record
from services.deadlines.tracking import (
    DossierClock,
    UnknownEvent,
    apply_event,
    is_closed_history,
)

# How long a batch of checks waits to fill: a lone check waits at most this, a burst of
# thousands goes out in batches of ``check_batch_size``.
CHECK_WITHIN_S = 0.02
_log = logging.getLogger("motcua.deadlines")


@dataclass(frozen=True)
class DossierLocks:
    """One read-modify-write of a dossier's clock at a time, across both agents. Each reads
    the clock, awaits Kafka and PostgreSQL, then writes it back; interleaved, the later write
    puts back a clock the other had moved on from. The chaos run lost completions, and with
    them their resolved-late alerts, that way: a check marking an alert wrote its clock over
    the one a completion had just closed."""

    stripes: tuple[asyncio.Lock, ...] = field(
        default_factory=lambda: tuple(asyncio.Lock() for _ in range(256))
    )

    @asynccontextmanager
    async def holding(self, dossier_ids: Iterable[str]) -> AsyncIterator[None]:
        """The stripes of ``dossier_ids``, taken in one order (no two holders wait on each
        other in a circle)."""
        chosen = sorted({zlib.crc32(d.encode()) % len(self.stripes) for d in dossier_ids})
        async with AsyncExitStack() as held:
            for stripe in chosen:
                await held.enter_async_context(self.stripes[stripe])
            yield


@dataclass(frozen=True)
class Agents:
    clocks: MutableMapping[str, Any]
    """The Faust table: dossier id → clock record."""
    emitter: Emitter
    dead_letters: Send
    locks: DossierLocks = field(default_factory=DossierLocks)

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
        """One dossier event: its clock as intake states it; a poison event is dead-lettered."""
        async with self.locks.holding([_key(event)]):
            await self._track(event)

    async def _track(self, event: Any) -> None:
        try:
            cloud_event = decode_event(event.value)
            if not cloud_event["type"].startswith("vn.motcua.dossier."):
                raise ContractError("type", "not a dossier event")
            dossier_id = cloud_event["subject"]
            before = clock_from_record(self.clocks.get(dossier_id))
            _note_gap(before, cloud_event)
            after, settled = apply_event(before, cloud_event, self.emitter.policy)
        except (ContractError, UnknownEvent) as exc:
            await dead_letter(self.dead_letters, event, "contract_violation", str(exc))
            return
        if is_closed_history(cloud_event):
            HISTORY_CLOSED.inc()
        if after is None or after == before:
            return
        [after] = await self.emitter.emit([(after, settled)], datetime.now(UTC))
        if after.emitted or after.rescheduled:
            await self.emitter.db.run_until_done(sync_board, after)
        self.clocks[dossier_id] = clock_to_record(after)
        self.emitter.schedule(after)

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
        async with self.locks.holding(_key(event) for event in batch):
            await self._check(batch)

    async def _check(self, batch: Sequence[Any]) -> None:
        now = datetime.now(UTC)
        latest = self._latest(batch)
        policy = self.emitter.policy
        due = [(e, c, c.due_alerts(now, policy)) for e, c in latest.values()]
        due = [(e, c, alerts_due) for e, c, alerts_due in due if alerts_due]
        marked = await self.emitter.emit([(c, alerts_due) for _, c, alerts_due in due], now)
        for (event, _, _), clock in zip(due, marked, strict=True):
            with as_current_event(event):
                self.clocks[clock.dossier_id] = clock_to_record(clock)
            latest[clock.dossier_id] = (event, clock)
        for _, clock in latest.values():
            self.emitter.schedule(clock)  # marked: its next check is the next alert


def _key(event: Any) -> str:
    """The dossier id a dossier event or a check is keyed by."""
    return bytes(event.key or b"").decode(errors="replace")


def _note_gap(before: DossierClock | None, event: dict[str, Any]) -> None:
    """Counted and logged (by id, no personal data): an event must never go missing."""
    sequence = event["data"].get("sequence")
    if before is None or not isinstance(sequence, int) or sequence <= before.last_sequence + 1:
        return
    EVENT_GAPS.inc()
    _log.error(
        "dossier events missing",
        extra={"dossier_id": before.dossier_id, "after": before.last_sequence, "got": sequence},
    )
