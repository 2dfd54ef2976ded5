"""The sender's decisions: send now, wait out quiet hours, fall back to the QR code, give
up with the last error, plan the one reminder."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from motcua.delivery import QuietHours
from services.ratings.delivery.plan import (
    Due,
    after_failure,
    after_sent,
    before_sending,
    try_later,
    without_contact,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = QuietHours(time(21), time(7), VN)
NOON = datetime(2025, 6, 27, 12, tzinfo=VN)
DUE = Due(
    invitation_id="0b7c6c1e-1f0a-4f55-9a55-2f6f3b0d1c11",
    dossier_code="000.00.12.H26-250610-0007",
    outcome="returned",
    channel="sms",
    status="pending",
    reminder_status=None,
    attempts=0,
    expires_at=NOON + timedelta(days=30),
    used_at=None,
    token_sealed=b"sealed",
)
SENT = replace(DUE, status="sent")


def test_a_pending_invitation_goes_now_in_the_day() -> None:
    assert DUE.kind == "invite"
    assert before_sending(DUE, NOON, NIGHT) is None


def test_at_night_it_waits_for_the_morning_and_counts_no_try() -> None:
    update = before_sending(DUE, datetime(2025, 6, 27, 22, tzinfo=VN), NIGHT)
    assert update is not None
    assert update.result == "later"
    assert update.status == "pending"
    assert update.next_attempt_at == datetime(2025, 6, 28, 7, tzinfo=VN)
    assert update.attempts_added == 0


def test_sent_plans_one_reminder_after_the_days_outside_quiet_hours() -> None:
    evening = datetime(2025, 6, 27, 20, 30, tzinfo=VN)
    update = after_sent(DUE, evening, 2, reminder_after=timedelta(days=3), quiet=NIGHT)
    assert (update.result, update.status, update.attempts_added) == ("sent", "sent", 2)
    assert update.sent_at == evening
    assert update.reminder_due_at == datetime(2025, 6, 30, 20, 30, tzinfo=VN)
    assert update.next_attempt_at == update.reminder_due_at
    late = after_sent(
        DUE, datetime(2025, 6, 27, 22, tzinfo=VN), 1, reminder_after=timedelta(days=3), quiet=NIGHT
    )
    assert late.reminder_due_at == datetime(2025, 7, 1, 7, tzinfo=VN)


def test_no_reminder_after_the_link_expired() -> None:
    short = replace(DUE, expires_at=NOON + timedelta(days=2))
    update = after_sent(short, NOON, 1, reminder_after=timedelta(days=3), quiet=None)
    assert update.reminder_status == "not_needed"
    assert update.next_attempt_at is None


def test_the_reminder_is_sent_once() -> None:
    assert SENT.kind == "reminder"
    update = after_sent(SENT, NOON, 1, reminder_after=timedelta(days=3), quiet=None)
    assert (update.result, update.status, update.reminder_status) == ("reminded", "sent", "sent")
    assert update.reminder_sent_at == NOON
    assert update.next_attempt_at is None


def test_an_answered_invitation_needs_no_reminder() -> None:
    update = before_sending(replace(SENT, used_at=NOON), NOON, None)
    assert update is not None
    assert (update.result, update.reminder_status, update.next_attempt_at) == (
        "not_needed",
        "not_needed",
        None,
    )


def test_an_expired_pending_invitation_gives_up_saying_why() -> None:
    update = before_sending(DUE, DUE.expires_at, None)
    assert update is not None
    assert update.status == "given_up"
    assert update.last_error == "the invitation expired before it could be sent"


def test_giving_up_keeps_the_last_error_and_the_tries() -> None:
    update = after_failure(DUE, 5, "SMS gateway answered 503")
    assert (update.status, update.attempts_added, update.last_error) == (
        "given_up",
        5,
        "SMS gateway answered 503",
    )
    assert update.next_attempt_at is None
    reminder = after_failure(SENT, 5, "SMS gateway answered 503")
    assert (reminder.status, reminder.reminder_status) == ("sent", "given_up")


def test_without_a_contact_the_qr_code_remains() -> None:
    assert without_contact(DUE).status == "qr_only"
    assert without_contact(SENT).reminder_status == "not_needed"


def test_intake_away_is_tried_later_without_counting_a_try() -> None:
    update = try_later(DUE, NOON, timedelta(minutes=1), "intake answered 503")
    assert update.status == "pending"
    assert update.next_attempt_at == NOON + timedelta(minutes=1)
    assert update.attempts_added == 0


NOTICE = replace(SENT, notice_status="pending", used_at=NOON - timedelta(days=20))


def test_a_closed_follow_up_is_told_even_though_the_link_was_used_or_has_expired() -> None:
    assert NOTICE.kind == "followup"
    assert before_sending(NOTICE, NOON, NIGHT) is None
    late = NOON + timedelta(days=31)
    assert before_sending(replace(NOTICE, expires_at=NOON), late.replace(hour=12), NIGHT) is None


def test_the_notice_waits_out_quiet_hours_too() -> None:
    update = before_sending(NOTICE, datetime(2025, 6, 27, 22, tzinfo=VN), NIGHT)
    assert update is not None
    assert update.next_attempt_at == datetime(2025, 6, 28, 7, tzinfo=VN)
    assert update.notice_status == "pending"


def test_the_notice_sent_given_up_or_without_contact_settles_it_alone() -> None:
    sent = after_sent(NOTICE, NOON, 1, reminder_after=timedelta(days=3), quiet=NIGHT)
    assert (sent.result, sent.notice_status, sent.notice_sent_at) == ("notified", "sent", NOON)
    assert (sent.status, sent.reminder_status, sent.next_attempt_at) == ("sent", None, None)
    failed = after_failure(NOTICE, 5, "SMS gateway answered 503")
    assert (failed.notice_status, failed.status) == ("given_up", "sent")
    assert without_contact(NOTICE).notice_status == "not_needed"


def test_a_notice_queued_before_the_invitation_went_out_comes_next() -> None:
    rated_at_the_counter = replace(DUE, used_at=NOON, notice_status="pending")
    assert rated_at_the_counter.kind == "invite"
    update = before_sending(rated_at_the_counter, NOON, NIGHT)
    assert update is not None
    assert (update.status, update.next_attempt_at) == ("qr_only", NOON)
    assert replace(rated_at_the_counter, status=update.status).kind == "followup"
    plain = before_sending(replace(DUE, used_at=NOON), NOON, NIGHT)
    assert plain is not None
    assert plain.next_attempt_at is None
