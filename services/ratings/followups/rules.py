"""When a follow-up of an unhappy answer is due, and where it stands (pure: no I/O).

The unit's head answers within 15 working days of the rating, counted on the shared
Vietnamese calendar (:mod:`motcua.calendar`) as every other legal time is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
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


STATES = ("overdue", "due_soon", "open", "closed")
"""What the list can be narrowed to: one standing (``""`` is every open follow-up)."""


@dataclass(frozen=True)
class FollowupFilter:
    """What an officer narrowed the list to; every part optional."""

    state: str = ""
    """``""`` (every open follow-up) or one of :data:`STATES`."""
    unit_code: str = ""
    """A unit of the officer's subtree: its follow-ups and those below it."""
    reason: str = ""
    """A criterion answered "Không hài lòng", ``overall`` or ``complaint``."""

    @property
    def closed(self) -> bool:
        return self.state == Standing.CLOSED


EVERY_OPEN = FollowupFilter()
"""The list as it opens: every open follow-up of the subtree."""


class FilterRefused(ValueError):
    """A filter value the list does not offer (the page says which, in Vietnamese)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def parse_filter(
    state: str, unit_code: str, reason: str, *, units: Collection[str], reasons: Collection[str]
) -> FollowupFilter:
    """The filter from the query, each value one the page offered: ``units`` are the codes
    of the officer's subtree (empty when intake's tree is not known yet: the query keeps
    the subtree anyway)."""
    if state not in ("", *STATES):
        raise FilterRefused("state")
    if unit_code and units and unit_code not in units:
        raise FilterRefused("unit")
    if reason and reason not in reasons:
        raise FilterRefused("reason")
    return FollowupFilter(state, unit_code, reason)


def due_window(
    state: str, now: datetime, calendar: WorkingCalendar, soon_days: int = DUE_SOON_WORKING_DAYS
) -> tuple[datetime | None, datetime | None]:
    """The due instants (after, up to and including) an open follow-up of ``state`` has,
    the same bounds :func:`standing` draws; ``(None, None)`` for no bound."""
    soon = calendar.add_working_days(now, soon_days)
    windows: dict[str, tuple[datetime | None, datetime | None]] = {
        "overdue": (None, now),
        "due_soon": (now, soon),
        "open": (soon, None),
    }
    return windows.get(state, (None, None))
