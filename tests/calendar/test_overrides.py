"""Announcements the ``holidays`` package does not know yet, applied through overrides.

March 2027 has no holiday, so every difference below comes from the overrides.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from motcua.calendar import CalendarOverrides, WorkingCalendar, default_calendar
from tests.calendar._dates import at

PLAIN = default_calendar()
MONDAY = at(2027, 3, 1, 10)


def test_an_extra_day_off_moves_a_deadline_by_one_working_day() -> None:
    cal = WorkingCalendar(overrides=CalendarOverrides(extra_days_off=frozenset({date(2027, 3, 2)})))
    assert PLAIN.add_working_days(MONDAY, 3) == at(2027, 3, 4, 10)
    assert cal.add_working_days(MONDAY, 3) == at(2027, 3, 5, 10)
    assert cal.add_working_days(MONDAY, 3) == PLAIN.add_working_days(MONDAY, 4)
    assert cal.is_working_day(date(2027, 3, 2)) is False
    assert cal.clock_start(at(2027, 3, 1, 16), paper=True) == at(2027, 3, 3, 8)


def test_an_extra_working_saturday_pulls_a_deadline_in() -> None:
    cal = WorkingCalendar(
        overrides=CalendarOverrides(extra_working_days=frozenset({date(2027, 3, 6)}))
    )
    friday = at(2027, 3, 5, 10)
    assert PLAIN.add_working_days(friday, 1) == at(2027, 3, 8, 10)
    assert cal.add_working_days(friday, 1) == at(2027, 3, 6, 10)
    assert cal.add_working_days(MONDAY, 7) < PLAIN.add_working_days(MONDAY, 7)
    assert cal.next_working_day(date(2027, 3, 5)) == date(2027, 3, 6)


def test_a_swap_announced_after_the_package_release() -> None:
    # The shape of every yearly swap (2025: Friday 2/5 off, Saturday 26/4 worked), here
    # for a hypothetical 2027 announcement: Friday 12/3 off, Saturday 20/3 worked.
    swap = CalendarOverrides(
        extra_days_off=frozenset({date(2027, 3, 12)}),
        extra_working_days=frozenset({date(2027, 3, 20)}),
    )
    cal = WorkingCalendar(overrides=swap)
    start = at(2027, 3, 11, 10)  # Thursday
    assert cal.add_working_days(start, 1) == at(2027, 3, 15, 10)
    # Over both days of the swap the count evens out.
    assert cal.add_working_days(start, 7) == PLAIN.add_working_days(start, 7) == at(2027, 3, 22, 10)
    assert cal.add_working_days(start, 6) == at(2027, 3, 20, 10)


def test_removing_a_day_off_the_package_lists() -> None:
    cal = WorkingCalendar(
        overrides=CalendarOverrides(removed_days_off=frozenset({date(2026, 11, 24)}))
    )
    assert PLAIN.add_working_days(at(2026, 11, 23, 10), 1) == at(2026, 11, 25, 10)
    assert cal.add_working_days(at(2026, 11, 23, 10), 1) == at(2026, 11, 24, 10)


def test_a_removed_day_off_on_a_weekend_stays_a_weekend_day() -> None:
    # Saturday 1/5/2027: removing the holiday does not make a Saturday a working day.
    cal = WorkingCalendar(
        overrides=CalendarOverrides(removed_days_off=frozenset({date(2027, 5, 1)}))
    )
    assert cal.is_working_day(date(2027, 5, 1)) is False


def test_overrides_accept_any_collection_and_stay_hashable() -> None:
    overrides = CalendarOverrides(extra_days_off={date(2027, 3, 2)})  # type: ignore[arg-type]
    assert overrides.extra_days_off == frozenset({date(2027, 3, 2)})
    assert hash(WorkingCalendar(overrides=overrides)) == hash(
        WorkingCalendar(overrides=CalendarOverrides(extra_days_off=frozenset({date(2027, 3, 2)})))
    )


def test_calendars_with_other_overrides_do_not_disturb_each_other() -> None:
    off = WorkingCalendar(overrides=CalendarOverrides(extra_days_off=frozenset({date(2027, 3, 2)})))
    assert off.add_working_days(MONDAY, 3) != PLAIN.add_working_days(MONDAY, 3)
    assert PLAIN.is_working_day(date(2027, 3, 2)) is True


def test_a_date_both_off_and_worked_is_refused() -> None:
    day = frozenset({date(2027, 3, 6)})
    with pytest.raises(ValueError, match="both off and worked"):
        CalendarOverrides(extra_days_off=day, extra_working_days=day)
    with pytest.raises(ValueError, match="both off and worked"):
        CalendarOverrides(extra_days_off=day, removed_days_off=day)


def test_overrides_hold_dates_only() -> None:
    with pytest.raises(TypeError, match="must hold dates"):
        CalendarOverrides(extra_days_off=frozenset({datetime(2027, 3, 2, 0, 0)}))
