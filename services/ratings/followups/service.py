"""Follow-ups of unhappy answers: opened with the answer, listed for the subtree, closed by
the unit's head with what was done, then rated by the citizen if they wish.

Every change and its event commit together (the outbox), in the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from motcua.calendar import WorkingCalendar
from motcua.contracts import EventType, format_instant
from services.ratings.criteria import Level
from services.ratings.events import publish
from services.ratings.followups.rules import (
    EVERY_OPEN,
    FollowupFilter,
    Standing,
    due_window,
    response_due,
    standing,
)
from services.ratings.models import INVITATION_COLUMNS, Invitation, invitation_from_row


class FollowupError(Exception):
    """Why a follow-up was not changed; nothing was written."""


class FollowupNotFound(FollowupError):
    """None of that id in the officer's subtree (404)."""


class FollowupClosed(FollowupError):
    """Closed already (409): closing is once."""


@dataclass(frozen=True)
class Followup:
    id: UUID
    rating_id: UUID
    dossier_code: str
    unit_code: str
    procedure_code: str
    reasons: tuple[str, ...]
    opened_at: datetime
    due_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    """The login of the head who closed it."""
    closed_by_name: str | None
    """Their display name; None before it was recorded (the page shows the login then)."""
    action_taken: str | None
    handling_level: int | None
    comment: str | None
    channel: str
    standing: Standing


def _publish(event_type: EventType, data: dict[str, Any], at: datetime, db: Connection) -> None:
    publish(event_type, data, at=at, db_session=db)


def open_followup(
    rating_id: UUID,
    invitation: Invitation,
    reasons: tuple[str, ...],
    *,
    now: datetime,
    calendar: WorkingCalendar,
    db_session: Connection,
) -> UUID:
    followup_id = uuid.uuid4()
    due_at = response_due(now, calendar)
    db_session.execute(
        "INSERT INTO rating_followups (id, rating_id, dossier_id, dossier_code, unit_code, "
        "unit_path, reasons, opened_at, due_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            followup_id,
            rating_id,
            invitation.dossier_id,
            invitation.dossier_code,
            invitation.unit_code,
            list(invitation.unit_path),
            list(reasons),
            now,
            due_at,
        ),
    )
    data = {
        "followup_id": str(followup_id),
        "rating_id": str(rating_id),
        "dossier_id": str(invitation.dossier_id),
        "dossier_code": invitation.dossier_code,
        "unit_code": invitation.unit_code,
        "unit_path": list(invitation.unit_path),
        "reasons": list(reasons),
        "opened_at": format_instant(now),
        "due_at": format_instant(due_at),
    }
    _publish(EventType.RATING_FOLLOWUP_OPENED, data, now, db_session)
    return followup_id


_SELECT = (
    "SELECT f.id, f.rating_id, f.dossier_code, f.unit_code, r.procedure_code, f.reasons, "
    "f.opened_at, f.due_at, f.closed_at, f.closed_by, f.action_taken, f.handling_level, "
    "r.comment, r.channel, f.closed_by_name "
    "FROM rating_followups f JOIN ratings r ON r.id = f.rating_id "
)


def _followup(row: tuple[Any, ...], now: datetime, calendar: WorkingCalendar) -> Followup:
    return Followup(
        id=row[0],
        rating_id=row[1],
        dossier_code=row[2],
        unit_code=row[3],
        procedure_code=row[4],
        reasons=tuple(row[5]),
        opened_at=row[6],
        due_at=row[7],
        closed_at=row[8],
        closed_by=row[9],
        closed_by_name=row[14],
        action_taken=row[10],
        handling_level=row[11],
        comment=row[12],
        channel=row[13],
        standing=standing(row[7], row[8], now, calendar),
    )


def list_followups(
    officer_unit: str,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    narrowed: FollowupFilter = EVERY_OPEN,
    limit: int = 200,
    db_session: Connection,
) -> list[Followup]:
    """The subtree's open follow-ups, most urgent first (or the latest closed ones), as
    narrowed to a standing, a unit of the subtree and a reason."""
    closed = narrowed.closed
    where = "f.closed_at IS NOT NULL" if closed else "f.closed_at IS NULL"
    order = "f.closed_at DESC" if closed else "f.due_at, f.id"
    after, until = due_window(narrowed.state, now, calendar)
    rows = db_session.execute(
        f"{_SELECT} WHERE f.unit_path @> ARRAY[%(officer)s]::text[] AND {where} "
        "AND (%(unit)s = '' OR f.unit_path @> ARRAY[%(unit)s]::text[]) "
        "AND (%(reason)s = '' OR %(reason)s = ANY(f.reasons)) "
        "AND (%(after)s::timestamptz IS NULL OR f.due_at > %(after)s) "
        "AND (%(until)s::timestamptz IS NULL OR f.due_at <= %(until)s) "
        f"ORDER BY {order} LIMIT %(limit)s",
        {
            "officer": officer_unit,
            "unit": narrowed.unit_code,
            "reason": narrowed.reason,
            "after": after,
            "until": until,
            "limit": limit,
        },
    ).fetchall()
    return [_followup(row, now, calendar) for row in rows]


