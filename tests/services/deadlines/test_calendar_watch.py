"""A calendar announcement moves open dossiers' next checks; their due dates stay."""

from __future__ import annotations

import asyncio
from datetime import date

from motcua.calendar import CalendarOverride, OverrideKind, WorkingCalendar, overrides_from
from motcua.calendar_feed import LiveCalendar
from services.deadlines.calendar_watch import CalendarWatch, follow_changes, reschedule_all
from services.deadlines.due_index import DueIndex
from services.deadlines.metrics import CALENDAR_OVERRIDES
from services.deadlines.records import clock_to_record
from services.deadlines.tracking import AlertKind, DeadlinePolicy, DossierClock
from tests.services.deadlines import test_tracking as tracking

# An (invented) announcement: Wednesday 23/4/2025 is a day off.
WEDNESDAY_OFF = overrides_from([CalendarOverride(date(2025, 4, 23), OverrideKind.DAY_OFF, "QĐ 9")])


def test_a_new_day_off_moves_the_due_soon_check_and_not_the_due_date() -> None:
    live = LiveCalendar()
    policy = DeadlinePolicy(live)
    due = tracking.at(25, 9)  # Friday 25/4/2025 09:00
    clock = tracking.received(due)
    before = DeadlinePolicy(WorkingCalendar()).became_due(AlertKind.DUE_SOON, due)
    after = DeadlinePolicy(WorkingCalendar(overrides=WEDNESDAY_OFF)).became_due(
        AlertKind.DUE_SOON, due
    )
    assert after < before  # the day off pulls the due-soon alert earlier
    index = DueIndex()
    watch = CalendarWatch(live)

    def schedule(found: DossierClock | None) -> None:
        assert found is not None
        next_check = found.next_check(policy)
        index.schedule(found.dossier_id, next_check.timestamp() if next_check else None)

    schedule(clock)
    assert clock.next_check(policy) == before
    assert not watch.changed()

    live.replace(WEDNESDAY_OFF)
    assert watch.changed()
    assert not watch.changed()  # once per change
    assert index.pop_due(after.timestamp()) == []  # the index still has the old instant
    assert asyncio.run(reschedule_all([clock_to_record(clock)], schedule)) == 1
    assert index.pop_due(after.timestamp() - 1) == []
    assert index.pop_due(after.timestamp()) == [clock.dossier_id]
    assert clock.due_at == due


def test_follow_changes_counts_the_overrides_and_reschedules_once_per_change() -> None:
    live = LiveCalendar()
    watch = CalendarWatch(live)
    clock = tracking.received(tracking.at(25, 9))
    scheduled: list[str] = []

    def schedule(found: DossierClock | None) -> None:
        assert found is not None
        scheduled.append(found.dossier_id)

    def follow() -> None:
        asyncio.run(follow_changes(watch, lambda: [clock_to_record(clock)], schedule))

    follow()
    assert scheduled == []  # nothing announced yet
    live.replace(WEDNESDAY_OFF)
    follow()
    follow()
    assert scheduled == [clock.dossier_id]  # once for the one change
    assert CALENDAR_OVERRIDES._value.get() == 1
