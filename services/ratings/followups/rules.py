"""When a follow-up of an unhappy answer is due, and where it stands (pure: no I/O).

The unit's head answers within 15 working days of the rating, counted on the shared
Vietnamese calendar (:mod:`motcua.calendar`) as every other legal time is.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from motcua.calendar import WorkingCalendar

RESPONSE_WORKING_DAYS = 15
DUE_SOON_WORKING_DAYS = 3
ACTION_MAX = 2000


class Standing(StrEnum):
    """A follow-up as the staff list groups them."""

    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    CLOSED = "closed"


def response_due(
    opened_at: datetime, calendar: WorkingCalendar, days: int = RESPONSE_WORKING_DAYS
) -> datetime:
    return calendar.add_working_days(opened_at, days)


def standing(
    due_at: datetime,
    closed_at: datetime | None,
    now: datetime,
    calendar: WorkingCalendar,
    soon_days: int = DUE_SOON_WORKING_DAYS,
) -> Standing:
    """Closed, overdue (past its due instant), due soon (due within ``soon_days`` working
    days from now), or simply open."""
    if closed_at is not None:
        return Standing.CLOSED
    if now >= due_at:
        return Standing.OVERDUE
    if calendar.add_working_days(now, soon_days) >= due_at:
        return Standing.DUE_SOON
    return Standing.OPEN