def open_tally(
    officer_unit: str,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    narrowed: FollowupFilter = EVERY_OPEN,
    db_session: Connection,
) -> dict[str, int]:
    """How many open follow-ups of the subtree (narrowed to a unit and a reason, not to a
    standing) are overdue, due soon and on time: the list's tiles."""
    bounds = {state: due_window(state, now, calendar) for state in ("overdue", "open")}
    row = db_session.execute(
        "SELECT count(*) FILTER (WHERE f.due_at <= %(now)s), "
        "count(*) FILTER (WHERE f.due_at > %(now)s AND f.due_at <= %(soon)s), "
        "count(*) FILTER (WHERE f.due_at > %(soon)s) "
        "FROM rating_followups f WHERE f.unit_path @> ARRAY[%(officer)s]::text[] "
        "AND f.closed_at IS NULL "
        "AND (%(unit)s = '' OR f.unit_path @> ARRAY[%(unit)s]::text[]) "
        "AND (%(reason)s = '' OR %(reason)s = ANY(f.reasons))",
        {
            "now": bounds["overdue"][1],
            "soon": bounds["open"][0],
            "officer": officer_unit,
            "unit": narrowed.unit_code,
            "reason": narrowed.reason,
        },
    ).fetchone()
    assert row is not None
    return {
        Standing.OVERDUE.value: int(row[0]),
        Standing.DUE_SOON.value: int(row[1]),
        Standing.OPEN.value: int(row[2]),
    }


def get_followup(
    followup_id: UUID,
    officer_unit: str,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    db_session: Connection,
    lock: bool = False,
) -> Followup:
    row = db_session.execute(
        f"{_SELECT} WHERE f.id = %s AND f.unit_path @> ARRAY[%s]::text[]"
        + (" FOR UPDATE OF f" if lock else ""),
        (followup_id, officer_unit),
    ).fetchone()
    if row is None:
        raise FollowupNotFound(str(followup_id))
    return _followup(row, now, calendar)


def close_followup(
    followup_id: UUID,
    officer_unit: str,
    closed_by: str,
    action_taken: str,
    *,
    closed_by_name: str | None = None,
    now: datetime,
    calendar: WorkingCalendar,
    db_session: Connection,
) -> Followup:
    """Close with what was done, and have the citizen told the way they asked to be
    contacted: the notice is queued on the invitation's delivery, in this transaction."""
    followup = get_followup(
        followup_id, officer_unit, now=now, calendar=calendar, db_session=db_session, lock=True
    )
    if followup.closed_at is not None:
        raise FollowupClosed(str(followup_id))
    row = db_session.execute(
        "UPDATE rating_followups f SET closed_at = %s, closed_by = %s, closed_by_name = %s, "
        "action_taken = %s "
        "FROM ratings r JOIN rating_invitations i ON i.id = r.invitation_id "
        "WHERE f.id = %s AND r.id = f.rating_id "
        "RETURNING f.dossier_id, f.unit_path, i.contact_preference, i.id",
        (now, closed_by, closed_by_name, action_taken, followup_id),
    ).fetchone()
    assert row is not None
    # The citizen is told by the invitation's own channel; the sender sends it (a QR-only
    # invitation has no channel to tell them by).
    db_session.execute(
        "UPDATE invitation_deliveries d SET notice_status = CASE WHEN i.channel = 'qr' "
        "  THEN 'not_needed' ELSE 'pending' END, next_attempt_at = %s, updated_at = now() "
        "FROM rating_invitations i WHERE i.id = d.invitation_id AND d.invitation_id = %s",
        (now, row[3]),
    )
    data = {
        "followup_id": str(followup.id),
        "rating_id": str(followup.rating_id),
        "dossier_id": str(row[0]),
        "dossier_code": followup.dossier_code,
        "unit_code": followup.unit_code,
        "unit_path": list(row[1]),
        "reasons": list(followup.reasons),
        "opened_at": format_instant(followup.opened_at),
        "due_at": format_instant(followup.due_at),
        "closed_at": format_instant(now),
        "on_time": now <= followup.due_at,
        "notify": row[2],
    }
    _publish(EventType.RATING_FOLLOWUP_CLOSED, data, now, db_session)
    return get_followup(
        followup_id, officer_unit, now=now, calendar=calendar, db_session=db_session
    )


