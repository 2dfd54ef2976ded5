"""The counter's rows: each unmasking of a citizen's number, each call's outcome, the first
opening of an invitation's link, and the rating a thank-you page refers to."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg import Connection

from services.ratings.counter.rules import CallOutcome


def record_reveal(
    invitation_id: UUID, officer: str, *, now: datetime, db_session: Connection
) -> None:
    """Who unmasked the citizen's number of this invitation, and when (not the number)."""
    db_session.execute(
        "INSERT INTO phone_reveals (invitation_id, officer, revealed_at) VALUES (%s, %s, %s)",
        (invitation_id, officer, now),
    )


def record_call(
    invitation_id: UUID,
    outcome: CallOutcome,
    officer: str,
    *,
    now: datetime,
    db_session: Connection,
) -> None:
    db_session.execute(
        "INSERT INTO phone_calls (invitation_id, outcome, officer, called_at) "
        "VALUES (%s, %s, %s, %s)",
        (invitation_id, outcome.value, officer, now),
    )


def mark_opened(invitation_id: UUID, *, now: datetime, db_session: Connection) -> None:
    """The first time the citizen opened the link; later openings change nothing."""
    db_session.execute(
        "UPDATE rating_invitations SET opened_at = %s WHERE id = %s AND opened_at IS NULL",
        (now, invitation_id),
    )


def valid_rating_of(invitation_id: UUID, *, db_session: Connection) -> UUID | None:
    """The id of the invitation's counted rating, for its reference on the thank-you page."""
    row = db_session.execute(
        "SELECT id FROM ratings WHERE invitation_id = %s AND valid", (invitation_id,)
    ).fetchone()
    return row[0] if row else None


def rated_unit(rating_id: UUID, officer_unit: str, *, db_session: Connection) -> str | None:
    """The unit of a counted rating in the officer's subtree (the kiosk's thank-you)."""
    row = db_session.execute(
        "SELECT unit_code FROM ratings WHERE id = %s AND valid AND unit_path @> ARRAY[%s]::text[]",
        (rating_id, officer_unit),
    ).fetchone()
    return str(row[0]) if row else None
