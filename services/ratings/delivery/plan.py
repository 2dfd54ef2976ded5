"""What happens to a delivery the sender picked up, decided without any I/O: send it now,
wait for the end of quiet hours, give up, fall back to the QR code, or plan the reminder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from motcua.delivery import QuietHours, next_allowed


@dataclass(frozen=True)
class Due:
    """A delivery the sender holds (its lease keeps other senders off it)."""

    invitation_id: str
    dossier_code: str
    outcome: str
    channel: str
    status: str
    reminder_status: str | None
    attempts: int
    expires_at: datetime
    used_at: datetime | None
    token_sealed: bytes | None
    notice_status: str | None = None

    @property
    def kind(self) -> str:
        """The invitation itself while it is pending, the notice of a closed follow-up
        when one waits, else the reminder."""
        if self.status == "pending":
            return "invite"
        return "followup" if self.notice_status == "pending" else "reminder"


@dataclass(frozen=True)
class Update:
    """The delivery row after this round, and what it counts as (``result``)."""

    invitation_id: str
    result: str
    """``sent``, ``reminded``, ``given_up``, ``qr_only``, ``not_needed`` or ``later``."""
    kind: str
    channel: str
    status: str
    reminder_status: str | None
    next_attempt_at: datetime | None
    attempts_added: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    reminder_due_at: datetime | None = None
    reminder_sent_at: datetime | None = None
    notice_status: str | None = None
    notice_sent_at: datetime | None = None
    message_id: str | None = None
    """The message handed to its channel this round (sent or given up), if one was."""


def _base(due: Due, result: str) -> Update:
    return Update(
        invitation_id=due.invitation_id,
        result=result,
        kind=due.kind,
        channel=due.channel,
        status=due.status,
        reminder_status=due.reminder_status,
        next_attempt_at=None,
        notice_status=due.notice_status,
    )


def before_sending(due: Due, now: datetime, quiet: QuietHours | None) -> Update | None:
    """None when the message should go now; otherwise what to write instead."""
    if due.kind == "followup":
        # Sent to a citizen who rated (and so used the link), whatever its expiry: they
        # are told what was done, and may rate how it was handled.
        allowed = next_allowed(quiet, now)
        if allowed > now:
            return replace(_base(due, "later"), next_attempt_at=allowed, last_error=None)
        return None
    if due.used_at is not None:
        # Already rated (the slip's QR code, a kiosk): no invitation to send.
        if due.kind == "invite":
            update = replace(_base(due, "qr_only"), status="qr_only")
            # A follow-up closed before the invitation went out: its notice comes next.
            pending = due.notice_status == "pending"
            return replace(update, next_attempt_at=now) if pending else update
        return replace(_base(due, "not_needed"), reminder_status="not_needed")
    if now >= due.expires_at:
        if due.kind == "invite":
            return replace(
                _base(due, "given_up"),
                status="given_up",
                last_error="the invitation expired before it could be sent",
            )
        return replace(_base(due, "not_needed"), reminder_status="not_needed")
    allowed = next_allowed(quiet, now)
    if allowed > now:
        return replace(_base(due, "later"), next_attempt_at=allowed, last_error=None)
    return None


def after_sent(
    due: Due, now: datetime, attempts: int, *, reminder_after: timedelta, quiet: QuietHours | None
) -> Update:
    """Sent: an invitation plans its one reminder (outside quiet hours, before expiry)."""
    if due.kind == "followup":
        return replace(
            _base(due, "notified"),
            attempts_added=attempts,
            notice_status="sent",
            notice_sent_at=now,
        )
    if due.kind == "invite":
        reminder_at = next_allowed(quiet, now + reminder_after)
        reminder_status = None if reminder_at < due.expires_at else "not_needed"
        return replace(
            _base(due, "sent"),
            status="sent",
            attempts_added=attempts,
            sent_at=now,
            reminder_due_at=reminder_at,
            reminder_status=reminder_status,
            next_attempt_at=reminder_at if reminder_status is None else None,
        )
    return replace(
        _base(due, "reminded"),
        attempts_added=attempts,
        reminder_status="sent",
        reminder_sent_at=now,
    )


def after_failure(due: Due, attempts: int, error: str) -> Update:
    """Given up: visible with its last error (an officer sees it on the messages page)."""
    update = replace(_base(due, "given_up"), attempts_added=attempts, last_error=error)
    if due.kind == "invite":
        return replace(update, status="given_up")
    if due.kind == "followup":
        return replace(update, notice_status="given_up")
    return replace(update, reminder_status="given_up")


def without_contact(due: Due) -> Update:
    """Intake knows no phone number or address for the channel: the QR code remains."""
    if due.kind == "followup":
        return replace(_base(due, "not_needed"), notice_status="not_needed")
    if due.kind == "invite":
        return replace(_base(due, "qr_only"), status="qr_only")
    return replace(_base(due, "not_needed"), reminder_status="not_needed")


def try_later(due: Due, now: datetime, wait: timedelta, error: str) -> Update:
    """Intake could not be asked: not the message's fault, so no try is counted."""
    return replace(_base(due, "later"), next_attempt_at=now + wait, last_error=error)
