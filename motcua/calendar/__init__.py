"""The Vietnamese working-day calendar: pure functions for the law's clocks.

Holidays, substituted days off and make-up working Saturdays come from the ``holidays``
package (country VN); :class:`CalendarOverrides` carries announcements that arrive after
a release of it.
"""

from motcua.calendar._calendar import WorkingCalendar, default_calendar
from motcua.calendar._hours import WorkingHours
from motcua.calendar._overrides import CalendarOverrides

__all__ = ["CalendarOverrides", "WorkingCalendar", "WorkingHours", "default_calendar"]
