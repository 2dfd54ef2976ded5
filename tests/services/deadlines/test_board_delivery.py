"""The board's words for whether an apology letter reached the citizen, and its flag."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.deadlines.board.delivery import LetterDelivery, describe, is_flagged

NOW = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)  # 14:00 in Hà Nội
DEADLINE = NOW + timedelta(hours=3)
BASE = LetterDelivery(letter_number="7/PXL", apology_deadline=DEADLINE, reached_at=None)


@pytest.mark.parametrize(
    ("delivery", "words"),
    [
        (BASE, "Chưa gửi đến công dân"),
        (replace(BASE, state="queued"), "Chờ gửi"),
        (replace(BASE, state="queued", channel="zalo"), "Chờ gửi (Zalo)"),
        (replace(BASE, state="sent", channel="zalo"), "Đã gửi, chờ xác nhận (Zalo)"),
        (
            replace(BASE, state="delivered", channel="sms", at=NOW + timedelta(minutes=5)),
            "Đã đến công dân 14:05 05/12 (SMS)",
        ),
        (
            replace(BASE, state="failed_temporary", channel="sms", reason="máy tắt"),
            "Gửi chưa được (SMS): máy tắt — sẽ gửi lại",
        ),
        (
            replace(BASE, state="failed_permanent", channel="email", reason=None),
            "Gửi không thành công (thư điện tử): không rõ lý do",
        ),
        (replace(BASE, state="queued", channel="post"), "Chờ in gửi bưu điện"),
        (
            replace(BASE, state="queued", channel="post", in_batch=True),
            "Đã vào đợt in, chờ gửi bưu điện",
        ),
        (
            replace(BASE, state="posted", channel="post", at=NOW + timedelta(hours=19)),
            "Đã gửi bưu điện 09:00 06/12",
        ),
    ],
)
def test_each_state_in_words(delivery: LetterDelivery, words: str) -> None:
    assert describe(delivery, NOW).lines == (words,)


def test_a_permanent_failure_that_moved_on_is_said_before_the_next_channel() -> None:
    moved = replace(
        BASE,
        state="queued",
        channel="zalo",
        failed_channel="sms",
        failed_reason="số không tồn tại",
    )
    assert describe(moved, NOW).lines == (
        "Gửi không thành công (SMS): số không tồn tại — chuyển Zalo",
        "Chờ gửi (Zalo)",
    )


def test_a_letter_not_reached_by_its_deadline_is_flagged_in_words() -> None:
    assert describe(BASE, NOW).flag is None
    late = describe(BASE, DEADLINE + timedelta(seconds=1))
    assert late.flagged
    assert late.flag == "Chưa đến công dân — đã quá hạn gửi phiếu 17:00 05/12/2026"


def test_a_letter_reached_after_its_deadline_stays_flagged() -> None:
    reached = replace(BASE, state="delivered", channel="sms", reached_at=DEADLINE)
    assert not is_flagged(reached, DEADLINE + timedelta(days=2))
    late = replace(reached, reached_at=DEADLINE + timedelta(minutes=1))
    assert describe(late, NOW).flag == "Đến công dân sau hạn gửi phiếu 17:00 05/12/2026"


def test_a_letter_with_no_deadline_is_never_flagged() -> None:
    assert not describe(replace(BASE, apology_deadline=None), NOW + timedelta(days=9)).flagged
