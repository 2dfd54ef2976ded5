"""Storing an answer: one valid rating per dossier, the invitation marked used, the event
and any follow-up staged in the outbox, all in the caller's transaction.

The invitation row is locked (``FOR UPDATE``) before anything is checked, so of two
submissions racing for one dossier the second waits, then finds it used: one answer is
stored, the other is told when the first was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg import Connection
from psycopg.errors import UniqueViolation

from motcua.calendar import WorkingCalendar
from motcua.contracts import Criterion, EventType
from services.ratings.answers.rules import followup_reasons
from services.ratings.events import publish, submitted_data
from services.ratings.followups.service import open_followup
from services.ratings.invitations.tokens import hash_token
from services.ratings.models import (
    INVITATION_COLUMNS,
    Answer,
    Entry,
    Invitation,
    Recorded,
    invitation_from_row,
)


class AnswerError(Exception):
    """Why an answer was not stored; nothing was written."""


class UnknownInvitation(AnswerError):
    """No invitation for this token, or no dossier of that code in the officer's subtree:
    404, whichever it is (its existence is not the caller's business)."""


class AlreadyRated(AnswerError):
    def __init__(self, invitation: Invitation, at: datetime) -> None:
        super().__init__(f"already rated at {at.isoformat()}")
        self.invitation = invitation
        self.at = at


class Expired(AnswerError):
    def __init__(self, invitation: Invitation) -> None:
        super().__init__(f"expired at {invitation.expires_at.isoformat()}")
        self.invitation = invitation
        self.at = invitation.expires_at


class SerialUsed(AnswerError):
    def __init__(self, serial: str) -> None:
        super().__init__(f"paper form serial {serial} already entered")
        self.serial = serial


BY_TOKEN = f"SELECT {INVITATION_COLUMNS} FROM rating_invitations WHERE token_sha256 = %s"
"""The one query a token costs, whether it is known, unknown or malformed."""
BY_CODE = (
    f"SELECT {INVITATION_COLUMNS} FROM rating_invitations "
    "WHERE dossier_code = %s AND unit_path @> ARRAY[%s]::text[]"
)

_LEVEL_COLUMNS = ", ".join(c.value for c in Criterion)
_INSERT = (
    "INSERT INTO ratings (id, invitation_id, dossier_id, dossier_code, unit_code, unit_path, "
    "procedure_code, online, channel, entered_by, entered_by_name, staff_present, valid, "
    f"invalid_reason, paper_serial, {_LEVEL_COLUMNS}, overall, comment, comment_is_complaint, "
    "submitted_at) "
    f"VALUES ({', '.join(['%s'] * (19 + len(Criterion)))})"
)


def invitation_by_token(token: str, *, db_session: Connection, lock: bool = False) -> Invitation:
    """The invitation ``token`` opens. A malformed token is hashed and looked up like any
    other, so it costs the same time as an unknown or a known one (no timing oracle)."""
    query = BY_TOKEN + (" FOR UPDATE" if lock else "")
    row = db_session.execute(query, (hash_token(token),)).fetchone()
    if row is None:
        raise UnknownInvitation(token[:4])
    return invitation_from_row(row)


def invitation_for_staff(
    dossier_code: str, officer_unit: str, *, db_session: Connection, lock: bool = False
) -> Invitation:
    """The invitation of a dossier in the officer's subtree; any other is unknown (404)."""
    query = BY_CODE + (" FOR UPDATE" if lock else "")
    row = db_session.execute(query, (dossier_code.strip().upper(), officer_unit)).fetchone()
    if row is None:
        raise UnknownInvitation(dossier_code)
    return invitation_from_row(row)


def check_open(invitation: Invitation, now: datetime, *, expiry: bool = True) -> None:
    """Used first (the citizen learns when), then expired."""
    if invitation.used_at is not None:
        raise AlreadyRated(invitation, invitation.used_at)
    if expiry and invitation.expires_at <= now:
        raise Expired(invitation)


def submit_with_token(
    token: str,
    answer_for: Callable[[Invitation], Answer],
    entry: Entry,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    db_session: Connection,
) -> Recorded:
    """The citizen's own answer (web form, API): the token is the only credential.

    ``answer_for`` reads the answer once the invitation is known (criterion 8 is asked only
    of an online dossier); its :class:`AnswerRefused` rolls the transaction back."""
    invitation = invitation_by_token(token, db_session=db_session, lock=True)
    check_open(invitation, now)
    answer = answer_for(invitation)
    return record(invitation, answer, entry, now=now, calendar=calendar, db_session=db_session)


def submit_for_dossier(
    dossier_code: str,
    officer_unit: str,
    answer_for: Callable[[Invitation], Answer | None],
    entry: Entry,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    db_session: Connection,
) -> Recorded:
    """An answer staff enter (kiosk, paper, phone) for a dossier of their subtree. The
    invitation's expiry does not apply: a paper form handed in on time may be typed in
    later. An invalid paper form leaves the invitation unused."""
    invitation = invitation_for_staff(dossier_code, officer_unit, db_session=db_session, lock=True)
    if entry.valid:
        check_open(invitation, now, expiry=False)
    answer = answer_for(invitation)
    return record(invitation, answer, entry, now=now, calendar=calendar, db_session=db_session)


def _rating_row(
    rating_id: UUID, invitation: Invitation, answer: Answer | None, entry: Entry, now: datetime
) -> tuple[object, ...]:
    """The ``ratings`` row in ``_INSERT``'s order: levels and overall only when it counts."""
    kept = answer if entry.valid else None
    levels = [int(kept.levels[c]) if kept and c in kept.levels else None for c in Criterion]
    return (
        rating_id,
        invitation.id,
        invitation.dossier_id,
        invitation.dossier_code,
        invitation.unit_code,
        list(invitation.unit_path),
        invitation.procedure_code,
        invitation.online,
        entry.channel.value,
        entry.entered_by,
        entry.entered_by_name,
        entry.staff_present,
        entry.valid,
        entry.invalid_reason.value if entry.invalid_reason else None,
        entry.paper_serial,
        *levels,
        int(kept.overall) if kept else None,
        answer.comment if answer else None,
        entry.comment_is_complaint and bool(answer and answer.comment),
        now,
    )


def _insert_rating(
    row: tuple[object, ...],
    invitation: Invitation,
    entry: Entry,
    now: datetime,
    db_session: Connection,
) -> None:
    """Insert the row; a serial already entered, or a second rating of the dossier, says so."""
    try:
        db_session.execute(_INSERT, row)
    except UniqueViolation as exc:
        if exc.diag.constraint_name == "ratings_paper_serial_unique" and entry.paper_serial:
            raise SerialUsed(entry.paper_serial) from None
        raise AlreadyRated(invitation, now) from None


def record(
    invitation: Invitation,
    answer: Answer | None,
    entry: Entry,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    db_session: Connection,
) -> Recorded:
    """Insert the rating (the invitation already locked), mark the invitation used when the
    answer counts, stage its event and, for an unhappy answer, open the follow-up."""
    rating_id = uuid.uuid4()
    _insert_rating(
        _rating_row(rating_id, invitation, answer, entry, now), invitation, entry, now, db_session
    )
    kept = answer if entry.valid else None
    complaint = entry.comment_is_complaint and bool(answer and answer.comment)
    reasons = followup_reasons(kept, complaint=complaint) if entry.valid else ()
    followup_id = None
    # The rest in one round trip: the rating is in, nothing below is expected to fail.
    with db_session.pipeline():
        if entry.valid:
            db_session.execute(
                "UPDATE rating_invitations SET used_at = %s WHERE id = %s", (now, invitation.id)
            )
        publish(
            EventType.RATING_SUBMITTED,
            submitted_data(rating_id, invitation, entry, answer, followup=bool(reasons)),
            at=now,
            db_session=db_session,
        )
        if reasons:
            followup_id = open_followup(
                rating_id, invitation, reasons, now=now, calendar=calendar, db_session=db_session
            )
    return Recorded(rating_id, invitation, entry, kept, now, followup_id, reasons)


def followup_opened_for(invitation_id: UUID, *, db_session: Connection) -> bool:
    """Whether the valid rating of this invitation opened a follow-up (the thanks page)."""
    row = db_session.execute(
        "SELECT 1 FROM ratings r JOIN rating_followups f ON f.rating_id = r.id "
        "WHERE r.invitation_id = %s AND r.valid",
        (invitation_id,),
    ).fetchone()
    return row is not None


@dataclass(frozen=True)
class RatingSummary:
    """One answer as the staff list shows it: no comment text, no citizen data."""

    dossier_code: str
    unit_code: str
    channel: str
    entered_by: str
    entered_by_name: str | None
    """The officer's display name; None for the citizen and for answers entered before it
    was recorded (the page shows the login then)."""
    staff_present: bool
    valid: bool
    invalid_reason: str | None
    overall: int | None
    submitted_at: datetime


def recent_ratings(
    unit_code: str, *, limit: int = 100, db_session: Connection
) -> list[RatingSummary]:
    """The latest answers of the unit's subtree, newest first (valid and invalid alike)."""
    rows = db_session.execute(
        "SELECT dossier_code, unit_code, channel, entered_by, entered_by_name, staff_present, "
        "valid, invalid_reason, overall, submitted_at FROM ratings "
        "WHERE unit_path @> ARRAY[%s]::text[] ORDER BY submitted_at DESC, id LIMIT %s",
        (unit_code, limit),
    ).fetchall()
    return [RatingSummary(*row) for row in rows]
