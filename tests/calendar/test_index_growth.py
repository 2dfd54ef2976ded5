"""The working-day index grows on demand; no answer may depend on how it grew.

Each test uses overrides of its own (a day off in 1950, far from every date asked about)
so that it gets a fresh, unshared index and controls the order of its growth.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

from motcua.calendar import CalendarOverrides, WorkingCalendar, default_calendar
from tests.calendar._dates import at

PLAIN = default_calendar()


def _fresh(day: int) -> WorkingCalendar:
    return WorkingCalendar(
        overrides=CalendarOverrides(extra_days_off=frozenset({date(1950, 1, day)}))
    )


def test_long_deadlines_cross_many_years() -> None:
    cal = _fresh(2)
    start = at(2026, 11, 23, 10)
    step = start
    for _ in range(50):
        step = cal.add_working_days(step, 100)
    assert cal.add_working_days(start, 5000) == step == PLAIN.add_working_days(start, 5000)
    assert cal.subtract_working_time(step, 5000 * cal.hours.day_length) == start


def test_growing_backwards_keeps_earlier_answers() -> None:
    cal = _fresh(3)
    recent = cal.working_time_between(at(2026, 1, 5, 8), at(2026, 12, 31, 17))
    old = cal.working_time_between(at(1996, 1, 1, 8), at(2026, 1, 5, 8))
    assert cal.working_time_between(at(2026, 1, 5, 8), at(2026, 12, 31, 17)) == recent
    assert cal.working_time_between(at(1996, 1, 1, 8), at(2026, 12, 31, 17)) == old + recent
    assert PLAIN.working_time_between(at(1996, 1, 1, 8), at(2026, 12, 31, 17)) == old + recent


def test_concurrent_first_use_agrees_with_sequential_use() -> None:
    starts = [at(year, 3, 2, 10) for year in range(2000, 2060, 3)]

    def due(start: datetime) -> tuple[datetime, timedelta]:
        end = cal.add_working_days(start, 40)
        return end, cal.working_time_between(at(2026, 1, 5, 8), end)

    cal = _fresh(4)
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(due, starts))
    cal = _fresh(5)
    assert concurrent == [due(start) for start in starts]
