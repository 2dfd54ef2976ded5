"""A calendar announcement moves open dossiers' next checks; their due dates stay."""

from __future__ import annotations

import asyncio
from datetime import date

from motcua.calendar import CalendarOverride, OverrideKind, overrides_from
from motcua.calendar_feed import LiveCalendar
from services.deadlines.calendar_watch import CalendarWatch, reschedule_all
from services.deadlines.due_index import DueIndex
from services.deadlines.records import clock_to_record
from services.deadlines.tracking import DeadlinePolicy, DossierClock
from tests.services.deadlines import test_tracking as tracking


def test_a_new_day_off_moves_the_due_soon_check_and_not_the_due_date() -> None:
    live = LiveCalendar()
    policy = DeadlinePolicy(live)
    clock = tracking.received(tracking.at(24, 9))  # due Thursday 24/4/2025 09:00
    index = DueIndex()
    watch = CalendarWatch(live)

    def schedule(found: DossierClock | None) -> None:
        assert found is not None
        next_check = found.next_check(policy)
        index.schedule(found.dossier_id, next_check.timestamp() if next_check else None)

    schedule(clock)
    assert clock.next_check(policy) == tracking.at(23, 9)
    assert not watch.changed()

    # An (invented) announcement: Wednesday 23/4/2025 is a day off.
    live.replace(
        overrides_from([CalendarOverride(date(2025, 4, 23), OverrideKind.DAY_OFF, "QĐ 9")])
    )
    assert watch.changed()
    assert not watch.changed()  # once per change
    assert index.pop_due(tracking.at(22, 9).timestamp()) == []  # not yet rescheduled
    assert asyncio.run(reschedule_all([clock_to_record(clock)], schedule)) == 1
    assert index.pop_due(tracking.at(22, 8).timestamp()) == []
    assert index.pop_due(tracking.at(22, 9).timestamp()) == [clock.dossier_id]
    assert clock.due_at == tracking.at(24, 9)
