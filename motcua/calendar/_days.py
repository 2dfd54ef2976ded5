"""Which days are working days, indexed so that counting them is one bisect.

The facts come from the ``holidays`` package (country VN: public holidays, the days off
substituted for holidays on a weekend, and the swapped days: a weekday off for a weekend
day worked), cached per year, with :class:`CalendarOverrides` on top.

A day's *rank* is the number of working days between a fixed epoch and it (negative
before the epoch). The index holds a sorted list of the working days over a range of
years; the range grows on demand, but ranks never change, because they count from the
epoch and not from the start of the list. That lets callers mix ranks taken before and
after a growth, and lets readers use a snapshot without locking.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

import holidays

from motcua.calendar._overrides import CalendarOverrides

COUNTRY = "VN"
# The years the package has data for (its lunar calendar stops at 2100).
_COUNTRY_CLASS = type(holidays.country_holidays(COUNTRY))
FIRST_YEAR: int = _COUNTRY_CLASS.start_year
LAST_YEAR: int = _COUNTRY_CLASS.end_year
# Years built either side of the one asked for, so a deadline rarely triggers a growth.
_PADDING_YEARS = 1
# Fewer working days than this in any year: turns a rank distance into years to build.
_MIN_WORKING_DAYS_PER_YEAR = 200


@dataclass(frozen=True)
class YearFacts:
    """One year as the ``holidays`` package sees it."""

    days_off: frozenset[date]
    weekend_workdays: frozenset[date]


@cache
def year_facts(year: int) -> YearFacts:
    """The package's days off and worked weekend days in ``year``.

    Category "public" with ``observed=True`` (the package's defaults for VN): the days off
    substituted for holidays that fall on a weekend are included, as the law requires.
    """
    public = holidays.country_holidays(COUNTRY, years=year, observed=True)
    return YearFacts(
        days_off=frozenset(day for day in public if day.year == year),
        # Swaps across New Year (Saturday 27/12/2014 worked for Friday 2/1/2015) are
        # listed whatever year is asked for: keep this year's only.
        weekend_workdays=frozenset(day for day in public.weekend_workdays if day.year == year),
    )


def is_working_day(day: date, overrides: CalendarOverrides) -> bool:
    """The rule, before any indexing: overrides first, then holidays, then the weekday."""
    if day in overrides.extra_working_days:
        return True
    if day in overrides.extra_days_off:
        return False
    facts = year_facts(day.year)
    if day in facts.days_off and day not in overrides.removed_days_off:
        return False
    return day.weekday() < 5 or day in facts.weekend_workdays


@dataclass(frozen=True)
class _Snapshot:
    first_year: int
    last_year: int
    days: list[date]  # the working days of [first_year, last_year], sorted; never mutated
    working: frozenset[date]
    base: int  # index in ``days`` of the first working day on or after the epoch


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"year {year} is outside the calendar's years {FIRST_YEAR}–{LAST_YEAR} "
            "(the holidays package has no Vietnamese holidays outside them)"
        )


class DayIndex:
    """The working days under one set of overrides, as ranks from a fixed epoch."""

    def __init__(self, overrides: CalendarOverrides) -> None:
        self._overrides = overrides
        self._lock = threading.Lock()
        # Fixed by the first build; until then an empty snapshot makes every lookup build.
        self._epoch: date | None = None
        self._snapshot = _Snapshot(first_year=1, last_year=0, days=[], working=frozenset(), base=0)

    def _build(self, first_year: int, last_year: int, epoch: date) -> _Snapshot:
        day, last = date(first_year, 1, 1), date(last_year, 12, 31)
        days = []
        while day <= last:
            if is_working_day(day, self._overrides):
                days.append(day)
            day += timedelta(days=1)
        base = bisect_left(days, epoch)
        return _Snapshot(first_year, last_year, days, frozenset(days), base)

    def _cover(self, first_year: int, last_year: int) -> _Snapshot:
        """A snapshot covering the years asked for, building a wider one if needed."""
        _check_year(first_year)
        _check_year(last_year)
        with self._lock:
            snapshot = self._snapshot
            if snapshot.first_year <= first_year and last_year <= snapshot.last_year:
                return snapshot
            if self._epoch is None:
                self._epoch = date(first_year, 1, 1)
                first_year, last_year = first_year - _PADDING_YEARS, last_year + _PADDING_YEARS
            else:
                first_year = min(snapshot.first_year, first_year - _PADDING_YEARS)
                last_year = max(snapshot.last_year, last_year + _PADDING_YEARS)
            snapshot = self._build(
                max(first_year, FIRST_YEAR), min(last_year, LAST_YEAR), self._epoch
            )
            self._snapshot = snapshot  # one assignment: readers see the old or the new
            return snapshot

    def locate(self, day: date) -> tuple[int, bool]:
        """The day's rank and whether it is a working day.

        The rank is the number of working days from the epoch up to, not including, the
        day; a day off therefore shares its rank with the next working day.
        """
        snapshot = self._snapshot
        if not snapshot.first_year <= day.year <= snapshot.last_year:
            snapshot = self._cover(day.year, day.year)
        return bisect_left(snapshot.days, day) - snapshot.base, day in snapshot.working

    def day_at(self, rank: int) -> date:
        """The working day with the given rank."""
        snapshot = self._snapshot
        if not snapshot.days:
            raise LookupError("no rank has been handed out yet: locate a day first")
        while True:
            index = rank + snapshot.base
            if 0 <= index < len(snapshot.days):
                return snapshot.days[index]
            if index < 0:
                years = -index // _MIN_WORKING_DAYS_PER_YEAR + 1
                snapshot = self._cover(snapshot.first_year - years, snapshot.last_year)
            else:
                years = (index - len(snapshot.days)) // _MIN_WORKING_DAYS_PER_YEAR + 1
                snapshot = self._cover(snapshot.first_year, snapshot.last_year + years)


@lru_cache(maxsize=64)
def day_index(overrides: CalendarOverrides) -> DayIndex:
    """One shared index per set of overrides: every calendar with them reuses it."""
    return DayIndex(overrides)
