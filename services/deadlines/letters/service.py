"""Apology letters in the deadlines schema: drafts become numbered letters, corrections
become versions, and every version is published as an ``apology issued`` event.

The uniqueness rule is the database's: one letter per (dossier, lateness episode), one
number per (unit, year). A version's event is staged in deadlines' outbox
(:mod:`motcua.outbox`) in the transaction that issues it, and the relay publishes it: a
letter is issued if and only if its event goes out, under its one id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from motcua.audit import Action, ActorKind, record
from motcua.contracts import EventType, format_instant, new_event
from motcua.kafka import Topic
from motcua.outbox import enqueue
from services.deadlines.board_changes import announce
from services.deadlines.letters.models import LOCAL_ZONE, ApologyLetter, LetterRuleError
from services.deadlines.notices.moves import stage_notice
from services.deadlines.officers import Officer

LETTER_EVENT_NAMESPACE = uuid.UUID("0c5f3a49-3f0e-4f55-9f7e-61706f6c6f67")
SOURCE = "/motcua/deadlines"


# A LetterTask's columns, from apology_letters l joined with watched_dossiers w.
_TASK_COLUMNS = (
    "l.id AS letter_id, l.dossier_id::text, w.dossier_code, l.unit_code, w.unit_path, "
    "w.procedure_code, l.episode, l.status, l.letter_number, l.original_due_at, l.new_due_at"
)


class LetterNotFound(LookupError):
    """No letter of that dossier is on this officer's board."""


@dataclass(frozen=True)
class LetterTask:
    """What the officer confirms: the draft (or issued letter) and its dossier."""

    letter_id: int
    dossier_id: str
    dossier_code: str
    unit_code: str
    unit_path: tuple[str, ...]
    procedure_code: str
    episode: int
    status: str
    letter_number: str | None
    original_due_at: datetime
    new_due_at: datetime | None
    last_version: int
    last_reason: str | None


def letter_task(
    officer: Officer, dossier_id: str, *, episode: int | None = None, db_session: Connection
) -> LetterTask:
    """The letter of a dossier in the officer's subtree: the current episode's, or the
    ``episode`` asked for (the issued-letters list addresses each row's own letter)."""
    with db_session.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            f"SELECT {_TASK_COLUMNS}, "
            "coalesce(v.version, 0) AS last_version, v.reason AS last_reason "
            "FROM apology_letters l JOIN watched_dossiers w ON w.dossier_id = l.dossier_id "
            "LEFT JOIN LATERAL (SELECT version, reason FROM apology_letter_versions "
            "  WHERE letter_id = l.id ORDER BY version DESC LIMIT 1) v ON true "
            "WHERE l.dossier_id = %s AND w.unit_path && %s::text[] "
            "AND (%s::int IS NULL OR l.episode = %s::int) "
            "ORDER BY l.episode DESC LIMIT 1",
            (dossier_id, officer.scope, episode, episode),
        ).fetchone()
    if row is None:
        raise LetterNotFound(dossier_id)
    row["unit_path"] = tuple(row["unit_path"])
    return LetterTask(**row)


@dataclass(frozen=True)
class IssuedVersion:
    version: int
    event: dict[str, Any]


def _numbered(
    task: LetterTask, *, new_due_at: datetime, issued_at: datetime, db_session: Connection
) -> str:
    """Lock the letter and return its number: the draft's new one (which fixes the new
    appointment), or the issued letter's own, whose appointment a correction keeps."""
    locked = db_session.execute(
        "SELECT status, letter_number, new_due_at FROM apology_letters WHERE id = %s FOR UPDATE",
        (task.letter_id,),
    ).fetchone()
    if locked is None:
        raise LetterNotFound(task.dossier_id)
    status, number, fixed_due_at = locked
    if status == "issued":
        if fixed_due_at != new_due_at:
            fixed = f"{fixed_due_at.astimezone(LOCAL_ZONE):%d/%m/%Y %H:%M}"
            raise LetterRuleError(
                "extension_working_days",
                "appointment_fixed",
                f"the appointment was already moved once; a correction keeps the new date {fixed}",
                date=fixed,
            )
        return str(number)
    year = issued_at.astimezone(LOCAL_ZONE).year
    counter = db_session.execute(
        "INSERT INTO apology_letter_counters (unit_code, letter_year, last_number) "
        "VALUES (%s, %s, 1) ON CONFLICT (unit_code, letter_year) "
        "DO UPDATE SET last_number = apology_letter_counters.last_number + 1 "
        "RETURNING last_number",
        (task.unit_code, year),
    ).fetchone()
    assert counter is not None
    number = f"{counter[0]}/PXL"
    db_session.execute(
        "UPDATE apology_letters SET status = 'issued', letter_number = %s, "
        "letter_year = %s, new_due_at = %s, issued_at = %s WHERE id = %s",
        (number, year, new_due_at, issued_at, task.letter_id),
    )
    return number


