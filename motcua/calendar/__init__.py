"""The Vietnamese working-day calendar: pure functions for the law's clocks.

Holidays, days off substituted for weekend holidays and swapped working Saturdays come
from the ``holidays`` package (country VN); :class:`CalendarOverrides` carries the
government's announcements that arrive after a release of it. No I/O: every function
answers from the package's data and its arguments alone.
"""

from motcua.calendar._announcements import (
    CalendarOverride,
    OverrideKind,
    override_problems,
    overrides_from,
)
from motcua.calendar._calendar import TimeUnit, WorkingCalendar, default_calendar
from motcua.calendar._hours import WorkingHours
from motcua.calendar._overrides import CalendarOverrides

__all__ = [
    "CalendarOverride",
    "CalendarOverrides",
    "OverrideKind",
    "TimeUnit",
    "WorkingCalendar",
    "WorkingHours",
    "default_calendar",
    "override_problems",
    "overrides_from",
]