def mark_complaint(
    rating_id: UUID,
    officer_unit: str,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    db_session: Connection,
) -> UUID:
    """Staff read a comment as a complaint: it joins the rating's open follow-up, or opens
    one. Returns the follow-up's id."""
    row = db_session.execute(
        "SELECT r.dossier_code, f.id, f.closed_at FROM ratings r "
        "LEFT JOIN rating_followups f ON f.rating_id = r.id "
        "WHERE r.id = %s AND r.valid AND r.comment IS NOT NULL "
        "AND r.unit_path @> ARRAY[%s]::text[] FOR UPDATE OF r",
        (rating_id, officer_unit),
    ).fetchone()
    if row is None:
        raise FollowupNotFound(str(rating_id))
    db_session.execute("UPDATE ratings SET comment_is_complaint = true WHERE id = %s", (rating_id,))
    if row[1] is not None:
        if row[2] is not None:
            raise FollowupClosed(str(row[1]))
        db_session.execute(
            "UPDATE rating_followups SET reasons = array_append(reasons, 'complaint') "
            "WHERE id = %s AND NOT 'complaint' = ANY(reasons)",
            (row[1],),
        )
        return UUID(str(row[1]))
    found = db_session.execute(
        f"SELECT {INVITATION_COLUMNS} FROM rating_invitations WHERE dossier_code = %s",
        (row[0],),
    ).fetchone()
    assert found is not None
    invitation = invitation_from_row(found)
    return open_followup(
        rating_id, invitation, ("complaint",), now=now, calendar=calendar, db_session=db_session
    )


@dataclass(frozen=True)
class HandlingAsk:
    """A closed follow-up the citizen may rate (once), found by their rating token."""

    followup_id: UUID
    closed_at: datetime
    handling_level: int | None


def handling_for_invitation(
    invitation_id: UUID, *, db_session: Connection, lock: bool = False
) -> HandlingAsk | None:
    row = db_session.execute(
        "SELECT f.id, f.closed_at, f.handling_level FROM rating_followups f "
        "JOIN ratings r ON r.id = f.rating_id "
        "WHERE r.invitation_id = %s AND r.valid AND f.closed_at IS NOT NULL"
        + (" FOR UPDATE OF f" if lock else ""),
        (invitation_id,),
    ).fetchone()
    return HandlingAsk(row[0], row[1], row[2]) if row else None


def rate_handling(
    followup_id: UUID, level: Level, *, now: datetime, db_session: Connection
) -> bool:
    """The citizen's level for how their feedback was handled; False if already given."""
    done = db_session.execute(
        "UPDATE rating_followups SET handling_level = %s, handling_rated_at = %s "
        "WHERE id = %s AND handling_level IS NULL AND closed_at IS NOT NULL",
        (int(level), now, followup_id),
    )
    return done.rowcount == 1


def counts(*, now: datetime, db_session: Connection) -> tuple[int, int]:
    """Open follow-ups, and how many of them are overdue (for the metrics)."""
    row = db_session.execute(
        "SELECT count(*), count(*) FILTER (WHERE due_at <= %s) FROM rating_followups "
        "WHERE closed_at IS NULL",
        (now,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class Comment:
    """A valid rating's comment no follow-up took up yet: staff may mark it a complaint."""

    rating_id: UUID
    dossier_code: str
    unit_code: str
    procedure_code: str
    channel: str
    comment: str
    submitted_at: datetime


def unhandled_comments(
    officer_unit: str, *, limit: int = 50, db_session: Connection
) -> list[Comment]:
    """The subtree's comments waiting for staff to say whether each is a complaint."""
    rows = db_session.execute(
        "SELECT r.id, r.dossier_code, r.unit_code, r.procedure_code, r.channel, r.comment, "
        "r.submitted_at FROM ratings r "
        "WHERE r.unit_path @> ARRAY[%s]::text[] AND r.valid AND r.comment IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM rating_followups f WHERE f.rating_id = r.id) "
        "ORDER BY r.submitted_at DESC LIMIT %s",
        (officer_unit, limit),
    ).fetchall()
    return [Comment(*row) for row in rows]
