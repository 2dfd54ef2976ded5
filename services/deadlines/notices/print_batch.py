"""The print batch: the letters of citizens reached by post, gathered once a day by an
officer, printed (address labels from intake at print time, then each letter) and marked
posted.

A ``post`` notice waits ``queued`` with no batch. Creating a batch takes every waiting
notice of the officer's subtree; marking it posted (once: a second time changes nothing)
moves each notice to ``posted`` with ``sent_at`` the posting time, or to
``failed_permanent`` when intake had no address for the citizen (nothing was printed for
them), and publishes each move as the sender does (its event in deadlines' outbox, the
boards told), in one transaction. A batch belongs to a subtree when every letter in it
does; any other officer gets "not found".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from motcua.delivery import DeliveryState
from services.deadlines.notices.moves import lock_notice, publish
from services.deadlines.officers import Officer

NO_ADDRESS = "không có địa chỉ của công dân trên hồ sơ"
"""The reason a post notice fails for good: there was nowhere to send the letter."""


class BatchNotFound(LookupError):
    """No such batch in this officer's subtree."""


@dataclass(frozen=True)
class PostLetter:
    """A letter version to post: its notice and what the page and the label show."""

    notice_id: str
    state: str
    letter_version: int
    letter_number: str
    dossier_code: str
    unit_code: str
    queued_at: datetime


@dataclass(frozen=True)
class BatchSummary:
    id: int
    created_by: str
    created_at: datetime
    posted_by: str | None
    posted_at: datetime | None
    letters: int
    created_name: str
    """The display name of ``created_by`` (a login), as the pages show it."""
    posted_name: str | None


@dataclass(frozen=True)
class PrintBatch:
    summary: BatchSummary
    letters: list[PostLetter]


_LETTER_COLUMNS = (
    "n.id::text AS notice_id, n.state, n.letter_version, l.letter_number, w.dossier_code, "
    "l.unit_code, n.created_at AS queued_at"
)
_LETTER_FROM = (
    "FROM letter_notices n JOIN apology_letters l ON l.id = n.letter_id "
    "JOIN watched_dossiers w ON w.dossier_id = l.dossier_id"
)
_WAITING = "n.channel = 'post' AND n.state = 'queued' AND n.print_batch_id IS NULL"
_IN_SUBTREE = "w.unit_path && %(scope)s::text[]"
_VISIBLE = (
    "EXISTS (SELECT 1 FROM letter_notices bn WHERE bn.print_batch_id = b.id) "
    "AND NOT EXISTS (SELECT 1 FROM letter_notices bn JOIN apology_letters bl "
    "  ON bl.id = bn.letter_id JOIN watched_dossiers bw ON bw.dossier_id = bl.dossier_id "
    "  WHERE bn.print_batch_id = b.id AND NOT bw.unit_path && %(scope)s::text[])"
)
"""Every letter of the batch lies in the officer's subtree."""
_SUMMARY = (
    "SELECT b.id, b.created_by, b.created_at, b.posted_by, b.posted_at, "
    "(SELECT count(*) FROM letter_notices c WHERE c.print_batch_id = b.id) AS letters, "
    "coalesce((SELECT o.display_name FROM officers o WHERE o.username = b.created_by), "
    "  b.created_by) AS created_name, "
    "coalesce((SELECT o.display_name FROM officers o WHERE o.username = b.posted_by), "
    "  b.posted_by) AS posted_name "
    "FROM letter_print_batches b"
)


def _letters(rows: list[dict[str, Any]]) -> list[PostLetter]:
    return [PostLetter(**row) for row in rows]


def letters_to_post(officer: Officer, *, db_session: Connection) -> list[PostLetter]:
    """The officer's subtree's letters waiting for a print batch, oldest first."""
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"SELECT {_LETTER_COLUMNS} {_LETTER_FROM} WHERE {_WAITING} AND {_IN_SUBTREE} "
            "ORDER BY n.created_at, n.id",
            {"scope": officer.scope},
        ).fetchall()
    return _letters(rows)


def recent_batches(
    officer: Officer, *, db_session: Connection, limit: int = 20
) -> list[BatchSummary]:
    """The subtree's latest batches, newest first."""
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"{_SUMMARY} WHERE {_VISIBLE} ORDER BY b.created_at DESC, b.id DESC LIMIT %(limit)s",
            {"scope": officer.scope, "limit": limit},
        ).fetchall()
    return [BatchSummary(**row) for row in rows]


