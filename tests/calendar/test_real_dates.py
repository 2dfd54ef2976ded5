"""The calendar on real Vietnamese dates (docs/domain.md, "Counting time").

Each fact below comes from the ``holidays`` package alone: the default calendar has no
overrides, so a failure here after a package upgrade means the package changed its data.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import holidays
import pytest

from motcua.calendar import default_calendar
from tests.calendar._dates import at

CAL = default_calendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # Tết Ất Tỵ 2025: off Saturday 25/1 to Sunday 2/2, i.e. weekdays 27/1–31/1.
        (date(2025, 1, 24), True),
        (date(2025, 1, 25), False),
        (date(2025, 1, 27), False),
        (date(2025, 1, 28), False),
        (date(2025, 1, 31), False),
        (date(2025, 2, 1), False),
        (date(2025, 2, 3), True),
        # Tết Bính Ngọ 2026: off Saturday 14/2 to Sunday 22/2, i.e. weekdays 16/2–20/2.
        (date(2026, 2, 13), True),
        (date(2026, 2, 16), False),
        (date(2026, 2, 17), False),
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), True),
        # Giỗ Tổ Hùng Vương: 7/4/2025; 26/4/2026 is a Sunday, so Monday 27/4 is off.
        (date(2025, 4, 7), False),
        (date(2026, 4, 27), False),
        # 30/4 and 1/5/2025, Friday 2/5 off in exchange for Saturday 26/4 worked.
        (date(2025, 4, 26), True),
        (date(2025, 4, 30), False),
        (date(2025, 5, 1), False),
        (date(2025, 5, 2), False),
        (date(2025, 5, 3), False),  # an ordinary Saturday
        # National Day 2025: Monday 1/9 and Tuesday 2/9.
        (date(2025, 9, 1), False),
        (date(2025, 9, 2), False),
        (date(2025, 9, 3), True),
        # 2026: Saturday 22/8 worked in exchange for Monday 31/8 off, then 1–2/9.
        (date(2026, 8, 22), True),
        (date(2026, 8, 31), False),
        (date(2026, 9, 1), False),
        (date(2026, 9, 2), False),
        # Ngày Văn hóa Việt Nam, a holiday from 2026 only.
        (date(2025, 11, 24), True),
        (date(2026, 11, 24), False),
        (date(2025, 4, 27), False),  # an ordinary Sunday
        (date(2025, 4, 28), True),  # an ordinary Monday
    ],
)
def test_working_days_follow_the_law(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_the_calendar_agrees_with_the_package_day_by_day() -> None:
    package = holidays.country_holidays("VN", years=range(2024, 2028))
    day = date(2024, 1, 1)
    while day.year < 2028:
        assert CAL.is_working_day(day) is package.is_working_day(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "following"),
    [
        (date(2025, 1, 24), date(2025, 2, 3)),  # over Tết 2025
        (date(2025, 4, 25), date(2025, 4, 26)),  # onto the make-up Saturday
        (date(2025, 4, 29), date(2025, 5, 5)),
        (date(2026, 8, 21), date(2026, 8, 22)),
        (date(2026, 8, 28), date(2026, 9, 3)),
        (date(2026, 11, 23), date(2026, 11, 25)),
        (date(2026, 11, 24), date(2026, 11, 25)),  # from a day off
    ],
)
def test_next_working_day(day: date, following: date) -> None:
    assert CAL.next_working_day(day) == following


@pytest.mark.parametrize(
    ("received", "paper", "started"),
    [
        # Paper on Friday 24/1/2025 after 15:00: handed on after Tết, Monday 3/2 08:00.
        (at(2025, 1, 24, 16), True, at(2025, 2, 3, 8)),
        (at(2025, 1, 24, 16), False, at(2025, 1, 24, 16)),
        (at(2025, 1, 29, 10), False, at(2025, 2, 3, 8)),  # online on Tết's first day
        (at(2026, 2, 13, 15, 30), True, at(2026, 2, 23, 8)),  # before Tết 2026
        (at(2025, 4, 25, 16), True, at(2025, 4, 26, 8)),  # the make-up Saturday counts
        (at(2025, 4, 26, 9), True, at(2025, 4, 26, 9)),  # and is open for business
        (at(2025, 4, 29, 16), True, at(2025, 5, 5, 8)),  # 30/4–2/5 off, then the weekend
        (at(2026, 8, 29, 9), False, at(2026, 9, 3, 8)),  # weekend, 31/8, National Day
    ],
)
def test_clock_start_around_holidays(received: datetime, paper: bool, started: datetime) -> None:
    assert CAL.clock_start(received, paper=paper) == started


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # A dossier received just before Tết gets an appointment after it.
        (at(2025, 1, 24, 10), 1, at(2025, 2, 3, 10)),
        (at(2025, 2, 3, 8), 3, at(2025, 2, 5, 17)),  # clock started by the paper cut-off
        (at(2026, 2, 13, 9), 2, at(2026, 2, 24, 9)),
        (at(2026, 2, 12, 14), 7, at(2026, 3, 2, 14)),  # an ID card over Tết 2026
        # 30/4–2/5/2025 with the make-up Saturday 26/4 worked.
        (at(2025, 4, 25, 10), 1, at(2025, 4, 26, 10)),
        (at(2025, 4, 25, 10), 2, at(2025, 4, 28, 10)),
        (at(2025, 4, 28, 10), 3, at(2025, 5, 6, 10)),
        (at(2025, 8, 29, 10), 1, at(2025, 9, 3, 10)),  # National Day 2025
        (at(2026, 4, 24, 10), 1, at(2026, 4, 28, 10)),  # Giỗ Tổ observed on Monday 27/4/2026
        (at(2026, 8, 21, 10), 1, at(2026, 8, 22, 10)),  # onto the make-up Saturday 22/8/2026
        (at(2026, 8, 28, 10), 1, at(2026, 9, 3, 10)),  # 31/8 off, then 1–2/9
        (at(2026, 11, 23, 10), 1, at(2026, 11, 25, 10)),  # 24/11/2026
        (at(2025, 11, 21, 10), 1, at(2025, 11, 24, 10)),  # 24/11/2025 is an ordinary Monday
    ],
)
def test_working_day_deadlines_on_real_dates(start: datetime, days: int, due: datetime) -> None:
    assert CAL.add_working_days(start, days) == due
    assert CAL.due_at(start, days, "working_days") == due


def test_apology_deadline_skips_the_holidays_backwards() -> None:
    # Due Monday 5/5/2025: one working day earlier is Tuesday 29/4, before 30/4–2/5.
    assert CAL.apology_deadline(at(2025, 5, 5, 10)) == at(2025, 4, 29, 10)
    assert CAL.apology_deadline(at(2025, 5, 5, 17)) == at(2025, 4, 29, 17)
    # Due Monday 3/2/2025 after Tết: the apology was due on Friday 24/1.
    assert CAL.apology_deadline(at(2025, 2, 3, 10)) == at(2025, 1, 24, 10)


def test_calendar_days_ending_on_a_holiday_end_with_the_next_working_day() -> None:
    # 25/4/2025 + 5 days = 30/4 (a holiday); 1/5, 2/5 off, then the weekend: Monday 5/5.
    assert CAL.add_calendar_days(at(2025, 4, 25, 10), 5) == at(2025, 5, 5, 17)
    # Saturday 25/4/2026 + 2 days = Monday 27/4, Giỗ Tổ observed: Tuesday 28/4.
    assert CAL.add_calendar_days(at(2026, 4, 25, 10), 2) == at(2026, 4, 28, 17)
