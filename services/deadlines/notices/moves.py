"""How a notice moves in the database, for the sender and for receipts alike: staging a
letter version's first notice, reading a notice with its letter, publishing a state
change (the outbox event and the boards' reload) and the fall-back to the next channel
after a permanent failure. Each runs in its caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from motcua.delivery import DeliveryState
from motcua.kafka import Topic
from motcua.outbox import enqueue
from services.deadlines.board_changes import announce
from services.deadlines.metrics import LETTER_NOTICES
from services.deadlines.notices.events import NoticeFacts, notice_event
from services.deadlines.notices.model import FALLBACK_ORDER, POST, Due, next_channel

NOTICE_COLUMNS = """
SELECT n.id::text AS notice_id, n.letter_id, n.state, n.channel, n.channel_plan, n.created_at,
       n.sent_at, l.new_due_at, l.dossier_id::text, w.dossier_code, l.unit_code, w.unit_path,
       w.procedure_code, l.episode, l.letter_number, n.letter_version,
       coalesce(l.apology_deadline, l.original_due_at) AS apology_deadline,
       ARRAY(SELECT o.channel FROM letter_notices o
             WHERE o.letter_id = n.letter_id AND o.letter_version = n.letter_version
               AND o.id <> n.id AND o.channel IS NOT NULL) AS tried
FROM letter_notices n
JOIN apology_letters l ON l.id = n.letter_id
JOIN watched_dossiers w ON w.dossier_id = l.dossier_id
"""


def due_of(row: Mapping[str, Any]) -> Due:
    facts = NoticeFacts(
        dossier_id=row["dossier_id"],
        dossier_code=row["dossier_code"],
        unit_code=row["unit_code"],
        unit_path=tuple(row["unit_path"]),
        procedure_code=row["procedure_code"],
        episode=row["episode"],
        letter_number=row["letter_number"],
        letter_version=row["letter_version"],
        apology_deadline=row["apology_deadline"],
    )
    plan = row["channel_plan"]
    return Due(
        notice_id=row["notice_id"],
        letter_id=row["letter_id"],
        state=row["state"],
        channel=row["channel"],
        plan=None if plan is None else tuple(plan),
        tried=frozenset(row["tried"]),
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        new_due_at=row["new_due_at"],
        facts=facts,
    )


def stage_notice(letter_id: int, version: int, now: datetime, *, db_session: Connection) -> str:
    """The first notice of a letter version, queued for the sender, which fixes its
    channel from the citizen's preference at send time."""
    notice_id = str(uuid.uuid4())
    db_session.execute(
        "INSERT INTO letter_notices (id, letter_id, letter_version, state, next_attempt_at) "
        "VALUES (%s, %s, %s, 'queued', %s)",
        (notice_id, letter_id, version, now),
    )
    return notice_id


def lock_notice(
    notice_id: str, *, channel: str | None = None, db_session: Connection
) -> Due | None:
    """The notice with its letter, locked; None if there is none (of that channel)."""
    with db_session.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            NOTICE_COLUMNS + "WHERE n.id = %s AND (%s::text IS NULL OR n.channel = %s::text) "
            "FOR UPDATE OF n",
            (notice_id, channel, channel),
        ).fetchone()
    return None if row is None else due_of(row)


def publish(
    notice: Due,
    state: DeliveryState,
    at: datetime,
    *,
    reason: str | None = None,
    fallback_channel: str | None = None,
    db_session: Connection,
) -> None:
    """A state the notice reached: its event staged in the outbox when the state is new
    for the notice (the event's id is the notice's and the state's, so consumers see each
    state once), the boards of its unit told, the counter moved."""
    assert notice.channel is not None
    if notice.state != state:  # a retry failing again is no new state: no second event
        event = notice_event(
            notice.facts,
            message_id=notice.notice_id,
            channel=notice.channel,
            state=state,
            occurred_at=at,
            sent_at=notice.sent_at,
            reason=reason,
            fallback_channel=fallback_channel,
        )
        enqueue(
            event,
            topic=Topic.APOLOGY_DELIVERIES.value,
            key=notice.facts.dossier_id,
            db_session=db_session,
        )
    announce(notice.facts.unit_path, db_session=db_session)
    LETTER_NOTICES.labels(notice.channel, state.value).inc()


def fall_back(notice: Due, reason: str, at: datetime, *, db_session: Connection) -> str:
    """The notice failed for good: so marked, with the channel's reason, and the letter
    queued on the citizen's next channel (post, for the print batch, when none is left).
    Returns that channel."""
    assert notice.channel is not None
    db_session.execute(
        "UPDATE letter_notices SET state = 'failed_permanent', reason = %s, failed_at = %s, "
        "next_attempt_at = NULL, updated_at = now() WHERE id = %s",
        (reason[:500], at, notice.notice_id),
    )
    plan = notice.plan or FALLBACK_ORDER
    following = next_channel(plan, notice.tried | {notice.channel})
    db_session.execute(
        "INSERT INTO letter_notices (id, letter_id, letter_version, channel, state, "
        "channel_plan, next_attempt_at, follows_notice_id) "
        "VALUES (%s, %s, %s, %s, 'queued', %s, %s, %s) "
        "ON CONFLICT (letter_id, letter_version, channel) DO NOTHING",
        (
            str(uuid.uuid4()),
            notice.letter_id,
            notice.facts.letter_version,
            following,
            list(plan),
            None if following == POST else at,
            notice.notice_id,
        ),
    )
    if following == POST:
        LETTER_NOTICES.labels(POST, DeliveryState.QUEUED.value).inc()
    publish(
        notice,
        DeliveryState.FAILED_PERMANENT,
        at,
        reason=reason,
        fallback_channel=following,
        db_session=db_session,
    )
    return following
