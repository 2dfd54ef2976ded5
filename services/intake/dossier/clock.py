"""A dossier's legal clock (docs/domain.md, "The clock: supplements and pauses"). Pure.

- Receipt: the clock starts at the receipt instant, or at the next working moment for a
  paper dossier received after the cut-off (Nghị định 61 Điều 18).
- Supplement during processing stops the clock; once the complete dossier is back the
  processing time is counted again **from zero** (Điều 19 khoản 4) — but never to a date
  before the one an apology letter gave the citizen in writing.
- A pause for a reason outside the agency stops the clock; on resume the remaining time
  continues (per-procedure policy; the time may be negative when paused already late).
  Procedures counted in calendar days keep whole days left and end their period by the
  Civil Code's rule (Bộ luật Dân sự Điều 147–148), as at receipt.
- The apology letter's new appointment replaces the due date; a clock stopped at that
  moment stays stopped, and its time left is counted to the new date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from motcua.calendar import WorkingCalendar
from motcua.dossier import ProcessingTime, TimeUnit

__all__ = [
    "Clock",
    "await_supplement",
    "reschedule",
    "restart",
    "resume",
    "start",
    "stop",
]


@dataclass(frozen=True)
class Clock:
    """``due_at`` is the appointment in force, kept while stopped (the receipt and the
    letter still say it); ``remaining`` is the time a pause left, ``None`` while a
    supplement is awaited (the time restarts from zero then)."""

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


def _time_left(
    calendar: WorkingCalendar, at: datetime, due_at: datetime, unit: TimeUnit
) -> timedelta:
    """Signed: negative once ``at`` is past the due instant."""
    if unit == "calendar_days":
        local = ZoneInfo(calendar.zone)
        days = (due_at.astimezone(local).date() - at.astimezone(local).date()).days
        return timedelta(days=days)
    if at <= due_at:
        return calendar.working_time_between(at, due_at)
    return -calendar.working_time_between(due_at, at)


def stop(calendar: WorkingCalendar, clock: Clock, at: datetime, *, unit: TimeUnit) -> Clock:
    """Stop the clock for a pause, remembering the time left."""
    return replace(clock, stopped_at=at, remaining=_time_left(calendar, at, clock.due_at, unit))


def await_supplement(clock: Clock, at: datetime) -> Clock:
    """Stop the clock until the complete dossier is back; the time will restart then."""
    return replace(clock, stopped_at=at, remaining=None)


def resume(calendar: WorkingCalendar, clock: Clock, at: datetime, *, unit: TimeUnit) -> Clock:
    """Run the clock again with the time it had left when paused."""
    if clock.remaining is None:
        raise ValueError("the clock is not paused")
    if unit == "calendar_days":
        days = clock.remaining.days
        if days >= 0:
            due = calendar.add_calendar_days(at, days)
        else:  # paused already late: it stays as many days late
            local = ZoneInfo(calendar.zone)
            day = at.astimezone(local).date() + timedelta(days=days)
            due = datetime.combine(day, calendar.hours.closes, tzinfo=local)
    else:
        due = calendar.add_working_time(at, clock.remaining)
    return Clock(clock.started_at, due)


def restart(
    calendar: WorkingCalendar,
    clock: Clock,
    at: datetime,
    *,
    paper: bool,
    processing_time: ProcessingTime,
    cutoff: time,
    not_before: datetime | None,
) -> Clock:
    """The complete dossier is back: the whole processing time counts again from now."""
    restarted = start(calendar, at, paper=paper, processing_time=processing_time, cutoff=cutoff)
    if not_before is not None and restarted.due_at < not_before:
        return replace(restarted, due_at=not_before)
    return restarted


def reschedule(
    calendar: WorkingCalendar, clock: Clock, new_due_at: datetime, *, unit: TimeUnit
) -> Clock:
    """The apology letter's new appointment, whatever the clock is doing."""
    if clock.stopped_at is not None and clock.remaining is not None:
        left = _time_left(calendar, clock.stopped_at, new_due_at, unit)
        return replace(clock, due_at=new_due_at, remaining=left)
    return replace(clock, due_at=new_due_at)
