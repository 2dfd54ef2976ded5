"""Government announcements the ``holidays`` package does not know yet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class CalendarOverrides:
    """Each year the government may swap days; a later announcement lands here."""

    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    removed_days_off: frozenset[date] = field(default_factory=frozenset)
