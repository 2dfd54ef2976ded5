"""After recovery or a rebalance: the alerts a dead owner sent without marking them are
looked up on the topic (before any alert goes out), the positions of the partitions now
owned are taken from the table (:mod:`.missed`), each partition is sent the check that
compares its table with the clocks changelog (:meth:`.checking.Agents.compare`), then the
due index is derived again from the table in the background, so processing resumes at
once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from motcua.kafka import Topic
from services.deadlines.delivered import alerts_already_sent
from services.deadlines.due_index import REBUILD_SLICE
from services.deadlines.emitting import Emitter
from services.deadlines.metrics import OPEN_DOSSIERS
from services.deadlines.missed import Positions
from services.deadlines.records import clock_from_record

_log = logging.getLogger("motcua.deadlines")


@dataclass
class Recovery:
    bootstrap_servers: str
    clocks: Mapping[str, Any]
    emitter: Emitter
    positions: Positions = field(default_factory=Positions)
    """The track agent's (shared)."""
    stored_positions: Mapping[str, Any] = field(default_factory=dict)
    """The ``positions`` table."""
    rebuilding: list[asyncio.Task[None]] = field(default_factory=list)
    send_compare: Callable[[int], Awaitable[object]] | None = None
    """Sends a partition the check comparing its table with the clocks changelog."""

    async def recovered(self, partitions: Iterable[int]) -> None:
        """The tables are back for ``partitions`` (this worker's, the same numbers on the
        dossier events and the checks)."""
        partitions = sorted(partitions)
        for task in self.rebuilding:
            task.cancel()
        self.rebuilding.clear()
        self.emitter.index.start_rebuild()
        found = await asyncio.get_running_loop().run_in_executor(
            None,
            alerts_already_sent,
            self.bootstrap_servers,
            Topic.DEADLINE_ALERTS.value,
            partitions,
        )
        self.emitter.delivered.clear()
        self.emitter.delivered.update(found)
        self.positions.forget()
        for partition in partitions:  # each key lives in its own partition's store
            self.positions.restore(partition, self.stored_positions.get(str(partition)))
        if self.send_compare is not None:
            for partition in partitions:  # a lost clock with no later event to show it
                await self.send_compare(partition)
        self.rebuilding.append(asyncio.ensure_future(self.restore_index()))

    async def restore_index(self) -> None:
        started = time.monotonic()
        index, policy = self.emitter.index, self.emitter.policy
        for count, (_, record) in enumerate(self.clocks.items(), 1):
            if count % REBUILD_SLICE == 0:
                await asyncio.sleep(0)  # the agents and the timers go on meanwhile
            clock = clock_from_record(record)
            if clock is not None:
                next_check = clock.next_check(policy)
                index.restore(clock.dossier_id, next_check.timestamp() if next_check else None)
        index.finish_rebuild()
        OPEN_DOSSIERS.set(len(index))
        _log.info(
            "due index rebuilt",
            extra={
                "open_dossiers": len(index),
                "alerts_found_on_topic": len(self.emitter.delivered),
                "seconds": round(time.monotonic() - started, 2),
            },
        )
