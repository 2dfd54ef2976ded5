"""The working-day calendar on real Vietnamese dates, and its properties."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.calendar import CalendarOverrides, WorkingCalendar, default_calendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = default_calendar()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 27), False),  # Tết Ất Tỵ: 27/1–31/1/2025 off
        (date(2025, 1, 31), False),
        (date(2025, 2, 3), True),
        (date(2026, 2, 16), False),  # Tết Bính Ngọ: 16/2–20/2/2026 off
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), True),
        (date(2025, 4, 7), False),  # Giỗ Tổ Hùng Vương 2025
        (date(2025, 4, 26), True),  # make-up Saturday for Friday 2/5/2025
        (date(2025, 4, 30), False),
        (date(2025, 5, 1), False),
        (date(2025, 5, 2), False),
        (date(2025, 9, 1), False),  # National Day 2025: 1–2/9
        (date(2025, 9, 2), False),
        (date(2026, 8, 22), True),  # make-up Saturday for Monday 31/8/2026
        (date(2026, 8, 31), False),
        (date(2026, 11, 24), False),  # Ngày Văn hóa Việt Nam, from 2026
        (date(2025, 11, 24), True),
        (date(2025, 4, 27), False),  # an ordinary Sunday
    ],
)
def test_working_days_follow_the_law(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("received", "paper", "expected"),
    [
        (at(2025, 4, 21, 10), True, at(2025, 4, 21, 10)),
        (at(2025, 4, 21, 15, 0), True, at(2025, 4, 21, 15, 0)),  # at the cut-off: same day
        (at(2025, 4, 21, 16), True, at(2025, 4, 22, 8)),  # paper after 15:00: next day
        (at(2025, 4, 21, 16), False, at(2025, 4, 21, 16)),  # online: no paper cut-off
        (at(2025, 4, 21, 12, 30), False, at(2025, 4, 21, 13)),  # lunch break
        (at(2025, 4, 21, 18), False, at(2025, 4, 22, 8)),  # evening
        (at(2025, 4, 19, 9), False, at(2025, 4, 21, 8)),  # Saturday, not a make-up day
        (at(2025, 4, 29, 16), True, at(2025, 5, 5, 8)),  # 30/4, 1/5, 2/5 off, then weekend
        (at(2025, 4, 25, 16), True, at(2025, 4, 26, 8)),  # the make-up Saturday counts
    ],
)
def test_clock_start(received: datetime, paper: bool, expected: datetime) -> None:
    assert CAL.clock_start(received, paper=paper) == expected


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(2025, 4, 21, 10), 3, at(2025, 4, 24, 10)),  # Monday + 3 → Thursday, same hour
        (at(2025, 1, 24, 10), 1, at(2025, 2, 3, 10)),  # over Tết 2025
        (at(2026, 2, 13, 9), 2, at(2026, 2, 24, 9)),  # over Tết 2026
        (at(2025, 4, 28, 10), 3, at(2025, 5, 6, 10)),  # over 30/4–2/5/2025
        (at(2025, 8, 29, 10), 1, at(2025, 9, 3, 10)),  # over National Day 2025
        (at(2026, 8, 21, 10), 1, at(2026, 8, 22, 10)),  # onto the make-up Saturday 22/8/2026
        (at(2026, 8, 28, 10), 1, at(2026, 9, 3, 10)),  # 31/8 off, 1–2/9 National Day
        (at(2026, 11, 23, 10), 1, at(2026, 11, 25, 10)),  # 24/11/2026 is a holiday
        (at(2025, 4, 21, 8), 1, at(2025, 4, 21, 17)),  # ends exactly at 17:00, not next 08:00
    ],
)
def test_add_working_days_on_real_dates(start: datetime, days: int, due: datetime) -> None:
    assert CAL.add_working_days(start, days) == due


def test_working_hours_skip_the_lunch_break() -> None:
    assert CAL.add_working_hours(at(2025, 4, 21, 11), 2) == at(2025, 4, 21, 14)


def test_calendar_days_ending_on_a_day_off_end_with_the_next_working_day() -> None:
    assert CAL.add_calendar_days(at(2025, 4, 25, 10), 5) == at(2025, 5, 5, 17)
    assert CAL.add_calendar_days(at(2025, 4, 21, 10), 2) == at(2025, 4, 23, 10)


def test_apology_deadline_is_one_working_day_before_the_due_date() -> None:
    assert CAL.apology_deadline(at(2025, 4, 24, 10)) == at(2025, 4, 23, 10)
    assert CAL.apology_deadline(at(2025, 5, 5, 10)) == at(2025, 4, 29, 10)


def test_overrides_move_deadlines() -> None:
    start = at(2027, 3, 1, 10)
    plain = WorkingCalendar().add_working_days(start, 3)
    day_off = WorkingCalendar(
        overrides=CalendarOverrides(extra_days_off=frozenset({date(2027, 3, 2)}))
    )
    assert day_off.add_working_days(start, 3) == WorkingCalendar().add_working_days(start, 4)
    saturday = WorkingCalendar(
        overrides=CalendarOverrides(extra_working_days=frozenset({date(2027, 3, 6)}))
    )
    friday = at(2027, 3, 5, 10)
    assert saturday.add_working_days(friday, 1) == at(2027, 3, 6, 10)
    assert plain == at(2027, 3, 4, 10)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_days(datetime(2025, 4, 21, 10), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.clock_start(datetime(2025, 4, 21, 10), paper=True)


def test_pauses_overlapping_are_counted_once() -> None:
    start, end = at(2025, 4, 21, 8), at(2025, 4, 25, 17)
    pauses = [(at(2025, 4, 22, 8), at(2025, 4, 23, 17)), (at(2025, 4, 23, 8), at(2025, 4, 24, 8))]
    # Monday to Friday is 40 h; the pauses cover Tuesday 08:00 to Thursday 08:00 once: 16 h.
    assert CAL.working_time_between(start, end, pauses) == timedelta(hours=24)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(VN)
)
amounts = st.integers(min_value=0, max_value=60 * 8 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(start=instants, earlier=amounts, later=amounts)
def test_deadlines_are_monotonic(start: datetime, earlier: timedelta, later: timedelta) -> None:
    small, large = sorted((earlier, later))
    assert CAL.add_working_time(start, small) <= CAL.add_working_time(start, large)
    assert CAL.add_working_time(start, small) <= CAL.add_working_time(
        start + timedelta(hours=5), small
    )


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=amounts)
def test_adding_then_measuring_round_trips(start: datetime, amount: timedelta) -> None:
    assert CAL.working_time_between(start, CAL.add_working_time(start, amount)) == amount


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=amounts)
def test_subtract_undoes_add(start: datetime, amount: timedelta) -> None:
    due = CAL.add_working_time(start, amount)
    back = CAL.subtract_working_time(due, amount)
    assert CAL.working_time_between(back, start) == timedelta(0)
    assert CAL.working_time_between(start, back) == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(
    start=instants,
    amount=amounts,
    pause_at=amounts,
    pause_for=st.integers(min_value=0, max_value=20 * 24 * 60).map(lambda m: timedelta(minutes=m)),
)
def test_pauses_never_shorten_a_deadline(
    start: datetime, amount: timedelta, pause_at: timedelta, pause_for: timedelta
) -> None:
    due = CAL.add_working_time(start, amount)
    paused_from = start + pause_at
    paused_to = paused_from + pause_for
    elapsed = CAL.working_time_between(start, due)
    assert CAL.working_time_between(start, due, [(paused_from, paused_to)]) <= elapsed
    if paused_from < due:
        remaining = CAL.working_time_between(max(paused_from, start), due)
        resumed_due = CAL.add_working_time(max(paused_to, paused_from, start), remaining)
        assert resumed_due >= due


def test_working_day_constant_is_eight_hours() -> None:
    assert CAL.hours.day_length == timedelta(hours=8)
    assert CAL.hours.spans[0][0] == time(8)
