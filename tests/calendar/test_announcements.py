"""Announcements folded into overrides, checked before they are recorded, applied live.

March 2027 has no holiday: Friday 12/3 and Saturday 20/3 are a made-up swap.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest

from motcua.calendar import (
    CalendarOverride,
    CalendarOverrides,
    OverrideKind,
    WorkingCalendar,
    default_calendar,
    override_problems,
    overrides_from,
)
from motcua.calendar_feed import _DELEGATED, LiveCalendar
from tests.calendar._dates import at

FRIDAY_OFF = CalendarOverride(date(2027, 3, 12), OverrideKind.DAY_OFF, "Quyết định 1/QĐ-TTg")
SATURDAY_WORKED = CalendarOverride(
    date(2027, 3, 20), OverrideKind.WORKING_DAY, "Quyết định 1/QĐ-TTg", "làm bù"
)


def test_a_swap_becomes_one_day_off_and_one_working_day() -> None:
    assert overrides_from([FRIDAY_OFF, SATURDAY_WORKED]) == CalendarOverrides(
        extra_days_off=frozenset({date(2027, 3, 12)}),
        extra_working_days=frozenset({date(2027, 3, 20)}),
    )
    assert overrides_from([]) == CalendarOverrides()


def test_two_announcements_for_one_date_are_refused() -> None:
    with pytest.raises(ValueError, match="two announcements"):
        overrides_from([FRIDAY_OFF, CalendarOverride(date(2027, 3, 12), "working_day", "x")])  # type: ignore[arg-type]


def test_a_working_day_announcement_also_cancels_a_listed_holiday() -> None:
    # 24/11/2026 (Ngày Văn hóa Việt Nam) is in the package; declared worked, it is worked.
    worked = CalendarOverride(date(2026, 11, 24), OverrideKind.WORKING_DAY, "Thông báo 2/TB")
    cal = WorkingCalendar(overrides=overrides_from([worked]))
    assert default_calendar().is_working_day(date(2026, 11, 24)) is False
    assert cal.is_working_day(date(2026, 11, 24)) is True


def test_an_announcement_that_changes_nothing_is_refused() -> None:
    base = default_calendar()
    assert override_problems(FRIDAY_OFF, base) == {}
    assert override_problems(SATURDAY_WORKED, base) == {}
    sunday_off = CalendarOverride(date(2027, 3, 14), OverrideKind.DAY_OFF, "QĐ 3")
    tuesday_worked = CalendarOverride(date(2027, 3, 9), OverrideKind.WORKING_DAY, "QĐ 3")
    assert "already a day off" in override_problems(sunday_off, base)["kind"]
    assert "already a working day" in override_problems(tuesday_worked, base)["kind"]


def test_missing_basis_too_long_note_and_dates_outside_the_calendar_are_named() -> None:
    base = default_calendar()
    problems = override_problems(
        CalendarOverride(date(2027, 3, 12), OverrideKind.DAY_OFF, "  ", "n" * 501), base
    )
    assert set(problems) == {"legal_basis", "note"}
    far = CalendarOverride(date(2150, 3, 12), OverrideKind.DAY_OFF, "QĐ 4")
    assert set(override_problems(far, base)) == {"date"}


def test_a_live_calendar_answers_with_the_overrides_in_force_now() -> None:
    live = LiveCalendar()
    thursday = at(2027, 3, 11, 10)
    assert live.add_working_days(thursday, 1) == at(2027, 3, 12, 10)
    assert live.replace(overrides_from([FRIDAY_OFF, SATURDAY_WORKED])) is True
    assert live.version == 1
    assert live.add_working_days(thursday, 1) == at(2027, 3, 15, 10)
    assert live.add_working_days(at(2027, 3, 19, 10), 1) == at(2027, 3, 20, 10)
    assert live.replace(overrides_from([SATURDAY_WORKED, FRIDAY_OFF])) is False  # same set
    assert live.version == 1
    assert live.replace(CalendarOverrides()) is True
    assert live.add_working_days(thursday, 1) == at(2027, 3, 12, 10)


def test_a_live_calendar_delegates_every_public_method_of_the_calendar() -> None:
    public = {
        name
        for name in vars(WorkingCalendar)
        if not name.startswith("_") and callable(getattr(WorkingCalendar, name))
    }
    assert public == set(_DELEGATED)
    assert all(getattr(LiveCalendar, name) is not getattr(WorkingCalendar, name) for name in public)


def test_a_snapshot_is_not_disturbed_by_a_later_replace() -> None:
    live = LiveCalendar()
    before = live.snapshot()
    live.replace(overrides_from([FRIDAY_OFF]))
    assert before.is_working_day(date(2027, 3, 12)) is True
    assert live.is_working_day(date(2027, 3, 12)) is False


def test_replacing_while_others_compute_gives_one_of_the_two_answers() -> None:
    live = LiveCalendar()
    thursday = at(2027, 3, 11, 10)
    answers = {at(2027, 3, 12, 10), at(2027, 3, 15, 10)}
    seen: set[object] = set()
    stop = threading.Event()

    def compute() -> None:
        while not stop.is_set():
            seen.add(live.add_working_days(thursday, 1))

    threads = [threading.Thread(target=compute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for number in range(200):
        live.replace(overrides_from([FRIDAY_OFF] if number % 2 == 0 else []))
    stop.set()
    for thread in threads:
        thread.join()
    assert seen <= answers
