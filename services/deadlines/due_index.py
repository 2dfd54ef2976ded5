"""Which dossier needs a look next: an in-memory index derived from the clocks table.

Faust timers are in memory and a missed tick is lost, so the index never counts ticks: it
holds the next instant each open dossier needs checking, rebuilt from the table after
every recovery or rebalance. A tick pops what is due; its cost depends on what is due
now, not on how many dossiers are open.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable
from typing import Any

_log = logging.getLogger("motcua.deadlines.due_index")


class DueIndex:
    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self._next: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._next)

    def schedule(self, dossier_id: str, at: float | None) -> None:
        """Check ``dossier_id`` at ``at`` (epoch seconds); ``None`` forgets it."""
        if at is None:
            self._next.pop(dossier_id, None)
        elif self._next.get(dossier_id) != at:
            self._next[dossier_id] = at
            heapq.heappush(self._heap, (at, dossier_id))
        if len(self._heap) > 2 * len(self._next) + 1024:
            self._compact()

    def pop_due(self, now: float, limit: int = 10_000) -> list[str]:
        """Dossiers whose check time has come, at most ``limit`` per call."""
        due: list[str] = []
        while self._heap and self._heap[0][0] <= now and len(due) < limit:
            at, dossier_id = heapq.heappop(self._heap)
            if self._next.get(dossier_id) == at:
                del self._next[dossier_id]
                due.append(dossier_id)
        return due

    def put_back(self, dossier_id: str, at: float) -> None:
        """Return a popped dossier whose check could not be sent, unless it was scheduled
        again meanwhile (a newer event or check knows better than the failed send)."""
        if dossier_id not in self._next:
            self.schedule(dossier_id, at)

    def clear(self) -> None:
        self._heap.clear()
        self._next.clear()

    def _compact(self) -> None:
        """Drop superseded entries, so memory follows the open dossiers, not the events."""
        self._heap = [(at, dossier_id) for dossier_id, at in self._next.items()]
        heapq.heapify(self._heap)


SendCheck = Callable[[str], Awaitable[Awaitable[Any]]]


async def dispatch_due(index: DueIndex, now: float, send: SendCheck) -> list[str]:
    """Send a check for every dossier due at ``now``; return those Kafka did not take.

    ``send`` enqueues a check and returns its delivery future (Faust's ``Topic.send``).
    A dossier whose check failed to enqueue or to be delivered goes back into the index
    at ``now``, so the next tick tries again: popped is not forgotten.
    """
    due = index.pop_due(now)
    deliveries: list[tuple[str, Awaitable[Any]]] = []
    failed: list[str] = []
    for position, dossier_id in enumerate(due):
        try:
            deliveries.append((dossier_id, await send(dossier_id)))
        except Exception:
            _log.warning("check not sent; retried at the next tick", exc_info=True)
            failed.extend(due[position:])  # the producer is in trouble: keep the rest too
            break
    results = await asyncio.gather(
        *(delivery for _, delivery in deliveries), return_exceptions=True
    )
    failed.extend(
        dossier_id
        for (dossier_id, _), result in zip(deliveries, results, strict=True)
        if isinstance(result, BaseException)
    )
    for dossier_id in failed:
        index.put_back(dossier_id, now)
    if failed:
        _log.warning("checks not delivered; retried at the next tick", extra={"count": len(failed)})
    return failed