def issue_letter(
    officer: Officer,
    task: LetterTask,
    *,
    reason: str,
    new_due_at: datetime,
    issued_at: datetime,
    render: Callable[[ApologyLetter], bytes],
    letter_for: Callable[[str, int, datetime], ApologyLetter],
    address: str | None = None,
    db_session: Connection,
) -> IssuedVersion:
    """Number and issue the draft, or add a corrected version of an issued letter, and
    stage its ``apology issued`` event in the outbox and its notice to the citizen
    (``letter_notices``), all in one transaction.

    The appointment moves once: a correction may reword the reason but not change the new
    date (``LetterRuleError``). ``letter_for(number, version, new_due_at)`` builds the
    content, ``render`` the PDF; both run inside the transaction, so a failure leaves the
    draft as it was.
    """
    with db_session.transaction():
        number = _numbered(task, new_due_at=new_due_at, issued_at=issued_at, db_session=db_session)
        version_row = db_session.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM apology_letter_versions "
            "WHERE letter_id = %s",
            (task.letter_id,),
        ).fetchone()
        assert version_row is not None
        version = int(version_row[0])
        pdf = render(letter_for(number, version, new_due_at))
        db_session.execute(
            "INSERT INTO apology_letter_versions (letter_id, version, reason, issued_by, "
            "issued_at, pdf) VALUES (%s, %s, %s, %s, %s, %s)",
            (task.letter_id, version, reason, officer.username, issued_at, pdf),
        )
        event = apology_event(task, number, version, reason, new_due_at, issued_at)
        enqueue(
            event, topic=Topic.APOLOGY_LETTERS.value, key=task.dossier_id, db_session=db_session
        )
        # The citizen is told of every version (a correction once more).
        stage_notice(task.letter_id, version, issued_at, db_session=db_session)
        record(_issued(officer, task, number, version, address), db_session=db_session)
        announce(task.unit_path, db_session=db_session)
    return IssuedVersion(version, event)


def _issued(
    officer: Officer, task: LetterTask, number: str, version: int, address: str | None
) -> Action:
    """``letter.issued`` for the first version, ``letter.corrected`` for each after it;
    the reason stays in the letter (it may name the citizen's circumstances)."""
    return Action(
        actor=officer.username,
        actor_kind=ActorKind.OFFICER,
        action="letter.issued" if version == 1 else "letter.corrected",
        record_type="dossier",
        record_id=task.dossier_code,
        unit_path=task.unit_path,
        address=address,
        details={"letter_number": number, "version": version, "episode": task.episode},
    )


def apology_event(
    task: LetterTask,
    letter_number: str,
    version: int,
    reason: str,
    new_due_at: datetime,
    issued_at: datetime,
) -> dict[str, Any]:
    """The ``apology issued`` event: no citizen data, only what downstream needs."""
    return new_event(
        EventType.APOLOGY_ISSUED,
        source=SOURCE,
        subject=task.dossier_id,
        time=issued_at,
        event_id=str(uuid.uuid5(LETTER_EVENT_NAMESPACE, f"{task.letter_id}:{version}")),
        data={
            "dossier_id": task.dossier_id,
            "dossier_code": task.dossier_code,
            "unit_code": task.unit_code,
            "unit_path": list(task.unit_path),
            "procedure_code": task.procedure_code,
            "episode": task.episode,
            "letter_number": letter_number,
            "letter_version": version,
            "original_due_at": format_instant(task.original_due_at.astimezone(LOCAL_ZONE)),
            "new_due_at": format_instant(new_due_at.astimezone(LOCAL_ZONE)),
            "reason": reason,
            "issued_at": format_instant(issued_at.astimezone(LOCAL_ZONE)),
        },
    )


def letter_pdf(
    officer: Officer,
    dossier_id: str,
    version: int | None,
    *,
    episode: int | None = None,
    db_session: Connection,
) -> tuple[str, int, bytes]:
    """(number, version, PDF) of the dossier's latest letter, or of the episode's letter
    and the version asked for."""
    row = db_session.execute(
        "SELECT l.letter_number, v.version, v.pdf FROM apology_letters l "
        "JOIN watched_dossiers w ON w.dossier_id = l.dossier_id "
        "JOIN apology_letter_versions v ON v.letter_id = l.id "
        "WHERE l.dossier_id = %s AND w.unit_path && %s::text[] "
        "AND (%s::int IS NULL OR v.version = %s::int) "
        "AND (%s::int IS NULL OR l.episode = %s::int) "
        "ORDER BY l.episode DESC, v.version DESC LIMIT 1",
        (dossier_id, officer.scope, version, version, episode, episode),
    ).fetchone()
    if row is None:
        raise LetterNotFound(dossier_id)
    return str(row[0]), int(row[1]), bytes(row[2])
