"""Reporting periods — a day, a month, a quarter or a year in Vietnam's time — and the
instants that bound them. Pure.

A period is written as a leader reads it: ``2026-11-05``, ``2026-11``, ``2026-Q4``,
``2026``. It runs from its first day's midnight in Asia/Ho_Chi_Minh (inclusive) to the
next period's (exclusive), so an event at 23:59 local time on the last day of a month
counts in that month whatever the server's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from motcua.dossier import LOCAL_ZONE


class Granularity(StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_FORMS = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), Granularity.DAY),
    (re.compile(r"^(\d{4})-(\d{2})$"), Granularity.MONTH),
    (re.compile(r"^(\d{4})-Q([1-4])$"), Granularity.QUARTER),
    (re.compile(r"^(\d{4})$"), Granularity.YEAR),
)


class InvalidPeriod(ValueError):
    """Not a period this API knows; the message says what is expected."""


@dataclass(frozen=True, order=True)
class Period:
    start: date
    granularity: Granularity

    @classmethod
    def parse(cls, text: str) -> Period:
        for pattern, granularity in _FORMS:
            match = pattern.match(text)
            if not match:
                continue
            numbers = [int(group) for group in match.groups()]
            try:
                if granularity is Granularity.DAY:
                    start = date(numbers[0], numbers[1], numbers[2])
                elif granularity is Granularity.MONTH:
                    start = date(numbers[0], numbers[1], 1)
                elif granularity is Granularity.QUARTER:
                    start = date(numbers[0], 3 * numbers[1] - 2, 1)
                else:
                    start = date(numbers[0], 1, 1)
            except ValueError as exc:
                raise InvalidPeriod(f"{text!r} is not a date: {exc}") from None
            if start.year < 2000:
                raise InvalidPeriod(f"{text!r} is before any dossier")
            return cls(start, granularity)
        msg = f"{text!r} is not a period: use 2026-11-05, 2026-11, 2026-Q4 or 2026"
        raise InvalidPeriod(msg)

    @classmethod
    def containing(cls, moment: datetime, granularity: Granularity) -> Period:
        day = moment.astimezone(LOCAL_ZONE).date()
        match granularity:
            case Granularity.DAY:
                return cls(day, granularity)
            case Granularity.MONTH:
                return cls(day.replace(day=1), granularity)
            case Granularity.QUARTER:
                return cls(date(day.year, 3 * ((day.month - 1) // 3) + 1, 1), granularity)
            case _:
                return cls(date(day.year, 1, 1), granularity)

    @property
    def end(self) -> date:
        """The first day after the period."""
        match self.granularity:
            case Granularity.DAY:
                return date.fromordinal(self.start.toordinal() + 1)
            case Granularity.YEAR:
                return date(self.start.year + 1, 1, 1)
            case _:
                months = 1 if self.granularity is Granularity.MONTH else 3
                month = self.start.month - 1 + months
                return date(self.start.year + month // 12, month % 12 + 1, 1)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(0), LOCAL_ZONE)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.end, time(0), LOCAL_ZONE)

    def next(self) -> Period:
        return Period(self.end, self.granularity)

    def __str__(self) -> str:
        match self.granularity:
            case Granularity.DAY:
                return self.start.isoformat()
            case Granularity.MONTH:
                return f"{self.start.year:04d}-{self.start.month:02d}"
            case Granularity.QUARTER:
                return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
            case _:
                return f"{self.start.year:04d}"


MAX_SERIES = 400


def series(first: Period, last: Period) -> list[Period]:
    """The periods from ``first`` to ``last`` inclusive, of ``first``'s granularity."""
    if first.granularity is not last.granularity:
        raise InvalidPeriod("a series' periods must all be days, months, quarters or years")
    if last < first:
        raise InvalidPeriod(f"{last} comes before {first}")
    periods = [first]
    while periods[-1] != last:
        if len(periods) >= MAX_SERIES:
            raise InvalidPeriod(f"at most {MAX_SERIES} periods in one series")
        periods.append(periods[-1].next())
    return periods


def months_of(period: Period) -> list[Period]:
    """The months a month, quarter or year is made of, in order."""
    if period.granularity is Granularity.DAY:
        raise InvalidPeriod(f"{period} is a day, not made of months")
    months = [Period(period.start, Granularity.MONTH)]
    while months[-1].end < period.end:
        months.append(months[-1].next())
    return months


def whole_periods(months: set[Period]) -> list[Period]:
    """The given months, and each quarter and year all of whose months are among them:
    newest first, a year before its quarters before their months."""
    found = set(months)
    for month in months:
        for granularity in (Granularity.QUARTER, Granularity.YEAR):
            longer = Period.containing(month.starts_at, granularity)
            if all(m in months for m in months_of(longer)):
                found.add(longer)
    return sorted(found, key=lambda p: (p.end, len(months_of(p))), reverse=True)


def months_up_to(period: Period, now: datetime, count: int) -> list[Period]:
    """The ``count`` months ending with the one ``period`` ends in (or this month, if
    ``period`` is still running): the page's trend."""
    last_day = min(period.ends_at, now).astimezone(LOCAL_ZONE).date()
    if last_day == period.end and period.ends_at <= now:
        last_day = date.fromordinal(period.end.toordinal() - 1)
    year, month = last_day.year, last_day.month
    months = []
    for _ in range(count):
        months.append(Period(date(year, month, 1), Granularity.MONTH))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]
