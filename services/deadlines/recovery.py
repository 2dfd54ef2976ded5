"""After recovery or a rebalance: the alerts a dead owner sent without marking them are
looked up on the topic (before any alert goes out), then the due index is derived again
from the table in the background, so processing resumes at once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from motcua.kafka import Topic
from services.deadlines.delivered import alerts_already_sent
from services.deadlines.due_index import REBUILD_SLICE
from services.deadlines.emitting import Emitter
from services.deadlines.metrics import OPEN_DOSSIERS
from services.deadlines.records import clock_from_record

_log = logging.getLogger("motcua.deadlines")


@dataclass
class Recovery:
    bootstrap_servers: str
    clocks: Mapping[str, Any]
    emitter: Emitter
    rebuilding: list[asyncio.Task[None]] = field(default_factory=list)
    read_skipped: Callable[[list[int]], list[dict[str, Any]]] | None = None
    """The events just before the committed offsets (:func:`.missed.read_before_committed`)."""
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Dossier id → events the stream skipped, for the check agent to apply (shared)."""
    send_check: Callable[[str], Awaitable[object]] | None = None

    async def recovered(self, partitions: Iterable[int]) -> None:
        """The table is back for ``partitions`` (this worker's checks partitions)."""
        for task in self.rebuilding:
            task.cancel()
        self.rebuilding.clear()
        self.emitter.index.start_rebuild()
        found = await asyncio.get_running_loop().run_in_executor(
            None,
            alerts_already_sent,
            self.bootstrap_servers,
            Topic.DEADLINE_ALERTS.value,
            sorted(partitions),
        )
        self.emitter.delivered.clear()
        self.emitter.delivered.update(found)
        skipped: list[dict[str, Any]] = []
        if self.read_skipped is not None:
            skipped = await asyncio.get_running_loop().run_in_executor(
                None, self.read_skipped, sorted(partitions)
            )
        self.rebuilding.append(asyncio.ensure_future(self.restore_index(skipped)))

    async def restore_index(self, skipped: Sequence[dict[str, Any]] = ()) -> None:
        started = time.monotonic()
        index, policy = self.emitter.index, self.emitter.policy
        by_dossier: dict[str, list[dict[str, Any]]] = {}
        for event in skipped:
            by_dossier.setdefault(str(event.get("subject")), []).append(event)
        behind: list[str] = []
        for count, (_, record) in enumerate(self.clocks.items(), 1):
            if count % REBUILD_SLICE == 0:
                await asyncio.sleep(0)  # the agents and the timers go on meanwhile
            clock = clock_from_record(record)
            if clock is not None:
                next_check = clock.next_check(policy)
                index.restore(clock.dossier_id, next_check.timestamp() if next_check else None)
                newer = [
                    e
                    for e in by_dossier.get(clock.dossier_id, ())
                    if int(e.get("data", {}).get("sequence", 0)) > clock.last_sequence
                ]
                if newer:
                    self.pending[clock.dossier_id] = newer
                    behind.append(clock.dossier_id)
        for dossier_id in behind:  # the check agent applies them on the dossier's partition
            if self.send_check is not None:
                await self.send_check(dossier_id)
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
