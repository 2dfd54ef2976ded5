"""A dossier's legal clock (DOMAIN.md "The clock, supplements, pauses"). Pure.

- Receipt: the clock starts at the receipt instant, or at the next working moment for a
  paper dossier received after the cut-off (Nghị định 61 Điều 18).
- Supplement during processing stops the clock; once the complete dossier is back the
  processing time is counted again **from zero** (Điều 19 khoản 4).
- A pause for a reason outside the agency stops the clock; on resume the remaining time
  continues (per-procedure policy; the time may be negative when paused already late).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Literal

from motcua.calendar import WorkingCalendar

TimeUnit = Literal["working_days", "working_hours", "calendar_days"]


@dataclass(frozen=True)
class ProcessingTime:
    amount: int
    unit: TimeUnit


@dataclass(frozen=True)
class Clock:
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None = None
    remaining: timedelta | None = None

    @property
    def running(self) -> bool:
        return self.stopped_at is None


def start(
    calendar: WorkingCalendar,
    at: datetime,
    *,
    paper: bool,
    processing_time: ProcessingTime,
    cutoff: time,
) -> Clock:
    started = calendar.clock_start(at, paper=paper, cutoff=cutoff)
    return Clock(started, calendar.due_at(started, processing_time.amount, processing_time.unit))


def stop(calendar: WorkingCalendar, clock: Clock, at: datetime, *, unit: TimeUnit) -> Clock:
    """Stop the clock, remembering the time left (negative once past the due instant)."""
    if unit == "calendar_days":
        remaining = clock.due_at - at
    elif at <= clock.due_at:
        remaining = calendar.working_time_between(at, clock.due_at)
    else:
        remaining = -calendar.working_time_between(clock.due_at, at)
    return replace(clock, stopped_at=at, remaining=remaining)


def resume(calendar: WorkingCalendar, clock: Clock, at: datetime, *, unit: TimeUnit) -> Clock:
    """Run the clock again with the time it had left when stopped."""
    if clock.remaining is None:
        raise ValueError("the clock is not stopped")
    if unit == "calendar_days":
        due = at + clock.remaining
    elif clock.remaining >= timedelta(0):
        due = calendar.add_working_time(at, clock.remaining)
    else:
        due = calendar.subtract_working_time(at, -clock.remaining)
    return Clock(clock.started_at, due)
