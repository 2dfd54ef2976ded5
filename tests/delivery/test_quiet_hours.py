"""Quiet hours: nothing reaches a citizen between 21:00 and 07:00 Hà Nội time."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from motcua.delivery import QuietHours, next_allowed

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = QuietHours(time(21), time(7), VN)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2025, 6, 27, 20, 59, tzinfo=VN), datetime(2025, 6, 27, 20, 59, tzinfo=VN)),
        (datetime(2025, 6, 27, 21, 0, tzinfo=VN), datetime(2025, 6, 28, 7, 0, tzinfo=VN)),
        (datetime(2025, 6, 27, 23, 30, tzinfo=VN), datetime(2025, 6, 28, 7, 0, tzinfo=VN)),
        (datetime(2025, 6, 28, 3, 0, tzinfo=VN), datetime(2025, 6, 28, 7, 0, tzinfo=VN)),
        (datetime(2025, 6, 28, 7, 0, tzinfo=VN), datetime(2025, 6, 28, 7, 0, tzinfo=VN)),
        (datetime(2025, 6, 28, 12, 0, tzinfo=VN), datetime(2025, 6, 28, 12, 0, tzinfo=VN)),
    ],
)
def test_a_message_due_at_night_waits_for_seven_in_the_morning(
    local: datetime, expected: datetime
) -> None:
    assert NIGHT.next_allowed(local) == expected


def test_the_answer_keeps_the_callers_zone() -> None:
    at = datetime(2025, 6, 27, 15, 0, tzinfo=UTC)  # 22:00 in Hà Nội
    allowed = NIGHT.next_allowed(at)
    assert allowed.tzinfo is UTC
    assert allowed == datetime(2025, 6, 28, 0, 0, tzinfo=UTC)  # 07:00 in Hà Nội


def test_a_window_within_one_day() -> None:
    lunch = QuietHours(time(12), time(13, 30), VN)
    assert lunch.is_quiet(datetime(2025, 6, 27, 12, 45, tzinfo=VN))
    assert not lunch.is_quiet(datetime(2025, 6, 27, 13, 30, tzinfo=VN))
    assert lunch.next_allowed(datetime(2025, 6, 27, 12, 0, tzinfo=VN)) == datetime(
        2025, 6, 27, 13, 30, tzinfo=VN
    )


def test_the_setting_is_parsed_and_empty_means_none() -> None:
    parsed = QuietHours.parse("21:00-07:00", "Asia/Ho_Chi_Minh")
    assert parsed == NIGHT
    assert QuietHours.parse(" ", "Asia/Ho_Chi_Minh") is None
    at = datetime(2025, 6, 27, 23, 0, tzinfo=VN)
    assert next_allowed(None, at) == at


@pytest.mark.parametrize("text", ["21h-7h", "21:00", "07:00-07:00"])
def test_a_malformed_setting_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        QuietHours.parse(text, "Asia/Ho_Chi_Minh")
