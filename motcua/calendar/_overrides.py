"""Government announcements that reach us before a release of the ``holidays`` package."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class CalendarOverrides:
    """Corrections on top of the package's facts, each a set of local dates.

    - ``extra_days_off``: a day declared off (a new swap, a one-off holiday).
    - ``extra_working_days``: a day declared worked (a new make-up Saturday).
    - ``removed_days_off``: a day the package lists as a holiday that was not given off;
      the day then follows the weekday rule (Monday–Friday worked).

    A date may not be both off and worked: that would be a typo in the announcement table.
    """

    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    removed_days_off: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Accept any iterable of dates (a set literal, a list) but store frozensets, so the
        # overrides stay hashable: calendars are cached by them.
        for name in ("extra_days_off", "extra_working_days", "removed_days_off"):
            days = frozenset(getattr(self, name))
            if any(not isinstance(day, date) or isinstance(day, datetime) for day in days):
                raise TypeError(f"{name} must hold dates, not datetimes or other values")
            object.__setattr__(self, name, days)
        if clash := self.extra_days_off & (self.extra_working_days | self.removed_days_off):
            raise ValueError(f"dates both off and worked: {sorted(clash)}")
