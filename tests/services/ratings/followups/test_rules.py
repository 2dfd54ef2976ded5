"""A follow-up's response deadline and standing on the shared working calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from motcua.calendar import default_calendar
from services.ratings.followups.rules import (
    STATES,
    FilterRefused,
    FollowupFilter,
    Standing,
    due_window,
    parse_filter,
    response_due,
    standing,
)

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


def _in(window: tuple[datetime | None, datetime | None], due: datetime) -> bool:
    after, until = window
    return (after is None or due > after) and (until is None or due <= until)


def test_each_states_due_window_holds_exactly_the_follow_ups_of_that_standing() -> None:
    now = datetime(2025, 6, 4, 9, 0, tzinfo=HANOI)  # a Wednesday
    for hours in range(-48, 24 * 14, 5):
        due = now + timedelta(hours=hours)
        found = standing(due, None, now, CALENDAR).value
        windows = {state for state in STATES[:3] if _in(due_window(state, now, CALENDAR), due)}
        assert windows == {found}, (due, found, windows)
    assert due_window("", now, CALENDAR) == (None, None)
    assert due_window("closed", now, CALENDAR) == (None, None)


UNITS = ("000.00.00.H26", "000.00.12.H26")
REASONS = ("staff_conduct", "overall", "complaint")


def test_a_filter_takes_only_what_the_page_offers() -> None:
    assert parse_filter("", "", "", units=UNITS, reasons=REASONS) == FollowupFilter()
    narrowed = parse_filter("overdue", UNITS[1], "complaint", units=UNITS, reasons=REASONS)
    assert narrowed == FollowupFilter("overdue", UNITS[1], "complaint")
    assert not narrowed.closed
    assert parse_filter("closed", "", "", units=UNITS, reasons=REASONS).closed
    for state, unit, reason, field in [
        ("late", "", "", "state"),
        ("", "000.00.00.H01", "", "unit"),
        ("", "", "fees", "reason"),
    ]:
        with pytest.raises(FilterRefused) as refused:
            parse_filter(state, unit, reason, units=UNITS, reasons=REASONS)
        assert refused.value.field == field


def test_without_intakes_tree_any_unit_is_left_to_the_subtree_query() -> None:
    narrowed = parse_filter("", "000.00.00.H01", "", units=(), reasons=REASONS)
    assert narrowed.unit_code == "000.00.00.H01"
