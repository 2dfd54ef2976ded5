"""The sender: picks the deliveries that are due, asks intake how to reach the citizen,
and hands each message to its channel, retrying with capped exponential backoff and
jitter (tenacity).

It runs in a thread of the ratings process with its own event loop, so hundreds of
messages can be in flight without slowing the pages. Deliveries are claimed with
``FOR UPDATE SKIP LOCKED`` and a lease (``next_attempt_at`` moved ahead), so several
processes share the work and a crashed sender's deliveries are picked up again once the
lease runs out — a message may then go twice, never zero times.

The token comes out of its seal only here, for the link; the contact only lives in this
function's variables while the channel sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from motcua.db import recordset
from services.ratings.delivery.channels import (
    RECORD_MESSAGES,
    Channel,
    RecordingChannel,
    SendFailed,
    TransientSendError,
)
from services.ratings.delivery.contacts import ContactDirectory, IntakeUnavailable
from services.ratings.delivery.messages import Message, compose
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
from services.ratings.quiet_hours import QuietHours

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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Sender:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        channels: Mapping[str, Channel],
        directory: ContactDirectory,
        seal: TokenSeal,
        *,
        public_url: str,
        quiet: QuietHours | None,
        max_attempts: int = 5,
        retry_initial_s: float = 2.0,
        retry_max_s: float = 60.0,
        reminder_after: timedelta = timedelta(days=3),
        batch_size: int = 200,
        concurrency: int = 100,
        lease: timedelta = timedelta(minutes=10),
        poll_s: float = 0.5,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.pool = pool
        self.channels = channels
        self.directory = directory
        self.seal = seal
        self.public_url = public_url
        self.quiet = quiet
        self.max_attempts = max_attempts
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.reminder_after = reminder_after
        self.batch_size = batch_size
        self.lease = lease
        self.poll_s = poll_s
        self.clock = clock
        self._slots = asyncio.Semaphore(concurrency)

    def run(self, stop: threading.Event) -> None:
        """The thread's body: its own event loop until ``stop``."""
        asyncio.run(self.run_async(stop))

    async def run_async(self, stop: threading.Event, *, grace_s: float = 5.0) -> None:
        """Rounds until ``stop``; the round in progress gets ``grace_s`` to finish (what it
        holds stays leased and is taken again later if it cannot)."""
        await self.pool.open(wait=False)
        rounds = asyncio.create_task(self._rounds(stop))
        try:
            while not rounds.done() and not stop.is_set():
                await asyncio.wait({rounds}, timeout=0.2)
            await asyncio.wait({rounds}, timeout=grace_s)
        finally:
            rounds.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await rounds
            for channel in self.channels.values():
                await channel.close()
            close = getattr(self.directory, "close", None)
            if close is not None:
                await close()
            await self.pool.close()

    async def _rounds(self, stop: threading.Event) -> None:
        last_sweep = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                done = await self.round()
                if loop.time() - last_sweep > 60:
                    await self.forget_tokens()
                    last_sweep = loop.time()
            except Exception:
                _log.exception("delivery round failed")
                done = 0
            if done < self.batch_size:
                await asyncio.sleep(self.poll_s)

    async def round(self) -> int:
        """One batch: claim, deliver concurrently, write the outcomes. Returns how many."""
        for channel in self.channels.values():
            if isinstance(channel, RecordingChannel):
                channel.take()  # a failed round's messages: their deliveries go again
        claimed = await self.claim()
        if not claimed:
            return 0
        updates = await asyncio.gather(*(self._guarded(due) for due in claimed))
        await self.record(updates)
        return len(claimed)

    async def claim(self) -> list[Due]:
        now = self.clock()
        async with (
            self.pool.connection() as conn,
            conn.cursor(row_factory=dict_row) as cursor,
        ):
            await cursor.execute(
                _CLAIM, {"now": now, "limit": self.batch_size, "lease": now + self.lease}
            )
            rows = await cursor.fetchall()
        return [
            Due(
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
            for row in rows
        ]

    async def _guarded(self, due: Due) -> Update:
        async with self._slots:
            try:
                return await self.deliver(due)
            except Exception as exc:
                _log.exception("delivery failed", extra={"invitation_id": due.invitation_id})
                return after_failure(due, 0, f"internal error: {type(exc).__name__} (logged)")

    async def deliver(self, due: Due) -> Update:
        now = self.clock()
        early = before_sending(due, now, self.quiet)
        if early is not None:
            return early
        if due.token_sealed is None:
            return after_failure(due, 0, "the token is no longer kept")
        try:
            token = self.seal.open(due.token_sealed, due.invitation_id)
        except SealBroken as exc:
            return after_failure(due, 0, str(exc))
        channel = self.channels.get(due.channel)
        if channel is None:
            return after_failure(due, 0, f"no channel {due.channel} is configured")
        try:
            contact = await self.directory.contact(due.dossier_code)
        except IntakeUnavailable as exc:
            return try_later(due, now, timedelta(seconds=self.retry_max_s), str(exc))
        destination = contact.destination(due.channel)
        if not destination:
            return without_contact(due)
        message = compose(
            invitation_id=due.invitation_id,
            dossier_code=due.dossier_code,
            outcome=due.outcome,
            channel=due.channel,
            kind=due.kind,
            link=short_link(self.public_url, token),
            expires_at=due.expires_at,
        )
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.max_attempts),
                wait=wait_exponential_jitter(
                    multiplier=self.retry_initial_s,
                    max=self.retry_max_s,
                    jitter=self.retry_initial_s,
                ),
                retry=retry_if_exception_type(TransientSendError),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    await self._try(channel, message, destination)
        except SendFailed as exc:
            return after_failure(due, attempts, exc.reason)
        return after_sent(
            due, self.clock(), attempts, reminder_after=self.reminder_after, quiet=self.quiet
        )

    @staticmethod
    async def _try(channel: Channel, message: Message, destination: str) -> None:
        try:
            await channel.send(message, destination)
        except TransientSendError:
            DELIVERY_ATTEMPTS.labels(channel.name, "transient").inc()
            raise
        except SendFailed:
            DELIVERY_ATTEMPTS.labels(channel.name, "permanent").inc()
            raise
        DELIVERY_ATTEMPTS.labels(channel.name, "ok").inc()

    async def record(self, updates: Sequence[Update]) -> None:
        """The round's outcomes, and what the recording channels kept, in one transaction."""
        recorded = [
            row
            for channel in self.channels.values()
            if isinstance(channel, RecordingChannel)
            for row in channel.take()
        ]
        rows = [
            {
                "invitation_id": u.invitation_id,
                "status": u.status,
                "reminder_status": u.reminder_status,
                "next_attempt_at": u.next_attempt_at,
                "attempts_added": u.attempts_added,
                "last_error": u.last_error,
                "sent_at": u.sent_at,
                "reminder_due_at": u.reminder_due_at,
                "reminder_sent_at": u.reminder_sent_at,
                "notice_status": u.notice_status,
                "notice_sent_at": u.notice_sent_at,
            }
            for u in updates
        ]
        async with self.pool.connection() as conn, conn.transaction():
            if recorded:
                await conn.execute(RECORD_MESSAGES, (recordset(recorded),))
            if rows:
                await conn.execute(_UPDATE, (recordset(rows),))
        for update in updates:
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

    async def forget_tokens(self) -> int:
        """Unseal nothing more for invitations used or expired: drop their sealed tokens
        (kept while a follow-up of the answer is open, until its notice went out)."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(_FORGET_TOKENS, (self.clock(),))
            return cursor.rowcount
