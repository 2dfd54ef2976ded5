"""A follow-up's response deadline and standing on the shared working calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from motcua.calendar import default_calendar
from services.ratings.followups.rules import Standing, response_due, standing

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR = default_calendar()


def test_the_head_has_15_working_days_weekends_and_holidays_excluded() -> None:
    opened = datetime(2025, 4, 21, 10, 0, tzinfo=HANOI)  # a Monday; 30/4 and 1/5 are holidays
    due = response_due(opened, CALENDAR)
    assert due == datetime(2025, 5, 14, 10, 0, tzinfo=HANOI)


def test_standing_open_due_soon_overdue_closed() -> None:
    opened = datetime(2025, 6, 2, 9, 0, tzinfo=HANOI)
    due = response_due(opened, CALENDAR)
    assert standing(due, None, opened, CALENDAR) is Standing.OPEN
    assert standing(due, None, due - timedelta(days=1), CALENDAR) is Standing.DUE_SOON
    assert standing(due, None, due, CALENDAR) is Standing.OVERDUE
    assert standing(due, due, due + timedelta(days=9), CALENDAR) is Standing.CLOSED
