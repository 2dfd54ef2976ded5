"""How far from now a desk's ``occurred_at`` may plausibly lie.

Every date intake computes comes from ``occurred_at`` (the desk's time, not arrival), so an
instant in the year 143 or 3000 is not a desk's clock but a bug upstream; the working
calendar also only knows 1901–2100. The past bound lets a desk catch up on paper (and a
migration bring in old dossiers); the future bound is clock skew between machines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from motcua.contracts import format_instant


@dataclass(frozen=True)
class InstantWindow:
    max_past: timedelta = timedelta(days=3653)
    max_future: timedelta = timedelta(minutes=5)

    def looking_ahead(self) -> InstantWindow:
        """For a preview of a receipt yet to come: as far ahead as a desk may look back."""
        return InstantWindow(self.max_past, max(self.max_future, self.max_past))

    def refusal(self, at: datetime, now: datetime) -> str | None:
        """Why ``at`` is implausible at ``now``, or None when it is within the window."""
        if at < now - self.max_past:
            return (
                f"{format_instant(at)} is more than {self.max_past.days} days in the past "
                "(OCCURRED_AT_MAX_PAST_DAYS)"
            )
        if at > now + self.max_future:
            return (
                f"{format_instant(at)} is more than {self.max_future.total_seconds():g} s in "
                "the future (OCCURRED_AT_MAX_FUTURE_S)"
            )
        return None
