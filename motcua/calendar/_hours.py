"""Office hours: the spans of a working day whose time counts towards a deadline.

Inside a day, time is handled as integer microseconds since midnight, so the calendar's
arithmetic never builds intermediate ``timedelta`` or ``datetime`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from functools import cached_property

MICROS_PER_SECOND = 1_000_000


def micros_of_day(moment: time) -> int:
    """Microseconds since midnight of a wall-clock time."""
    seconds = (moment.hour * 60 + moment.minute) * 60 + moment.second
    return seconds * MICROS_PER_SECOND + moment.microsecond


@dataclass(frozen=True)
class WorkingHours:
    """The working spans of a day, local wall-clock times, ordered and non-overlapping.

    The default is the civil service's 08:00–12:00 and 13:00–17:00 (8 h); a unit that
    publishes other hours passes its own spans, and every deadline follows them.
    """

    spans: tuple[tuple[time, time], ...] = ((time(8), time(12)), (time(13), time(17)))

    def __post_init__(self) -> None:
        spans = tuple((start, end) for start, end in self.spans)
        if not spans:
            raise ValueError("a working day needs at least one working span")
        previous_end = -1
        for start, end in spans:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working hours are local wall-clock times, without tzinfo")
            if not micros_of_day(start) < micros_of_day(end):
                raise ValueError(f"working span {start}–{end} must start before it ends")
            if micros_of_day(start) < previous_end:
                raise ValueError("working spans must be in order and must not overlap")
            previous_end = micros_of_day(end)
        object.__setattr__(self, "spans", spans)

    @cached_property
    def bounds(self) -> tuple[tuple[int, int], ...]:
        """The spans as (start, end) microseconds since midnight."""
        return tuple((micros_of_day(start), micros_of_day(end)) for start, end in self.spans)

    @cached_property
    def day_micros(self) -> int:
        """Working microseconds in one working day."""
        return sum(end - start for start, end in self.bounds)

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day (8 h by default): one "working day" of a deadline."""
        return timedelta(microseconds=self.day_micros)

    @property
    def opens(self) -> time:
        """When the first span starts: a clock handed on to the next day starts then."""
        return self.spans[0][0]

    @property
    def closes(self) -> time:
        """When the last span ends: the end of a working day for calendar-day periods."""
        return self.spans[-1][1]

    def elapsed(self, now: int) -> int:
        """Working microseconds of the day that have passed ``now`` µs after midnight."""
        total = 0
        for start, end in self.bounds:
            if now <= start:
                break
            if now < end:
                return total + now - start
            total += end - start
        return total

    def moment(self, elapsed: int, *, prefer_end: bool) -> int:
        """The µs after midnight at which ``elapsed`` working µs of the day have passed.

        Where two spans meet in working time (12:00 ≡ 13:00), ``prefer_end`` picks the end
        of the earlier span, where a deadline falls, over the start of the next, where a
        clock starts.
        """
        for start, end in self.bounds:
            length = end - start
            if elapsed < length or (prefer_end and elapsed == length):
                return start + elapsed
            elapsed -= length
        return self.bounds[-1][1]
