"""The sender loop a service runs over its own table of messages: claim what is due (the
service's :class:`DeliveryStore`, ``FOR UPDATE SKIP LOCKED`` with a lease), deliver each
concurrently (the service's :meth:`SenderLoop.deliver`), and write the round's outcomes
with what the recording channels kept, in one transaction.

It runs in a thread of the service's process with its own event loop, so hundreds of
messages can be in flight without slowing the pages. A crashed sender's messages are
claimed again once their lease runs out: a message may go twice (a sender killed between
its send and its round's record), never zero times. The database away costs no double
send: a delivery it stops before its send gets no outcome (the lease hands it on), and a
round whose messages went out waits, within its lease, for its record to land.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

import psycopg

from motcua.delivery._channels import Channel, RecordingChannel
from motcua.delivery._contacts import ContactDirectory
from motcua.outage import Outage

ItemT = TypeVar("ItemT")
OutcomeT = TypeVar("OutcomeT")
ItemT_co = TypeVar("ItemT_co", covariant=True)
OutcomeT_contra = TypeVar("OutcomeT_contra", contravariant=True)

RecordedRow = Mapping[str, str | None]
"""A message the recording channel kept (``reference``, ``channel``, ``kind``,
``destination_masked``, ``subject``, ``link``, ``body``, ``attachment``: the file's name
or None)."""


class DeliveryStore(Protocol[ItemT_co, OutcomeT_contra]):
    """A service's table of messages, as the sender loop needs it."""

    async def open(self) -> None: ...

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> Sequence[ItemT_co]:
        """Up to ``limit`` messages due at ``now``, leased until ``lease_until``."""
        ...

    async def record(
        self, outcomes: Sequence[OutcomeT_contra], recorded: Sequence[RecordedRow]
    ) -> None:
        """A round's outcomes and the recorded messages, in one transaction."""
        ...

    async def sweep(self, now: datetime) -> None:
        """Housekeeping, about once a minute (forgetting what is no longer needed)."""
        ...

    async def close(self) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class SenderLoop(ABC, Generic[ItemT, OutcomeT]):
    """Rounds of claim, deliver, record until stopped; a service subclasses it with what
    one message's delivery is (:meth:`deliver`) and what a crash of it records."""

    log = logging.getLogger("motcua.delivery")
    sweep_every_s = 60.0
    record_retry_s = 1.0

    def __init__(
        self,
        store: DeliveryStore[ItemT, OutcomeT],
        channels: Mapping[str, Channel],
        directory: ContactDirectory,
        *,
        batch_size: int = 200,
        concurrency: int = 100,
        lease: timedelta = timedelta(minutes=10),
        poll_s: float = 0.5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.channels = channels
        self.directory = directory
        self.batch_size = batch_size
        self.lease = lease
        self.poll_s = poll_s
        self.clock = clock
        self._slots = asyncio.Semaphore(concurrency)
        self._unrecorded: list[RecordedRow] = []
        self._database = Outage("PostgreSQL", self.log)
        """One line about the database away, not one per delivery, round or retry."""
        """What the recording channels kept whose round could not be written yet: it
        went out, so it is written with the next round that can."""

    @abstractmethod
    async def deliver(self, item: ItemT) -> OutcomeT:
        """One claimed message handed to its channel (or why not), as its outcome."""

    @abstractmethod
    def crashed(self, item: ItemT, error: Exception) -> OutcomeT:
        """The outcome of a delivery that raised (logged by the loop)."""

    @abstractmethod
    def log_extra(self, item: ItemT) -> dict[str, object]:
        """What identifies ``item`` in a log line (never a contact)."""

    def run(self, stop: threading.Event) -> None:
        """The thread's body: its own event loop until ``stop``."""
        asyncio.run(self.run_async(stop))

    async def run_async(self, stop: threading.Event, *, grace_s: float = 5.0) -> None:
        """Rounds until ``stop``; the round in progress gets ``grace_s`` to finish (what it
        holds stays leased and is taken again later if it cannot)."""
        await self.store.open()
        rounds = asyncio.create_task(self._rounds(stop))
        try:
            while not rounds.done() and not stop.is_set():
                await asyncio.wait({rounds}, timeout=0.2)
            await asyncio.wait({rounds}, timeout=grace_s)
        finally:
            rounds.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await rounds
            for channel in self.channels.values():
                await channel.close()
            close = getattr(self.directory, "close", None)
            if close is not None:
                await close()
            await self.store.close()

    async def _rounds(self, stop: threading.Event) -> None:
        last_sweep = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                done = await self.round()
                if loop.time() - last_sweep > self.sweep_every_s:
                    await self.store.sweep(self.clock())
                    last_sweep = loop.time()
            except psycopg.OperationalError as exc:
                self._database.failed(exc)  # the claim's lease keeps what the round held
                done = 0
            except Exception:
                self.log.exception("delivery round failed")
                done = 0
            if done < self.batch_size:
                await asyncio.sleep(self.poll_s)

    async def round(self) -> int:
        """One batch: claim, deliver concurrently, write the outcomes. Returns how many."""
        now = self.clock()
        lease_ends = asyncio.get_running_loop().time() + self.lease.total_seconds()
        claimed = await self.store.claim(now, self.batch_size, now + self.lease)
        self._database.recovered()
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._guarded(item) for item in claimed))
        await self._record([o for o in outcomes if o is not None], lease_ends)
        return len(claimed)

    async def _record(self, outcomes: Sequence[OutcomeT], lease_ends: float) -> None:
        """The round's outcomes must land while it still holds the lease: their messages
        went out, and an outcome lost hands them to a later round, which sends them again.
        A database away is waited out for as long as the lease lasts."""
        self._unrecorded += self._recorded()
        loop = asyncio.get_running_loop()
        while True:
            try:
                await self.store.record(outcomes, self._unrecorded)
            except psycopg.OperationalError as exc:
                if loop.time() + self.record_retry_s >= lease_ends:
                    raise
                self._database.failed(exc)
                await asyncio.sleep(self.record_retry_s)
                continue
            self._database.recovered()
            self._unrecorded = []
            return

    def _recorded(self) -> list[RecordedRow]:
        return [
            row
            for channel in self.channels.values()
            if isinstance(channel, RecordingChannel)
            for row in channel.take()
        ]

    async def _guarded(self, item: ItemT) -> OutcomeT | None:
        async with self._slots:
            try:
                return await self.deliver(item)
            except psycopg.OperationalError as exc:
                # The database is away (a restart, a switch of primary) before the message
                # went out (a delivery writes before it sends): not the message's fault. It
                # gets no outcome; the claim's lease hands it to a later round.
                self._database.failed(exc)
                return None
            except Exception as exc:
                self.log.exception("delivery failed", extra=self.log_extra(item))
                return self.crashed(item, exc)
