"""Ratings' sender: the shared sender loop (``motcua.delivery.SenderLoop``) over ratings'
own table, ``invitation_deliveries``. Each due delivery asks intake how to reach the
citizen and goes to its channel, retried as ``motcua.delivery.RetryPolicy`` says; what
happens next (reminder, follow-up notice, giving up) is ``plan``'s.

Deliveries are claimed with ``FOR UPDATE SKIP LOCKED`` and a lease (``next_attempt_at``
moved ahead), so several processes share the work and a crashed sender's deliveries are
picked up again once the lease runs out — a message may then go twice, never zero times.

The token comes out of its seal only here, for the link; the contact only lives in this
function's variables while the channel sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from motcua.db import recordset
from motcua.delivery import (
    Channel,
    ContactDirectory,
    IntakeUnavailable,
    Message,
    QuietHours,
    RecordedRow,
    RetryPolicy,
    SenderLoop,
    SmsAlphabet,
    send_with_retries,
    utc_now,
)
from services.ratings.delivery.messages import compose
from services.ratings.delivery.plan import (
    Due,
    Update,
    after_failure,
    after_sent,
    before_sending,
    try_later,
    without_contact,
)
from services.ratings.invitations.sealing import SealBroken, TokenSeal
from services.ratings.invitations.tokens import short_link
from services.ratings.metrics import (
    DELIVERY_ATTEMPTS,
    FOLLOWUP_NOTICES,
    INVITATIONS_FAILED,
    INVITATIONS_REMINDED,
    INVITATIONS_SENT,
)

_log = logging.getLogger("motcua.ratings.delivery")

_CLAIM = """
WITH due AS (
    SELECT invitation_id FROM invitation_deliveries
    WHERE next_attempt_at <= %(now)s
    ORDER BY next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE invitation_deliveries d SET next_attempt_at = %(lease)s
FROM due, rating_invitations i
WHERE d.invitation_id = due.invitation_id AND i.id = d.invitation_id
RETURNING d.invitation_id, d.status, d.reminder_status, d.attempts, d.token_sealed,
          d.notice_status, i.dossier_code, i.outcome, i.channel, i.expires_at, i.used_at
"""

# A round's outcomes in one statement (motcua.db.recordset), a row per claimed delivery.
_UPDATE = """
UPDATE invitation_deliveries d SET
    status = u.status, reminder_status = u.reminder_status,
    next_attempt_at = u.next_attempt_at, attempts = d.attempts + u.attempts_added,
    last_error = u.last_error, sent_at = COALESCE(u.sent_at, d.sent_at),
    reminder_due_at = COALESCE(u.reminder_due_at, d.reminder_due_at),
    reminder_sent_at = COALESCE(u.reminder_sent_at, d.reminder_sent_at),
    notice_status = u.notice_status,
    notice_sent_at = COALESCE(u.notice_sent_at, d.notice_sent_at), updated_at = now()
FROM jsonb_to_recordset(%s) AS u(invitation_id uuid, status text, reminder_status text,
    next_attempt_at timestamptz, attempts_added integer, last_error text,
    sent_at timestamptz, reminder_due_at timestamptz, reminder_sent_at timestamptz,
    notice_status text, notice_sent_at timestamptz)
WHERE d.invitation_id = u.invitation_id
"""

_FORGET_TOKENS = """
UPDATE invitation_deliveries d SET token_sealed = NULL
FROM rating_invitations i
WHERE i.id = d.invitation_id AND d.token_sealed IS NOT NULL
  AND (i.used_at IS NOT NULL OR i.expires_at <= %s)
  AND d.notice_status IS DISTINCT FROM 'pending'
  AND NOT EXISTS (SELECT 1 FROM ratings r JOIN rating_followups f ON f.rating_id = r.id
                  WHERE r.invitation_id = i.id AND f.closed_at IS NULL)
"""


_RECORD_MESSAGES = """
INSERT INTO recorded_messages (invitation_id, message_id, channel, kind, destination_masked,
    subject, link, body)
SELECT q.invitation_id, q.id, m.channel, m.kind, m.destination_masked, m.subject, m.link, m.body
FROM jsonb_to_recordset(%s) AS m(reference uuid, channel text, kind text,
    destination_masked text, subject text, link text, body text)
JOIN invitation_messages q ON q.id = m.reference
"""

# Queued just before the channel takes it, so a receipt faster than the round's record
# finds it; taken again as it is if the message goes twice.
_QUEUE_MESSAGE = """
INSERT INTO invitation_messages (id, invitation_id, kind, channel)
VALUES (%s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING
"""

# Sent or given up, unless a receipt got there first: a receipt's state is never
# overwritten (motcua.delivery.judge applied it to the queued message).
_MESSAGE_OUTCOMES = """
UPDATE invitation_messages q SET
    state = CASE WHEN q.state <> 'queued' THEN q.state
                 WHEN u.sent THEN 'sent' ELSE 'failed_permanent' END,
    reason = CASE WHEN q.state = 'queued' AND NOT u.sent THEN u.reason ELSE q.reason END,
    sent_at = CASE WHEN u.sent THEN COALESCE(q.sent_at, u.at) ELSE q.sent_at END,
    failed_at = CASE WHEN q.state = 'queued' AND NOT u.sent THEN u.at ELSE q.failed_at END
FROM jsonb_to_recordset(%s) AS u(id uuid, sent boolean, reason text, at timestamptz)
WHERE q.id = u.id
"""


def _due(row: Mapping[str, Any]) -> Due:
    return Due(
        invitation_id=str(row["invitation_id"]),
        dossier_code=row["dossier_code"],
        outcome=row["outcome"],
        channel=row["channel"],
        status=row["status"],
        reminder_status=row["reminder_status"],
        attempts=row["attempts"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        token_sealed=row["token_sealed"],
        notice_status=row["notice_status"],
    )


def _row(update: Update) -> dict[str, object]:
    return {
        "invitation_id": update.invitation_id,
        "status": update.status,
        "reminder_status": update.reminder_status,
        "next_attempt_at": update.next_attempt_at,
        "attempts_added": update.attempts_added,
        "last_error": update.last_error,
        "sent_at": update.sent_at,
        "reminder_due_at": update.reminder_due_at,
        "reminder_sent_at": update.reminder_sent_at,
        "notice_status": update.notice_status,
        "notice_sent_at": update.notice_sent_at,
    }


def _message_outcome(update: Update) -> dict[str, object]:
    sent = update.result != "given_up"
    return {
        "id": update.message_id,
        "sent": sent,
        "reason": None if sent else update.last_error,
        "at": update.sent_at or update.reminder_sent_at or update.notice_sent_at or utc_now(),
    }


def _count(update: Update) -> None:
    if update.result == "sent":
        INVITATIONS_SENT.labels(update.channel).inc()
    elif update.result == "reminded":
        INVITATIONS_REMINDED.labels(update.channel).inc()
    elif update.result == "notified":
        FOLLOWUP_NOTICES.labels(update.channel).inc()
    elif update.result == "given_up":
        INVITATIONS_FAILED.labels(update.channel, update.kind).inc()
        _log.warning(
            "invitation given up",
            extra={"invitation_id": update.invitation_id, "error": update.last_error},
        )


class InvitationDeliveries:
    """``invitation_deliveries`` as the shared sender loop's store."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def open(self) -> None:
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[Due]:
        async with (
            self.pool.connection() as conn,
            conn.cursor(row_factory=dict_row) as cursor,
        ):
            await cursor.execute(_CLAIM, {"now": now, "limit": limit, "lease": lease_until})
            rows = await cursor.fetchall()
        return [_due(row) for row in rows]

    async def record(self, outcomes: Sequence[Update], recorded: Sequence[RecordedRow]) -> None:
        """The round's outcomes, and what the recording channels kept, in one transaction."""
        rows = [_row(update) for update in outcomes]
        messages = [_message_outcome(u) for u in outcomes if u.message_id is not None]
        async with self.pool.connection() as conn, conn.transaction():
            if recorded:
                await conn.execute(_RECORD_MESSAGES, (recordset(recorded),))
            if messages:
                await conn.execute(_MESSAGE_OUTCOMES, (recordset(messages),))
            if rows:
                await conn.execute(_UPDATE, (recordset(rows),))
        for update in outcomes:
            _count(update)

    async def queue(self, message: Message, invitation_id: str) -> None:
        """The message, queued before its channel takes it (its receipt may come first)."""
        async with self.pool.connection() as conn:
            await conn.execute(
                _QUEUE_MESSAGE, (message.reference, invitation_id, message.kind, message.channel)
            )

    async def sweep(self, now: datetime) -> None:
        """Unseal nothing more for invitations used or expired: drop their sealed tokens
        (kept while a follow-up of the answer is open, until its notice went out)."""
        async with self.pool.connection() as conn:
            await conn.execute(_FORGET_TOKENS, (now,))


_RETRY = RetryPolicy()


def _seen(channel: str, result: str) -> None:
    DELIVERY_ATTEMPTS.labels(channel, result).inc()


class Sender(SenderLoop[Due, Update]):
    """The rating invitations, reminders and follow-up notices going out."""

    log = _log

    def __init__(
        self,
        pool: AsyncConnectionPool,
        channels: Mapping[str, Channel],
        directory: ContactDirectory,
        seal: TokenSeal,
        *,
        public_url: str,
        quiet: QuietHours | None,
        alphabet: SmsAlphabet = "unicode",
        retry: RetryPolicy = _RETRY,
        reminder_after: timedelta = timedelta(days=3),
        batch_size: int = 200,
        concurrency: int = 100,
        lease: timedelta = timedelta(minutes=10),
        poll_s: float = 0.5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.deliveries = InvitationDeliveries(pool)
        super().__init__(
            self.deliveries,
            channels,
            directory,
            batch_size=batch_size,
            concurrency=concurrency,
            lease=lease,
            poll_s=poll_s,
            clock=clock,
        )
        self.seal = seal
        self.public_url = public_url
        self.quiet = quiet
        self.alphabet: SmsAlphabet = alphabet
        self.retry = retry
        self.reminder_after = reminder_after

    def log_extra(self, item: Due) -> dict[str, object]:
        return {"invitation_id": item.invitation_id}

    def crashed(self, item: Due, error: Exception) -> Update:
        return after_failure(item, 0, f"internal error: {type(error).__name__} (logged)")

    def _link(self, due: Due) -> str | Update:
        """The short link, out of its seal; or why there is none."""
        if due.token_sealed is None:
            return after_failure(due, 0, "the token is no longer kept")
        try:
            token = self.seal.open(due.token_sealed, due.invitation_id)
        except SealBroken as exc:
            return after_failure(due, 0, str(exc))
        return short_link(self.public_url, token)

    async def deliver(self, item: Due) -> Update:
        due, now = item, self.clock()
        early = before_sending(due, now, self.quiet)
        if early is not None:
            return early
        link = self._link(due)
        if isinstance(link, Update):
            return link
        channel = self.channels.get(due.channel)
        if channel is None:
            return after_failure(due, 0, f"no channel {due.channel} is configured")
        try:
            contact = await self.directory.contact(due.dossier_code)
        except IntakeUnavailable as exc:
            return try_later(due, now, timedelta(seconds=self.retry.max_s), str(exc))
        destination = contact.destination(due.channel)
        if not destination:
            return without_contact(due)
        message = compose(
            invitation_id=due.invitation_id,
            dossier_code=due.dossier_code,
            outcome=due.outcome,
            channel=due.channel,
            kind=due.kind,
            link=link,
            expires_at=due.expires_at,
            sender=contact,
            alphabet=self.alphabet,
        )
        await self.deliveries.queue(message, due.invitation_id)
        sent = await send_with_retries(channel, message, destination, self.retry, _seen)
        if sent.failure is not None:
            update = after_failure(due, sent.attempts, sent.failure.reason)
        else:
            update = after_sent(
                due,
                self.clock(),
                sent.attempts,
                reminder_after=self.reminder_after,
                quiet=self.quiet,
            )
        return replace(update, message_id=message.reference)
