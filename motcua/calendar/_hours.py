"""Office hours: the spans of a working day that count towards a deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

_MICRO = 1_000_000


def _micros(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _MICRO + moment.microsecond


@dataclass(frozen=True)
class WorkingHours:
    """Default 08:00–12:00 and 13:00–17:00; many units publish their own hours."""

    spans: tuple[tuple[time, time], ...] = ((time(8), time(12)), (time(13), time(17)))

    def __post_init__(self) -> None:
        previous = -1
        for start, end in self.spans:
            if not _micros(start) < _micros(end) or _micros(start) < previous:
                raise ValueError("working spans must be ordered and non-overlapping")
            previous = _micros(end)
        if not self.spans:
            raise ValueError("a working day needs at least one span")

    @property
    def day_length(self) -> timedelta:
        return timedelta(microseconds=self.day_micros)

    @property
    def day_micros(self) -> int:
        return sum(_micros(end) - _micros(start) for start, end in self.spans)

    def elapsed(self, moment: time) -> int:
        """Working microseconds of a working day that have passed at ``moment``."""
        now = _micros(moment)
        return sum(
            min(max(now - _micros(start), 0), _micros(end) - _micros(start))
            for start, end in self.spans
        )

    def moment(self, elapsed: int, *, prefer_end: bool) -> time:
        """The time of day at which ``elapsed`` working microseconds have passed.

        At a boundary between spans (12:00 ≡ 13:00) ``prefer_end`` picks the end of the
        earlier span (a deadline ends then) over the start of the next (a clock starts then).
        """
        for start, end in self.spans:
            length = _micros(end) - _micros(start)
            if elapsed < length or (prefer_end and elapsed == length):
                total = _micros(start) + elapsed
                return (datetime.min + timedelta(microseconds=total)).time()
            elapsed -= length
        return self.spans[-1][1]
