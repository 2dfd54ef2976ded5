"""The law's clocks on ordinary weeks: receipt, deadlines, measuring, pauses, apologies.

Monday 10/3/2025 to Monday 17/3/2025 has no holiday and no make-up Saturday; nor has
the weekend before it, Saturday 8/3 and Sunday 9/3.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from motcua.calendar import WorkingCalendar, WorkingHours, default_calendar
from tests.calendar._dates import VN, at

CAL = default_calendar()


@pytest.mark.parametrize(
    ("received", "paper", "started"),
    [
        (at(2025, 3, 10, 10), True, at(2025, 3, 10, 10)),
        (at(2025, 3, 10, 15), True, at(2025, 3, 10, 15)),  # at the cut-off: still that day
        (at(2025, 3, 10, 15, 1), True, at(2025, 3, 11, 8)),  # paper after 15:00: next day
        (at(2025, 3, 10, 16), True, at(2025, 3, 11, 8)),
        (at(2025, 3, 10, 16), False, at(2025, 3, 10, 16)),  # online: no paper cut-off
        (at(2025, 3, 10, 12, 30), False, at(2025, 3, 10, 13)),  # lunch break
        (at(2025, 3, 10, 12), True, at(2025, 3, 10, 13)),  # 12:00 is the break's first moment
        (at(2025, 3, 10, 7), True, at(2025, 3, 10, 8)),  # before opening
        (at(2025, 3, 10, 18), False, at(2025, 3, 11, 8)),  # evening
        (at(2025, 3, 14, 17), False, at(2025, 3, 17, 8)),  # Friday at closing
        (at(2025, 3, 8, 9), False, at(2025, 3, 10, 8)),  # Saturday, not a make-up day
        (at(2025, 3, 8, 16), True, at(2025, 3, 10, 8)),
        (at(2025, 3, 9, 23, 59), True, at(2025, 3, 10, 8)),
    ],
)
def test_clock_start(received: datetime, paper: bool, started: datetime) -> None:
    assert CAL.clock_start(received, paper=paper) == started


def test_the_paper_cut_off_is_configurable() -> None:
    received = at(2025, 3, 10, 16)
    assert CAL.clock_start(received, paper=True, cutoff=time(16, 30)) == received
    assert CAL.clock_start(received, paper=True, cutoff=time(14)) == at(2025, 3, 11, 8)


def test_clock_start_accepts_any_zone_and_answers_in_vietnam_time() -> None:
    received = datetime(2025, 3, 10, 9, tzinfo=UTC)  # 16:00 in Hà Nội
    started = CAL.clock_start(received, paper=True)
    assert started == at(2025, 3, 11, 8)
    assert started.tzinfo == VN
    assert CAL.clock_start(received, paper=False).tzinfo == VN


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(2025, 3, 10, 10), 3, at(2025, 3, 13, 10)),  # Monday 10:00 + 3 → Thursday 10:00
        (at(2025, 3, 10, 8), 1, at(2025, 3, 10, 17)),  # ends exactly at 17:00, same day
        (at(2025, 3, 10, 8), 5, at(2025, 3, 14, 17)),  # a whole week ends Friday 17:00
        (at(2025, 3, 13, 10), 2, at(2025, 3, 17, 10)),  # over the weekend
        (at(2025, 3, 8, 10), 1, at(2025, 3, 10, 17)),  # from Saturday: Monday's whole day
        (at(2025, 3, 10, 12, 30), 1, at(2025, 3, 11, 12)),  # from the break: ends 12:00
        (at(2025, 3, 10, 10), 0, at(2025, 3, 10, 10)),
        (at(2025, 3, 10, 18), 0, at(2025, 3, 11, 8)),  # zero: normalised to working time
    ],
)
def test_add_working_days(start: datetime, days: int, due: datetime) -> None:
    assert CAL.add_working_days(start, days) == due


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(2025, 3, 10, 11), 2, at(2025, 3, 10, 14)),  # the lunch break does not count
        (at(2025, 3, 10, 8), 4, at(2025, 3, 10, 12)),  # ends at the morning's end, not 13:00
        (at(2025, 3, 10, 16), 2, at(2025, 3, 11, 9)),
        (at(2025, 3, 14, 16), 8, at(2025, 3, 17, 16)),  # Friday to Monday
    ],
)
def test_add_working_hours(start: datetime, hours: int, due: datetime) -> None:
    assert CAL.add_working_hours(start, hours) == due
    assert CAL.due_at(start, hours, "working_hours") == due


def test_adding_a_negative_amount_subtracts() -> None:
    assert CAL.add_working_days(at(2025, 3, 13, 10), -3) == at(2025, 3, 10, 10)


def test_subtract_working_time() -> None:
    thursday = at(2025, 3, 13, 10)
    assert CAL.subtract_working_time(thursday, timedelta(hours=1)) == at(2025, 3, 13, 9)
    assert CAL.subtract_working_time(thursday, timedelta(hours=3)) == at(2025, 3, 12, 16)
    # On a boundary the result reads as a deadline: the end of the earlier span.
    assert CAL.subtract_working_time(thursday, timedelta(hours=2)) == at(2025, 3, 12, 17)
    assert CAL.subtract_working_time(at(2025, 3, 13, 14), timedelta(hours=1)) == at(2025, 3, 13, 12)
    # Zero: outside working time, the end of the previous span.
    assert CAL.subtract_working_time(at(2025, 3, 8, 10), timedelta(0)) == at(2025, 3, 7, 17)
    assert CAL.subtract_working_time(thursday, timedelta(0)) == thursday


def test_apology_deadline_is_one_working_day_before_the_due_date() -> None:
    assert CAL.apology_deadline(at(2025, 3, 13, 10)) == at(2025, 3, 12, 10)
    # Due Thursday 17:00: by Wednesday 17:00, not Thursday 08:00 (that is the due day).
    assert CAL.apology_deadline(at(2025, 3, 13, 17)) == at(2025, 3, 12, 17)
    assert CAL.apology_deadline(at(2025, 3, 17, 10)) == at(2025, 3, 14, 10)  # over a weekend
    assert CAL.apology_deadline(at(2025, 3, 13, 10), days_before=2) == at(2025, 3, 11, 10)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # The start's day is not counted; the period ends at the close of its last day.
        (at(2025, 3, 10, 10), 2, at(2025, 3, 12, 17)),
        (at(2025, 3, 10, 16, 59), 2, at(2025, 3, 12, 17)),
        (at(2025, 3, 11, 8), 4, at(2025, 3, 17, 17)),  # ends on Saturday: Monday instead
        (at(2025, 3, 10, 10), 0, at(2025, 3, 10, 17)),  # within the day
        (at(2025, 3, 10, 18), 0, at(2025, 3, 11, 17)),  # within the day, after closing
        (at(2025, 3, 8, 10), 0, at(2025, 3, 10, 17)),
    ],
)
def test_add_calendar_days(start: datetime, days: int, due: datetime) -> None:
    assert CAL.add_calendar_days(start, days) == due
    assert CAL.due_at(start, days, "calendar_days") == due


def test_working_time_between() -> None:
    monday, friday_close = at(2025, 3, 10, 8), at(2025, 3, 14, 17)
    assert CAL.working_time_between(monday, friday_close) == timedelta(hours=40)
    assert CAL.working_time_between(at(2025, 3, 10, 11), at(2025, 3, 10, 14)) == timedelta(hours=2)
    # Over a weekend: Friday 16:00 to Monday 09:00 is two working hours.
    assert CAL.working_time_between(at(2025, 3, 14, 16), at(2025, 3, 17, 9)) == timedelta(hours=2)
    # An interval that ends before it starts is empty.
    assert CAL.working_time_between(friday_close, monday) == timedelta(0)
    assert CAL.working_time_between(monday, monday) == timedelta(0)


def test_pauses_overlapping_or_outside_are_counted_once() -> None:
    monday, friday_close = at(2025, 3, 10, 8), at(2025, 3, 14, 17)
    pauses = [
        (at(2025, 3, 11, 8), at(2025, 3, 12, 17)),  # Tuesday and Wednesday
        (at(2025, 3, 12, 8), at(2025, 3, 13, 8)),  # Wednesday again: overlaps
        (at(2025, 3, 7, 8), at(2025, 3, 10, 10)),  # from the week before: 2 h inside
        (at(2025, 3, 14, 16), at(2025, 3, 19, 8)),  # beyond the end: 1 h inside
        (at(2025, 3, 15, 8), at(2025, 3, 16, 8)),  # wholly outside
        (at(2025, 3, 13, 12, 30), at(2025, 3, 13, 12, 30)),  # empty
    ]
    assert CAL.working_time_between(monday, friday_close, pauses) == timedelta(hours=21)


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="pause ends before it starts"):
        CAL.working_time_between(
            at(2025, 3, 10, 8), at(2025, 3, 14, 17), [(at(2025, 3, 12, 8), at(2025, 3, 11, 8))]
        )


def test_custom_working_hours() -> None:
    hours = WorkingHours(((time(7, 30), time(11, 30)), (time(13, 30), time(17, 30))))
    cal = WorkingCalendar(hours=hours)
    assert hours.day_length == timedelta(hours=8)
    assert cal.clock_start(at(2025, 3, 10, 7, 45), paper=True) == at(2025, 3, 10, 7, 45)
    assert cal.clock_start(at(2025, 3, 10, 16), paper=True) == at(2025, 3, 11, 7, 30)
    assert cal.add_working_days(at(2025, 3, 10, 7, 30), 1) == at(2025, 3, 10, 17, 30)
    assert cal.add_working_hours(at(2025, 3, 10, 11), 1) == at(2025, 3, 10, 14)
    morning = WorkingCalendar(hours=WorkingHours(((time(8), time(12)),)))
    assert morning.add_working_days(at(2025, 3, 10, 10), 1) == at(2025, 3, 11, 10)
    assert morning.add_calendar_days(at(2025, 3, 10, 10), 1) == at(2025, 3, 11, 12)


def test_default_working_day_is_eight_hours() -> None:
    assert CAL.hours.day_length == timedelta(hours=8)
    assert CAL.hours.spans == ((time(8), time(12)), (time(13), time(17)))
    assert default_calendar() is CAL


@pytest.mark.parametrize(
    "spans",
    [
        (),
        ((time(12), time(8)),),
        ((time(8), time(8)),),
        ((time(8), time(12)), (time(11), time(17))),
        ((time(13), time(17)), (time(8), time(12))),
        ((time(8, tzinfo=UTC), time(12)),),
    ],
)
def test_invalid_working_hours_are_refused(spans: tuple[tuple[time, time], ...]) -> None:
    with pytest.raises(ValueError, match=r"span|wall-clock"):
        WorkingHours(spans)


NAIVE = datetime(2025, 3, 10, 10)
AWARE = at(2025, 3, 10, 10)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.clock_start(NAIVE, paper=True),
        lambda: CAL.clock_start(NAIVE, paper=False),
        lambda: CAL.next_working_moment(NAIVE),
        lambda: CAL.add_working_time(NAIVE, timedelta(hours=1)),
        lambda: CAL.subtract_working_time(NAIVE, timedelta(hours=1)),
        lambda: CAL.add_working_days(NAIVE, 1),
        lambda: CAL.add_working_hours(NAIVE, 1),
        lambda: CAL.add_calendar_days(NAIVE, 1),
        lambda: CAL.due_at(NAIVE, 1, "working_days"),
        lambda: CAL.due_at(NAIVE, 1, "calendar_days"),
        lambda: CAL.apology_deadline(NAIVE),
        lambda: CAL.working_time_between(NAIVE, AWARE),
        lambda: CAL.working_time_between(AWARE, NAIVE),
        lambda: CAL.working_time_between(AWARE, AWARE, [(NAIVE, AWARE)]),
        lambda: CAL.working_time_between(AWARE, AWARE, [(AWARE, NAIVE)]),
        lambda: CAL.is_working_day(NAIVE),
        lambda: CAL.next_working_day(NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_a_datetime_is_taken_as_its_date_in_the_calendars_zone() -> None:
    # Friday 25/4/2025 20:00 UTC is Saturday 26/4 03:00 in Hà Nội: the make-up Saturday.
    assert CAL.is_working_day(datetime(2025, 4, 25, 20, tzinfo=UTC)) is True
    assert CAL.is_working_day(date(2025, 4, 26)) is True
    # Friday 14/3/2025 20:00 UTC is an ordinary Saturday in Hà Nội.
    assert CAL.is_working_day(datetime(2025, 3, 14, 20, tzinfo=UTC)) is False
    assert CAL.next_working_day(datetime(2025, 4, 25, 20, tzinfo=UTC)) == date(2025, 4, 28)


def test_results_are_in_the_calendars_zone_whatever_the_input_zone() -> None:
    paris = datetime(2025, 3, 10, 4, tzinfo=ZoneInfo("Europe/Paris"))  # 10:00 in Hà Nội
    due = CAL.add_working_days(paris, 3)
    assert due == at(2025, 3, 13, 10)
    assert due.tzinfo == VN
    other = WorkingCalendar(zone="Asia/Bangkok")  # same offset, another zone name
    assert other.add_working_days(paris, 3).tzinfo == ZoneInfo("Asia/Bangkok")


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.due_at(AWARE, 1, "weeks"),  # type: ignore[arg-type]
        lambda: CAL.due_at(AWARE, -1, "working_days"),
        lambda: CAL.add_calendar_days(AWARE, -1),
        lambda: CAL.apology_deadline(AWARE, days_before=-1),
        lambda: CAL.add_working_days(at(2100, 12, 30, 10), 10),  # past the package's data
        lambda: CAL.is_working_day(date(1800, 1, 1)),
    ],
)
def test_invalid_arguments_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"unknown|negative|outside"):
        call()


def test_an_unknown_zone_is_refused_at_construction() -> None:
    with pytest.raises(KeyError):  # zoneinfo.ZoneInfoNotFoundError is a KeyError
        WorkingCalendar(zone="Asia/Atlantis")
