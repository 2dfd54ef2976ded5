"""Periods in Vietnam's time, however the server's clock is set."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.reporting.periods import (
    Granularity,
    InvalidPeriod,
    Period,
    months_of,
    months_up_to,
    series,
    whole_periods,
)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11-05", date(2026, 11, 5), date(2026, 11, 6)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_a_period_reads_as_written_and_says_itself_back(text: str, start: date, end: date) -> None:
    period = Period.parse(text)
    assert (period.start, period.end, str(period)) == (start, end, text)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-11", "2026-02-30", "1999", "now", ""])
def test_anything_else_is_refused_with_the_forms_it_takes(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        Period.parse(text)


def test_a_month_starts_at_midnight_in_ha_noi_not_in_utc() -> None:
    november = Period.parse("2026-11")
    assert november.starts_at == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    late_evening = datetime(2026, 11, 30, 16, 59, tzinfo=UTC)  # 23:59 on 30/11 in Hà Nội
    assert Period.containing(late_evening, Granularity.MONTH) == november
    assert Period.containing(datetime(2026, 11, 30, 17, 0, tzinfo=UTC), Granularity.MONTH) == (
        Period.parse("2026-12")
    )


def test_a_series_runs_inclusive_and_refuses_mixed_or_backwards_bounds() -> None:
    assert [str(p) for p in series(Period.parse("2026-Q3"), Period.parse("2027-Q1"))] == [
        "2026-Q3",
        "2026-Q4",
        "2027-Q1",
    ]
    with pytest.raises(InvalidPeriod):
        series(Period.parse("2026-11"), Period.parse("2026"))
    with pytest.raises(InvalidPeriod):
        series(Period.parse("2026-11"), Period.parse("2026-10"))


def test_the_trend_ends_with_the_chosen_month_or_this_one() -> None:
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert [str(p) for p in months_up_to(Period.parse("2026-12"), now, 3)] == [
        "2026-10",
        "2026-11",
        "2026-12",
    ]
    assert str(months_up_to(Period.parse("2026-11"), now, 1)[0]) == "2026-11"
    assert str(months_up_to(Period.parse("2026"), now, 2)[-1]) == "2026-12"


def test_a_quarter_or_year_is_published_only_when_all_its_months_are() -> None:
    months = {Period.parse(f"2026-{m:02d}") for m in range(1, 13)} - {Period.parse("2026-05")}
    months.add(Period.parse("2025-12"))
    periods = [str(p) for p in whole_periods(months)]
    assert "2026" not in periods  # May is open, so the year is
    assert "2026-Q2" not in periods
    assert periods[:3] == ["2026-Q4", "2026-12", "2026-11"]
    assert {"2026-Q1", "2026-Q3", "2025-12"} <= set(periods)
    assert "2025-Q4" not in periods
    assert [str(m) for m in months_of(Period.parse("2026-Q3"))] == ["2026-07", "2026-08", "2026-09"]
    every = {Period.parse(f"2026-{m:02d}") for m in range(1, 13)}
    assert [str(p) for p in whole_periods(every)][:3] == ["2026", "2026-Q4", "2026-12"]
