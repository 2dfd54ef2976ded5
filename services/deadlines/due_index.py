"""Which dossier needs a look next: an in-memory index derived from the clocks table.

Faust timers are in memory and a missed tick is lost, so the index never counts ticks: it
holds the next instant each open dossier needs checking, rebuilt from the table after
every recovery or rebalance. A tick pops what is due; its cost depends on what is due
now, not on how many dossiers are open.

The rebuild runs beside the processing, a slice at a time (a million clocks take ~30 s of
work; holding the worker's loop for it stopped alerts, events and the web for as long).
While it runs, an event or check may schedule a dossier the rebuild has not reached yet:
the rebuild then leaves it alone (:meth:`DueIndex.restore`), since what it read from the
table may be older than what the event just decided.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable
from typing import Any

_log = logging.getLogger("motcua.deadlines.due_index")

# Clocks the index rebuild reads between two yields to the worker's loop (~30 ms of work).
REBUILD_SLICE = 1_000


class DueIndex:
    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self._next: dict[str, float] = {}
        # While a rebuild runs: the dossiers scheduled by events and checks meanwhile.
        self._fresh: set[str] | None = None

    def __len__(self) -> int:
        return len(self._next)

    def schedule(self, dossier_id: str, at: float | None) -> None:
        """Check ``dossier_id`` at ``at`` (epoch seconds); ``None`` forgets it."""
        if self._fresh is not None:
            self._fresh.add(dossier_id)
        self._set(dossier_id, at)

    def start_rebuild(self) -> None:
        """Forget everything; :meth:`restore` fills the index again from the table."""
        self.clear()
        self._fresh = set()

    def restore(self, dossier_id: str, at: float | None) -> None:
        """The next check the rebuild read from the table, unless an event or check has
        scheduled the dossier since the rebuild started."""
        if self._fresh is None or dossier_id not in self._fresh:
            self._set(dossier_id, at)

    def finish_rebuild(self) -> None:
        self._fresh = None

    @property
    def rebuilding(self) -> bool:
        return self._fresh is not None

    def _set(self, dossier_id: str, at: float | None) -> None:
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
