"""When the announced calendar changes, the open dossiers' next checks move with it.

A new day off or Saturday worked moves the legal apology deadline (one working day before
the due date) and so the due-soon alert: every open clock's next check is computed again
from the live calendar. Due dates themselves are not recomputed: they were given to the
citizen on the receipt, and only intake (a transition, an apology letter's reschedule)
ever changes one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from motcua.calendar_feed import LiveCalendar
from services.deadlines.metrics import CALENDAR_OVERRIDES
from services.deadlines.records import clock_from_record
from services.deadlines.tracking import DossierClock

_log = logging.getLogger("motcua.deadlines")


class CalendarWatch:
    """Says once per change of a :class:`LiveCalendar` that it changed."""

    def __init__(self, calendar: LiveCalendar) -> None:
        self.calendar = calendar
        self._seen = calendar.version

    def changed(self) -> bool:
        version = self.calendar.version
        if version == self._seen:
            return False
        self._seen = version
        return True


async def reschedule_all(
    records: Iterable[Any], schedule: Callable[[DossierClock | None], None]
) -> int:
    """Schedule every clock of ``records`` (the table's values) again; how many there were."""
    count = 0
    for count, record in enumerate(records, 1):
        if count % 10_000 == 0:
            await asyncio.sleep(0)  # a million clocks take seconds: let the web answer
        schedule(clock_from_record(record))
    return count


async def follow_changes(
    watch: CalendarWatch,
    records: Callable[[], Iterable[Any]],
    schedule: Callable[[DossierClock | None], None],
) -> None:
    """Count the announced overrides; after a change, every open clock's next check again."""
    overrides = watch.calendar.overrides
    CALENDAR_OVERRIDES.set(len(overrides.extra_days_off) + len(overrides.extra_working_days))
    if watch.changed():
        count = await reschedule_all(records(), schedule)
        _log.info("next checks recomputed after a calendar change", extra={"clocks": count})