def create_batch(officer: Officer, *, db_session: Connection) -> int | None:
    """A new batch of every letter of the subtree waiting to be posted; None when none
    waits. Two officers creating one at once never share a letter: the second's UPDATE
    re-reads each row it waited for and skips those the first took."""
    with db_session.transaction():
        created = db_session.execute(
            "INSERT INTO letter_print_batches (unit_code, created_by) VALUES (%s, %s) RETURNING id",
            (officer.unit_code, officer.username),
        ).fetchone()
        assert created is not None
        batch_id = int(created[0])
        taken = db_session.execute(
            "UPDATE letter_notices n SET print_batch_id = %(batch)s, updated_at = now() "
            "FROM apology_letters l JOIN watched_dossiers w ON w.dossier_id = l.dossier_id "
            f"WHERE l.id = n.letter_id AND {_WAITING} AND {_IN_SUBTREE}",
            {"batch": batch_id, "scope": officer.scope},
        ).rowcount
        if taken == 0:
            db_session.execute("DELETE FROM letter_print_batches WHERE id = %s", (batch_id,))
            return None
    return batch_id


def print_batch(officer: Officer, batch_id: int, *, db_session: Connection) -> PrintBatch:
    """The batch and its letters (by dossier code), if it lies in the officer's subtree."""
    with db_session.cursor(row_factory=dict_row) as cur:
        summary = cur.execute(
            f"{_SUMMARY} WHERE b.id = %(id)s AND {_VISIBLE}",
            {"id": batch_id, "scope": officer.scope},
        ).fetchone()
        if summary is None:
            raise BatchNotFound(batch_id)
        rows = cur.execute(
            f"SELECT {_LETTER_COLUMNS} {_LETTER_FROM} WHERE n.print_batch_id = %s "
            "ORDER BY w.dossier_code, n.id",
            (batch_id,),
        ).fetchall()
    return PrintBatch(BatchSummary(**summary), _letters(rows))


def letter_pdfs(
    officer: Officer, batch_id: int, *, db_session: Connection
) -> list[tuple[PostLetter, bytes]]:
    """Each letter of the batch with the PDF of its version, as issued."""
    batch = print_batch(officer, batch_id, db_session=db_session)
    rows = db_session.execute(
        "SELECT n.id::text, v.pdf FROM letter_notices n JOIN apology_letter_versions v "
        "ON v.letter_id = n.letter_id AND v.version = n.letter_version "
        "WHERE n.print_batch_id = %s",
        (batch_id,),
    ).fetchall()
    pdfs = {notice_id: bytes(pdf) for notice_id, pdf in rows}
    return [(letter, pdfs[letter.notice_id]) for letter in batch.letters]


def _post_one(
    notice_id: str, *, addressed: bool, posted_at: datetime, db_session: Connection
) -> None:
    """One queued notice posted (or failed for want of an address) and published as every
    notice's move is (:func:`moves.publish`); nothing for a notice no longer queued."""
    notice = lock_notice(notice_id, channel="post", db_session=db_session)
    if notice is None or notice.state != DeliveryState.QUEUED:
        return
    state = DeliveryState.POSTED if addressed else DeliveryState.FAILED_PERMANENT
    db_session.execute(
        "UPDATE letter_notices SET state = %(state)s, next_attempt_at = NULL, "
        "sent_at = CASE WHEN %(posted)s THEN %(at)s ELSE sent_at END, "
        "failed_at = CASE WHEN %(posted)s THEN failed_at ELSE %(at)s END, "
        "reason = CASE WHEN %(posted)s THEN reason ELSE %(reason)s END, updated_at = now() "
        "WHERE id = %(id)s",
        {
            "state": state.value,
            "posted": addressed,
            "at": posted_at,
            "reason": NO_ADDRESS,
            "id": notice_id,
        },
    )
    publish(
        replace(notice, sent_at=posted_at if addressed else None),
        state,
        posted_at,
        reason=None if addressed else NO_ADDRESS,
        db_session=db_session,
    )


def mark_posted(
    officer: Officer,
    batch_id: int,
    *,
    unaddressed: Collection[str],
    posted_at: datetime,
    db_session: Connection,
) -> bool:
    """The batch went to the post office: its queued notices are posted, except those of
    ``unaddressed`` (notice ids: intake had no address, nothing was printed), which fail
    for good. False when the batch was already marked (nothing changes)."""
    with db_session.transaction():
        locked = db_session.execute(
            f"SELECT b.posted_at FROM letter_print_batches b WHERE b.id = %(id)s AND {_VISIBLE} "
            "FOR UPDATE OF b",
            {"id": batch_id, "scope": officer.scope},
        ).fetchone()
        if locked is None:
            raise BatchNotFound(batch_id)
        if locked[0] is not None:
            return False
        db_session.execute(
            "UPDATE letter_print_batches SET posted_by = %s, posted_at = %s WHERE id = %s",
            (officer.username, posted_at, batch_id),
        )
        batch = print_batch(officer, batch_id, db_session=db_session)
        for letter in batch.letters:
            addressed = letter.notice_id not in unaddressed
            _post_one(
                letter.notice_id, addressed=addressed, posted_at=posted_at, db_session=db_session
            )
    return True
