"""Working time as a position on a line: the arithmetic behind every legal deadline.

Every instant maps to a *position*: the working microseconds elapsed since a fixed
epoch. Outside office hours the position stands still, so adding, measuring and pausing
are integer arithmetic on positions, with one bisect into a precomputed list of working
days. The mapping is monotonic by construction, which is what makes deadlines monotonic.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

from motcua.calendar._hours import WorkingHours
from motcua.calendar._overrides import CalendarOverrides

TimeUnit = Literal["working_days", "working_hours", "calendar_days"]
_HOUR = 3_600_000_000
_PADDING_YEARS = 2
EPOCH_YEAR = 2000


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


class _DayIndex:
    """Sorted ordinals of working days from ``EPOCH_YEAR`` on, grown forward on demand.

    Positions count working days since the epoch, so growing the index never moves them.
    """

    def __init__(self, overrides: CalendarOverrides) -> None:
        self._overrides = overrides
        self._lock = threading.Lock()
        self.last_year = EPOCH_YEAR - 1
        self.days: list[int] = []
        self.working: frozenset[int] = frozenset()

    def _is_working(self, day: date, public: holidays.HolidayBase, workdays: set[date]) -> bool:
        if day in self._overrides.extra_working_days:
            return True
        if day in self._overrides.extra_days_off:
            return False
        if day in public and day not in self._overrides.removed_days_off:
            return False
        return day.weekday() < 5 or day in workdays

    def ensure(self, year: int) -> None:
        if year < EPOCH_YEAR:
            raise ValueError(f"the calendar starts in {EPOCH_YEAR}")
        if year <= self.last_year:
            return
        with self._lock:
            if year <= self.last_year:
                return
            first, last = self.last_year + 1, year + _PADDING_YEARS
            public = holidays.country_holidays("VN", years=range(first, last + 1))
            workdays = set(getattr(public, "weekend_workdays", ()))
            start, end = date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal()
            added = [
                ordinal
                for ordinal in range(start, end + 1)
                if self._is_working(date.fromordinal(ordinal), public, workdays)
            ]
            self.days = self.days + added
            self.working = self.working | frozenset(added)
            self.last_year = last


@dataclass(frozen=True)
class WorkingCalendar:
    hours: WorkingHours = field(default_factory=WorkingHours)
    overrides: CalendarOverrides = field(default_factory=CalendarOverrides)
    zone: str = "Asia/Ho_Chi_Minh"

    @cached_property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @cached_property
    def _index(self) -> _DayIndex:
        return _DayIndex(self.overrides)

    def _days(self, year: int) -> _DayIndex:
        index = self._index
        index.ensure(year)
        return index

    # --- days ---------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return day.toordinal() in self._days(day.year).working

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        index = self._days(day.year + 1)
        position = bisect_left(index.days, day.toordinal() + 1)
        return date.fromordinal(index.days[position])

    # --- positions ----------------------------------------------------------------------

    def _position(self, moment: datetime) -> int:
        local = moment.astimezone(self._tz)
        day = local.date()
        index = self._days(day.year)
        before = bisect_left(index.days, day.toordinal())
        elapsed = self.hours.elapsed(local.time()) if day.toordinal() in index.working else 0
        return before * self.hours.day_micros + elapsed

    def _instant(self, position: int, *, prefer_end: bool) -> datetime:
        length = self.hours.day_micros
        whole, elapsed = divmod(position, length)
        if prefer_end and elapsed == 0 and whole > 0:
            whole, elapsed = whole - 1, length
        index = self._index
        while whole >= len(index.days):
            index.ensure(index.last_year + 1)
        day = date.fromordinal(index.days[whole])
        clock = self.hours.moment(elapsed, prefer_end=prefer_end)
        return datetime.combine(day, clock, tzinfo=self._tz)

    # --- the law's operations -----------------------------------------------------------

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` itself inside office hours, else the start of the next working span."""
        _aware(moment, "moment")
        return self._instant(self._position(moment), prefer_end=False)

    def clock_start(
        self, received_at: datetime, *, paper: bool, cutoff: time = time(15)
    ) -> datetime:
        """When a dossier's clock starts (Nghị định 61/2018 Điều 18).

        A paper dossier (in person or by post) received after the cut-off is handed on at
        the start of the next working day. Any dossier received outside working time
        starts at the next working moment.
        """
        _aware(received_at, "received_at")
        local = received_at.astimezone(self._tz)
        if paper and local.time() > cutoff:
            following = self.next_working_day(local.date())
            return datetime.combine(following, self.hours.spans[0][0], tzinfo=self._tz)
        return self.next_working_moment(received_at)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant ``amount`` of working time after ``start`` (at a span's end, its end)."""
        _aware(start, "start")
        micros = _micros(amount)
        if micros < 0:
            return self.subtract_working_time(start, -amount)
        return self._instant(self._position(start) + micros, prefer_end=micros > 0)

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """The instant ``amount`` of working time before ``end``."""
        _aware(end, "end")
        micros = _micros(amount)
        if micros < 0:
            return self.add_working_time(end, -amount)
        return self._instant(max(self._position(end) - micros, 0), prefer_end=True)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        return self.add_working_time(start, self.hours.day_length * days)

    def add_working_hours(self, start: datetime, hours: int) -> datetime:
        return self.add_working_time(start, timedelta(microseconds=hours * _HOUR))

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """Calendar-day periods: one that ends on a day off ends with the next working day
        (Bộ luật Dân sự 2015 Điều 148 khoản 5)."""
        _aware(start, "start")
        end = start.astimezone(self._tz) + timedelta(days=days)
        if self.is_working_day(end.date()):
            return end
        following = self.next_working_day(end.date())
        return datetime.combine(following, self.hours.spans[-1][1], tzinfo=self._tz)

    def due_at(self, clock_start: datetime, amount: int, unit: TimeUnit) -> datetime:
        if unit == "working_days":
            return self.add_working_days(clock_start, amount)
        if unit == "working_hours":
            return self.add_working_hours(clock_start, amount)
        if unit == "calendar_days":
            return self.add_calendar_days(clock_start, amount)
        raise ValueError(f"unknown time unit {unit!r}")

    def apology_deadline(self, due_at: datetime, days_before: int = 1) -> datetime:
        """The last moment to send the apology letter: ``days_before`` working days before
        the due date (Nghị định 61/2018 Điều 19 khoản 9, as amended)."""
        return self.subtract_working_time(due_at, self.hours.day_length * days_before)

    def working_time_between(
        self,
        start: datetime,
        end: datetime,
        pauses: Sequence[tuple[datetime, datetime]] = (),
    ) -> timedelta:
        """Working time in ``[start, end)`` outside the paused spans (zero if end ≤ start).

        Pauses may overlap each other or reach outside ``[start, end)``; overlapping time
        is counted once.
        """
        _aware(start, "start")
        _aware(end, "end")
        low, high = self._position(start), self._position(end)
        if high <= low:
            return timedelta(0)
        spans = sorted(
            (max(self._position(a), low), min(self._position(b), high)) for a, b in pauses
        )
        paused, reach = 0, low
        for a, b in spans:
            a = max(a, reach)
            if b > a:
                paused += b - a
                reach = b
        return timedelta(microseconds=high - low - paused)


def _micros(amount: timedelta) -> int:
    return (amount.days * 86_400 + amount.seconds) * 1_000_000 + amount.microseconds


@cache
def default_calendar() -> WorkingCalendar:
    return WorkingCalendar()
