"""``letter_notices`` as the shared sender loop's store (``motcua.delivery.DeliveryStore``):
claim the due notices ``FOR UPDATE SKIP LOCKED`` with a lease, fix a notice's channel and
make its link just before it goes, and write a round's outcomes with what the recording
channels kept, in one transaction.

A receipt may reach a notice between the send and this record (the provider answers
fast): the record then leaves the state the receipt set and only adds the bookkeeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from psycopg import Connection
from psycopg.rows import dict_row

from motcua.db import recordset
from motcua.delivery import DeliveryState, RecordedRow
from services.deadlines.board_changes import announce
from services.deadlines.database import Database
from services.deadlines.metrics import LETTER_NOTICES
from services.deadlines.notices.links import create_link, forget_expired
from services.deadlines.notices.model import POST, Due, Update
from services.deadlines.notices.moves import NOTICE_COLUMNS, due_of, fall_back, lock_notice, publish

_CLAIM = """
WITH due AS (
    SELECT id FROM letter_notices
    WHERE next_attempt_at <= %(now)s
    ORDER BY next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE letter_notices n SET next_attempt_at = %(lease)s
FROM due WHERE n.id = due.id
RETURNING n.id
"""

_RECORD_MESSAGES = """
INSERT INTO recorded_messages (notice_id, channel, kind, destination_masked, subject, link,
    body, attachment)
SELECT m.reference, m.channel, m.kind, m.destination_masked, m.subject, m.link, m.body,
    m.attachment
FROM jsonb_to_recordset(%s) AS m(reference uuid, channel text, kind text,
    destination_masked text, subject text, link text, body text, attachment text)
"""


def claim(now: datetime, limit: int, lease: datetime, *, db_session: Connection) -> list[Due]:
    with db_session.transaction(), db_session.cursor(row_factory=dict_row) as cursor:
        ids = [
            row["id"]
            for row in cursor.execute(_CLAIM, {"now": now, "limit": limit, "lease": lease})
        ]
        if not ids:
            return []
        rows = cursor.execute(NOTICE_COLUMNS + "WHERE n.id = ANY(%s)", (ids,)).fetchall()
    return [due_of(row) for row in rows]


def prepare(
    due: Due,
    channel: str,
    plan: tuple[str, ...],
    *,
    now: datetime,
    ttl: timedelta,
    db_session: Connection,
) -> str:
    """The notice's channel fixed (so a fast receipt finds it) and a new link's token."""
    with db_session.transaction():
        db_session.execute(
            "UPDATE letter_notices SET channel = %s, channel_plan = %s, updated_at = now() "
            "WHERE id = %s",
            (channel, list(plan), due.notice_id),
        )
        return create_link(
            due.letter_id, due.facts.letter_version, now=now, ttl=ttl, db_session=db_session
        )


def letter_pdf(letter_id: int, version: int, *, db_session: Connection) -> bytes:
    row = db_session.execute(
        "SELECT pdf FROM apology_letter_versions WHERE letter_id = %s AND version = %s",
        (letter_id, version),
    ).fetchone()
    assert row is not None, "a notice's letter version is kept while the notice is"
    return bytes(row[0])


def _bookkeeping(update: Update, *, db_session: Connection) -> None:
    """Tries counted and nothing more to send; the state is the receipt's."""
    db_session.execute(
        "UPDATE letter_notices SET attempts = attempts + %s, next_attempt_at = NULL, "
        "sent_at = CASE WHEN %s THEN coalesce(sent_at, %s) ELSE sent_at END, "
        "updated_at = now() WHERE id = %s",
        (update.attempts_added, update.result == "sent", update.at, update.notice_id),
    )


def _to_print(notice: Due, update: Update, *, db_session: Connection) -> None:
    db_session.execute(
        "UPDATE letter_notices SET channel = %s, channel_plan = %s, next_attempt_at = NULL, "
        "updated_at = now() WHERE id = %s",
        (POST, list(update.plan or (POST,)), notice.notice_id),
    )
    announce(notice.facts.unit_path, db_session=db_session)
    LETTER_NOTICES.labels(POST, DeliveryState.QUEUED.value).inc()


def _sent(notice: Due, update: Update, *, db_session: Connection) -> None:
    db_session.execute(
        "UPDATE letter_notices SET state = 'sent', sent_at = %s, reason = NULL, "
        "attempts = attempts + %s, next_attempt_at = NULL, updated_at = now() WHERE id = %s",
        (update.at, update.attempts_added, notice.notice_id),
    )
    sent = replace(notice, sent_at=update.at)
    publish(sent, DeliveryState.SENT, update.at, db_session=db_session)


def _failed_for_now(notice: Due, update: Update, *, db_session: Connection) -> None:
    db_session.execute(
        "UPDATE letter_notices SET state = 'failed_temporary', reason = %s, failed_at = %s, "
        "attempts = attempts + %s, next_attempt_at = %s, updated_at = now() WHERE id = %s",
        (update.reason, update.at, update.attempts_added, update.next_attempt_at, notice.notice_id),
    )
    publish(
        notice,
        DeliveryState.FAILED_TEMPORARY,
        update.at,
        reason=update.reason,
        db_session=db_session,
    )


def record_outcome(update: Update, *, db_session: Connection) -> None:
    """One notice's outcome, in the caller's transaction."""
    notice = lock_notice(update.notice_id, db_session=db_session)
    if notice is None:
        return
    if update.result == "later":
        db_session.execute(
            "UPDATE letter_notices SET next_attempt_at = %s, updated_at = now() WHERE id = %s",
            (update.next_attempt_at, notice.notice_id),
        )
    elif update.result == "to_print":
        _to_print(notice, update, db_session=db_session)
    elif notice.state != update.claimed_state:
        _bookkeeping(update, db_session=db_session)
    elif update.result == "sent":
        _sent(notice, update, db_session=db_session)
    elif update.result == "failed_temporary":
        _failed_for_now(notice, update, db_session=db_session)
    else:
        db_session.execute(
            "UPDATE letter_notices SET attempts = attempts + %s, "
            "channel = coalesce(channel, %s) WHERE id = %s",
            (update.attempts_added, update.channel, notice.notice_id),
        )
        notice = replace(notice, channel=notice.channel or update.channel)
        fall_back(notice, update.reason or "failed", update.at, db_session=db_session)


def record_round(
    outcomes: Sequence[Update], recorded: Sequence[RecordedRow], *, db_session: Connection
) -> None:
    with db_session.transaction():
        if recorded:
            db_session.execute(_RECORD_MESSAGES, (recordset(recorded),))
        for update in outcomes:
            record_outcome(update, db_session=db_session)


class LetterNotices:
    """The store the sender loop runs over, on deadlines' database (in worker threads)."""

    def __init__(self, db: Database, *, link_ttl: timedelta) -> None:
        self.db = db
        self.link_ttl = link_ttl

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        self.db.close()

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[Due]:
        return await self.db.run(claim, now, limit, lease_until)

    async def prepare(self, due: Due, channel: str, plan: tuple[str, ...], now: datetime) -> str:
        return await self.db.run(prepare, due, channel, plan, now=now, ttl=self.link_ttl)

    async def pdf(self, due: Due) -> bytes:
        return await self.db.run(letter_pdf, due.letter_id, due.facts.letter_version)

    async def record(self, outcomes: Sequence[Update], recorded: Sequence[RecordedRow]) -> None:
        await self.db.run(record_round, outcomes, recorded)

    async def sweep(self, now: datetime) -> None:
        await self.db.run(forget_expired, now)
