"""Working time as a position on a line: the arithmetic behind every legal deadline.

An instant's *position* is the working time, in microseconds, from the day index's epoch
to it; outside working hours the position stands still. Adding, measuring, pausing and
subtracting are then integer arithmetic on positions, and only the conversions in and out
touch the calendar (one bisect each way). The mapping is monotonic, which is what makes
deadlines monotonic: a later start or a longer period never gives an earlier due date.

A position on a boundary has two instants (17:00 Friday ≡ 08:00 Monday, 12:00 ≡ 13:00):
a clock *starts* at the later one, a period *ends* at the earlier one, so a deadline that
uses up a whole day falls at 17:00 that day, not at 08:00 the next working day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property
from typing import Literal
from zoneinfo import ZoneInfo

from motcua.calendar._days import DayIndex, day_index
from motcua.calendar._hours import MICROS_PER_SECOND, WorkingHours
from motcua.calendar._overrides import CalendarOverrides

TimeUnit = Literal["working_days", "working_hours", "calendar_days"]

_ONE_MICROSECOND = timedelta(microseconds=1)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment!r}")


def _require_non_negative(amount: int, name: str) -> None:
    if amount < 0:
        raise ValueError(f"{name} must not be negative, got {amount}")


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and hours in one time zone, and the law's clocks on top of them.

    Every method takes timezone-aware datetimes in any zone (naive ones raise
    ``ValueError``: a deadline off by seven hours is worse than an error) and returns
    datetimes in the calendar's zone. Instances are immutable and cheap; the working-day
    index they use is shared by every calendar with the same overrides. Dates outside the
    ``holidays`` package's years (1901–2100) raise ``ValueError``.
    """

    hours: WorkingHours = field(default_factory=WorkingHours)
    overrides: CalendarOverrides = field(default_factory=CalendarOverrides)
    zone: str = "Asia/Ho_Chi_Minh"

    def __post_init__(self) -> None:
        ZoneInfo(self.zone)  # an unknown zone fails here, not at the first deadline

    @cached_property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @cached_property
    def _index(self) -> DayIndex:
        return day_index(self.overrides)

    # --- conversions ---------------------------------------------------------------------

    def _local(self, moment: datetime, name: str) -> datetime:
        _require_aware(moment, name)
        return moment.astimezone(self._tz)

    def _position(self, local: datetime) -> int:
        rank, working = self._index.locate(local.date())
        position = rank * self.hours.day_micros
        if working:
            seconds = (local.hour * 60 + local.minute) * 60 + local.second
            position += self.hours.elapsed(seconds * MICROS_PER_SECOND + local.microsecond)
        return position

    def _instant(self, position: int, *, prefer_end: bool) -> datetime:
        length = self.hours.day_micros
        whole, rest = divmod(position, length)
        if prefer_end and rest == 0:
            whole, rest = whole - 1, length
        day = self._index.day_at(whole)
        seconds, micro = divmod(self.hours.moment(rest, prefer_end=prefer_end), MICROS_PER_SECOND)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=self._tz)

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self._tz)

    def _as_date(self, day: date) -> date:
        # A datetime is a date too; take its date in this calendar's zone, never its own.
        return self._local(day, "day").date() if isinstance(day, datetime) else day

    # --- days ----------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday except days off, plus weekend days declared worked."""
        return self._index.locate(self._as_date(day))[1]

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        rank, working = self._index.locate(self._as_date(day))
        return self._index.day_at(rank + 1 if working else rank)

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` itself if the clock runs then, else the start of the next working span.

        Spans are half-open: 12:00 and 17:00 are not working moments, 08:00 and 13:00 are.
        """
        return self._instant(self._position(self._local(moment, "moment")), prefer_end=False)

    # --- the law's clocks ----------------------------------------------------------------

    def clock_start(
        self, received_at: datetime, *, paper: bool, cutoff: time = time(15)
    ) -> datetime:
        """When a dossier's processing clock starts (Nghị định 61/2018 Điều 18).

        A paper dossier (in person or by post) received after ``cutoff`` is handed on at
        the start of the next working day, and its clock starts then; at the cut-off
        itself it is still that day's. Any dossier received outside working time (evening,
        weekend, holiday, lunch break) starts at the next working moment. Online dossiers
        have no cut-off.
        """
        local = self._local(received_at, "received_at")
        if paper and local.time() > cutoff:
            return self._at(self.next_working_day(local.date()), self.hours.opens)
        return self._instant(self._position(local), prefer_end=False)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which ``amount`` of working time has run since ``start``.

        A start outside working time first moves to the next working moment. A result on
        the end of a span is that end (17:00), not the next span's start. An amount of
        zero gives the start normalised to working time; a negative amount subtracts.
        """
        micros = amount // _ONE_MICROSECOND
        if micros < 0:
            return self.subtract_working_time(start, -amount)
        position = self._position(self._local(start, "start"))
        return self._instant(position + micros, prefer_end=micros > 0)

    def subtract_working_time(self, end: datetime, amount: timedelta) -> datetime:
        """The instant ``amount`` of working time before ``end``: ``add_working_time`` reversed.

        The result is read as a deadline: on a boundary it is the end of the earlier span
        (Wednesday 17:00, not Thursday 08:00), so "one working day before Thursday 17:00"
        is Wednesday 17:00. With a zero amount, an ``end`` outside working time (or at a
        span's start) becomes the end of the previous span. A negative amount adds.
        """
        micros = amount // _ONE_MICROSECOND
        if micros < 0:
            return self.add_working_time(end, -amount)
        position = self._position(self._local(end, "end"))
        return self._instant(position - micros, prefer_end=True)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """``days`` working days of working time after ``start``: Monday 10:00 + 3 → Thursday
        10:00."""
        return self.add_working_time(start, self.hours.day_length * days)

    def add_working_hours(self, start: datetime, hours: int) -> datetime:
        """``hours`` hours of working time after ``start`` (the lunch break does not count)."""
        return self.add_working_time(start, timedelta(hours=hours))

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """The end of a period of ``days`` calendar days that starts at ``start``.

        Bộ luật Dân sự 2015: the day of ``start`` is not counted (Điều 147 khoản 2), the
        period ends at the end of its last day (Điều 148 khoản 1), and when that day is a
        weekend day or a holiday it ends at the end of the next working day (Điều 148
        khoản 5). The end of a day is the close of office hours (17:00): Điều 148 khoản 6
        puts it at 24:00, but the desk is closed then, and ending every period at the same
        time of day keeps due dates monotonic. Zero days means "within the day": by the
        close of ``start``'s day, or of the next working day when that has passed.
        """
        _require_non_negative(days, "days")
        local = self._local(start, "start")
        last_day = local.date() + timedelta(days=days)
        if not self.is_working_day(last_day):
            last_day = self.next_working_day(last_day)
        end = self._at(last_day, self.hours.closes)
        if end < local:
            end = self._at(self.next_working_day(last_day), self.hours.closes)
        return end

    def due_at(self, clock_start: datetime, amount: int, unit: TimeUnit) -> datetime:
        """The due instant of a legal processing time that starts at ``clock_start``."""
        _require_non_negative(amount, "amount")
        if unit == "working_days":
            return self.add_working_days(clock_start, amount)
        if unit == "working_hours":
            return self.add_working_hours(clock_start, amount)
        if unit == "calendar_days":
            return self.add_calendar_days(clock_start, amount)
        raise ValueError(f"unknown time unit {unit!r}")

    def apology_deadline(self, due_at: datetime, days_before: int = 1) -> datetime:
        """The last moment to notify the desk and send the apology letter for a dossier that
        will be late: ``days_before`` working days before ``due_at`` (Nghị định 61/2018 Điều
        19 khoản 9, as amended by Nghị định 107/2021)."""
        _require_non_negative(days_before, "days_before")
        return self.subtract_working_time(due_at, self.hours.day_length * days_before)

    def working_time_between(
        self,
        start: datetime,
        end: datetime,
        pauses: Sequence[tuple[datetime, datetime]] = (),
    ) -> timedelta:
        """Working time in ``[start, end)`` minus the working time inside ``pauses``.

        Pauses may overlap one another or reach outside ``[start, end)``: time paused twice
        is subtracted once, time outside is ignored. A pause that ends before it starts is
        an error. When ``end`` is not after ``start`` the result is zero, never negative:
        the measure is "time used", and a caller that wants a signed lateness compares the
        instants first.
        """
        low = self._position(self._local(start, "start"))
        high = self._position(self._local(end, "end"))
        clipped = []
        for paused_at, resumed_at in pauses:
            paused_local = self._local(paused_at, "pause start")
            resumed_local = self._local(resumed_at, "pause end")
            if resumed_local < paused_local:
                raise ValueError(f"pause ends before it starts: {paused_at} → {resumed_at}")
            first = max(self._position(paused_local), low)
            last = min(self._position(resumed_local), high)
            if first < last:
                clipped.append((first, last))
        if high <= low:
            return timedelta(0)
        paused, reach = 0, low
        for first, last in sorted(clipped):
            first = max(first, reach)
            if last > first:
                paused += last - first
                reach = last
        return timedelta(microseconds=high - low - paused)


@cache
def default_calendar() -> WorkingCalendar:
    """The civil-service calendar: 08:00–12:00 and 13:00–17:00, Asia/Ho_Chi_Minh, no
    overrides beyond what the ``holidays`` package knows."""
    return WorkingCalendar()
