"""Quiet hours: no message reaches a citizen at night (default 21:00–07:00 local). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` local time (across midnight when ``end`` < ``start``)."""

    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str) -> QuietHours | None:
        """``"21:00-07:00"``; an empty text means none."""
        if not text.strip():
            return None
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            msg = f"quiet hours are HH:MM-HH:MM, not {text!r}"
            raise ValueError(msg) from None
        if start == end:
            msg = "quiet hours must not start and end at the same time"
            raise ValueError(msg)
        return cls(start, end, ZoneInfo(zone))

    def is_quiet(self, at: datetime) -> bool:
        local = at.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, at: datetime) -> datetime:
        """``at`` itself outside quiet hours, else the moment they end (local wall time)."""
        if not self.is_quiet(at):
            return at
        local = at.astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=self.zone)
        return end.astimezone(at.tzinfo)


def next_allowed(quiet: QuietHours | None, at: datetime) -> datetime:
    return at if quiet is None else quiet.next_allowed(at)
