"""The government's calendar announcements, as the admin records them, folded into overrides.

Each announcement is about one date (a swap is two: the weekday off and the Saturday
worked, usually under one decision), so a date is the natural key of the table and of the
compacted topic that carries it: the latest record for a date is its truth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from motcua.calendar._calendar import WorkingCalendar
from motcua.calendar._overrides import CalendarOverrides

LEGAL_BASIS_MAX = 200
NOTE_MAX = 500


class OverrideKind(StrEnum):
    DAY_OFF = "day_off"  # a weekday given off (a swap's day off, an extra holiday)
    WORKING_DAY = "working_day"  # a Saturday worked, or a listed holiday not given off


@dataclass(frozen=True)
class CalendarOverride:
    """One date's announced status and the document that announced it."""

    day: date
    kind: OverrideKind
    legal_basis: str  # the announcing document's number, e.g. "Quyết định 123/QĐ-TTg"
    note: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise TypeError("day must be a date")
        object.__setattr__(self, "kind", OverrideKind(self.kind))


def overrides_from(announcements: Iterable[CalendarOverride]) -> CalendarOverrides:
    """The overrides a set of in-force announcements (at most one per date) amounts to.

    A day declared worked goes to ``extra_working_days``, which the day rule checks first,
    so it also cancels a holiday the ``holidays`` package lists.
    """
    days_off: set[date] = set()
    working: set[date] = set()
    for announcement in announcements:
        if announcement.day in days_off | working:
            raise ValueError(f"two announcements for {announcement.day}")
        (days_off if announcement.kind is OverrideKind.DAY_OFF else working).add(announcement.day)
    return CalendarOverrides(
        extra_days_off=frozenset(days_off), extra_working_days=frozenset(working)
    )


def override_problems(override: CalendarOverride, base: WorkingCalendar) -> dict[str, str]:
    """What is wrong with an announcement, per field; empty when it can be recorded.

    ``base`` is the calendar without this date's own override. An announcement that
    changes nothing (a Sunday "off", a Tuesday "worked") is refused: it is almost always a
    mistyped date, and a silent no-op would hide it.
    """
    problems: dict[str, str] = {}
    if not override.legal_basis.strip():
        problems["legal_basis"] = "the number of the announcing document is required"
    elif len(override.legal_basis) > LEGAL_BASIS_MAX:
        problems["legal_basis"] = f"at most {LEGAL_BASIS_MAX} characters"
    if len(override.note) > NOTE_MAX:
        problems["note"] = f"at most {NOTE_MAX} characters"
    try:
        working = base.is_working_day(override.day)
    except ValueError as exc:
        problems["date"] = str(exc)
        return problems
    if working == (override.kind is OverrideKind.WORKING_DAY):
        state = "a working day" if working else "a day off"
        problems["kind"] = f"{override.day} is already {state}; the announcement changes nothing"
    return problems
