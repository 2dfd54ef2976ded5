"""Helpers shared by the calendar tests: instants in Hà Nội time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant in Vietnam's time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)
