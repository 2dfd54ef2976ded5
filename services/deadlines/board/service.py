"""What the board lists, kept in PostgreSQL so every worker's board sees every alert.

The worker that owns a dossier's partition records its alerts here; any worker's web
server reads them for the officer's subtree. Each change is announced with
``NOTIFY board`` (payload: the dossier's unit path), which the boards' live streams relay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, assert_never

from psycopg import Connection
from psycopg.rows import dict_row

from services.deadlines.board.query import BoardFilter, BoardRequest, Cursor
from services.deadlines.officers import Officer
from services.deadlines.tracking import Alert, AlertKind, DossierClock

CHANNEL = "board"


@dataclass(frozen=True)
class BoardItem:
    dossier_id: str
    dossier_code: str
    unit_code: str
    procedure_code: str
    episode: int
    due_at: datetime
    status: str
    rescheduled: bool
    acknowledged_by: str | None
    letter_status: str | None
    letter_number: str | None
    letter_version: int | None
    apology_deadline: datetime | None
    """When the draft letter must go out: one working day before the due date by default."""

    def seconds_left(self, now: datetime) -> float:
        return (self.due_at - now).total_seconds()

    @property
    def needs_letter(self) -> bool:
        """The officer's task: a letter is owed and still a draft."""
        return self.letter_status == "draft"


def announce(unit_path: tuple[str, ...] | list[str], *, db_session: Connection) -> None:
    """Tell every board watching this unit path that its list changed."""
    db_session.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps(list(unit_path))))


def _board_status(kind: AlertKind) -> str:
    match kind:
        case AlertKind.DUE_SOON:
            return "due_soon"
        case AlertKind.OVERDUE:
            return "overdue"
        case AlertKind.RESOLVED_LATE:
            raise ValueError("a resolved-late dossier leaves the board through sync_board")
        case _:
            assert_never(kind)


def record_alert(
    alert: Alert, clock: DossierClock, apology_deadline: datetime, *, db_session: Connection
) -> None:
    """Put the dossier on the board for a due-soon or overdue alert and, for a first
    lateness, draft its apology letter, due by ``apology_deadline``. (Resolved-late needs
    nothing: the completion's ``sync_board`` takes the dossier off.)

    Idempotent: a redelivered alert changes nothing and drafts no second letter.
    """
    status = _board_status(alert.kind)
    with db_session.transaction():
        db_session.execute(
            "INSERT INTO watched_dossiers (dossier_id, dossier_code, unit_code, unit_path, "
            "procedure_code, episode, due_at, original_due_at, status, rescheduled) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (dossier_id) DO UPDATE SET dossier_code = EXCLUDED.dossier_code, "
            "unit_code = EXCLUDED.unit_code, unit_path = EXCLUDED.unit_path, "
            "episode = EXCLUDED.episode, due_at = EXCLUDED.due_at, status = EXCLUDED.status, "
            "rescheduled = EXCLUDED.rescheduled, updated_at = now(), "
            "acknowledged_by = CASE WHEN watched_dossiers.status = EXCLUDED.status "
            "  AND watched_dossiers.episode = EXCLUDED.episode "
            "  THEN watched_dossiers.acknowledged_by END, "
            "acknowledged_at = CASE WHEN watched_dossiers.status = EXCLUDED.status "
            "  AND watched_dossiers.episode = EXCLUDED.episode "
            "  THEN watched_dossiers.acknowledged_at END",
            (
                clock.dossier_id,
                clock.dossier_code,
                clock.unit_code,
                list(clock.unit_path),
                clock.procedure_code,
                alert.episode,
                alert.due_at,
                clock.original_due_at,
                status,
                clock.rescheduled,
            ),
        )
        if not clock.rescheduled:
            db_session.execute(
                "INSERT INTO apology_letters (dossier_id, episode, unit_code, original_due_at, "
                "apology_deadline) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (dossier_id, episode) DO NOTHING",
                (clock.dossier_id, alert.episode, clock.unit_code, alert.due_at, apology_deadline),
            )
        announce(clock.unit_path, db_session=db_session)


def board_status(clock: DossierClock) -> str:
    """Where a watched dossier stands, from its clock alone."""
    if not clock.open:
        return "closed"
    if not clock.running:
        return "stopped"
    if f"{AlertKind.OVERDUE}:{clock.episode}" in clock.emitted:
        return "overdue"
    if f"{AlertKind.DUE_SOON}:{clock.episode}" in clock.emitted:
        return "due_soon"
    return "rescheduled" if clock.rescheduled else "stopped"


def sync_board(clock: DossierClock, *, db_session: Connection) -> None:
    """Follow a watched dossier's clock: closed, stopped, restarted, resumed, transferred.

    A no-op for dossiers that never had an alert (they are not on any board).
    """
    with db_session.transaction():
        changed = db_session.execute(
            "UPDATE watched_dossiers SET status = %(status)s, episode = %(episode)s, "
            "due_at = coalesce(%(due_at)s, due_at), unit_code = %(unit)s, "
            "unit_path = %(path)s, rescheduled = %(rescheduled)s, updated_at = now() "
            "WHERE dossier_id = %(id)s AND (status, episode, due_at, unit_code, rescheduled) "
            "IS DISTINCT FROM (%(status)s, %(episode)s, coalesce(%(due_at)s, due_at), "
            "%(unit)s, %(rescheduled)s) RETURNING unit_path",
            {
                "status": board_status(clock),
                "episode": clock.episode,
                "due_at": clock.due_at,
                "unit": clock.unit_code,
                "path": list(clock.unit_path),
                "rescheduled": clock.rescheduled,
                "id": clock.dossier_id,
            },
        ).fetchone()
        if changed is not None:
            announce(clock.unit_path, db_session=db_session)


def acknowledge(officer: Officer, dossier_id: str, *, db_session: Connection) -> bool:
    """The officer has seen the alert. False when the dossier is not on their board."""
    with db_session.transaction():
        row = db_session.execute(
            "UPDATE watched_dossiers SET acknowledged_by = %s, acknowledged_at = now() "
            "WHERE dossier_id = %s AND status <> 'closed' AND unit_path @> ARRAY[%s]::text[] "
            "RETURNING unit_path",
            (officer.username, dossier_id, officer.unit_code),
        ).fetchone()
        if row is None:
            return False
        announce(row[0], db_session=db_session)
        return True


def board_items(
    officer: Officer, *, db_session: Connection, dossier_code: str | None = None, limit: int = 500
) -> list[BoardItem]:
    """The officer's subtree only; most urgent first (least time left, most overdue)."""
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT w.dossier_id::text, w.dossier_code, w.unit_code, w.procedure_code, "
            "w.episode, w.due_at, w.status, w.rescheduled, w.acknowledged_by, "
            "l.status AS letter_status, l.letter_number, l.apology_deadline, "
            "(SELECT max(v.version) FROM apology_letter_versions v WHERE v.letter_id = l.id) "
            "AS letter_version "
            "FROM watched_dossiers w LEFT JOIN apology_letters l "
            "ON l.dossier_id = w.dossier_id AND l.episode = w.episode "
            "WHERE w.status IN ('due_soon', 'overdue') AND w.unit_path @> ARRAY[%s]::text[] "
            "AND (%s::text IS NULL OR w.dossier_code = %s::text) "
            "ORDER BY w.due_at, w.dossier_code LIMIT %s",
            (officer.unit_code, dossier_code, dossier_code, limit),
        ).fetchall()
    return [BoardItem(**row) for row in rows]


@dataclass(frozen=True)
class Compliance:
    overdue: int
    late_without_letter: int
    letters_draft: int
    letters_issued: int


def compliance(*, db_session: Connection, unit_code: str | None = None) -> Compliance:
    """The figures inspection asks for, for every unit or one unit's subtree; "late without
    a letter" is zero in a healthy unit."""
    row: dict[str, Any] | None
    with db_session.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "WITH open AS (SELECT * FROM watched_dossiers WHERE status <> 'closed' "
            "  AND (%(unit)s::text IS NULL OR unit_path @> ARRAY[%(unit)s::text])) "
            "SELECT "
            "(SELECT count(*) FROM open WHERE status = 'overdue') AS overdue, "
            "(SELECT count(*) FROM open w WHERE w.status = 'overdue' AND NOT w.rescheduled "
            "  AND NOT EXISTS (SELECT 1 FROM apology_letters l "
            "  WHERE l.dossier_id = w.dossier_id AND l.episode = w.episode "
            "  AND l.status = 'issued')) AS late_without_letter, "
            "(SELECT count(*) FROM apology_letters l JOIN open w USING (dossier_id) "
            "  WHERE l.status = 'draft' AND l.episode = w.episode "
            "  AND w.status IN ('due_soon', 'overdue')) AS letters_draft, "
            "(SELECT count(*) FROM apology_letters l JOIN open w USING (dossier_id) "
            "  WHERE l.status = 'issued') AS letters_issued",
            {"unit": unit_code},
        ).fetchone()
    assert row is not None
    return Compliance(**row)


@dataclass(frozen=True)
class UnitCompliance:
    unit_code: str
    late_without_letter: int
    letters_issued_late: int


def compliance_by_unit(*, db_session: Connection) -> list[UnitCompliance]:
    """Per handling unit: overdue dossiers with no letter, and letters that went out after
    their apology deadline (all time). Units with neither are not listed."""
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "WITH without AS (SELECT w.unit_code, count(*) AS n FROM watched_dossiers w "
            "  WHERE w.status = 'overdue' AND NOT w.rescheduled AND NOT EXISTS ("
            "    SELECT 1 FROM apology_letters l WHERE l.dossier_id = w.dossier_id "
            "    AND l.episode = w.episode AND l.status = 'issued') GROUP BY w.unit_code), "
            "issued_late AS (SELECT unit_code, count(*) AS n FROM apology_letters "
            "  WHERE status = 'issued' AND issued_at > apology_deadline GROUP BY unit_code) "
            "SELECT unit_code, coalesce(without.n, 0) AS late_without_letter, "
            "coalesce(issued_late.n, 0) AS letters_issued_late "
            "FROM without FULL JOIN issued_late USING (unit_code) ORDER BY unit_code"
        ).fetchall()
    return [UnitCompliance(**row) for row in rows]


# --- Shim (templates branch): a stand-in for the city-scale ``board_page`` and
# ``board_export`` written on the board-data branch, with the same signatures, built on
# ``board_items`` (at most 500 rows, filtered in Python). The real ones replace it at merge.


@dataclass(frozen=True)
class StatusCounts:
    due_soon: int
    overdue: int
    letters_to_issue: int
    total: int


@dataclass(frozen=True)
class BoardPage:
    items: list[BoardItem]
    counts: StatusCounts
    next_cursor: Cursor | None


def _matching(
    officer: Officer,
    board_filter: BoardFilter,
    procedure_codes: Sequence[str] | None,
    db_session: Connection,
) -> list[BoardItem]:
    items = board_items(officer, db_session=db_session, dossier_code=board_filter.dossier_code)
    if board_filter.unit_code is not None:
        within = Officer(officer.username, officer.display_name, board_filter.unit_code)
        ids = {i.dossier_id for i in board_items(within, db_session=db_session)}
        items = [i for i in items if i.dossier_id in ids]
    return [
        i
        for i in items
        if (board_filter.status is None or i.status == board_filter.status.value)
        and (board_filter.procedure_code is None or i.procedure_code == board_filter.procedure_code)
        and (procedure_codes is None or i.procedure_code in procedure_codes)
        and (not board_filter.letter_to_issue or i.needs_letter)
    ]


def board_page(
    officer: Officer,
    request: BoardRequest,
    *,
    db_session: Connection,
    procedure_codes: Sequence[str] | None = None,
) -> BoardPage:
    """One page of the filtered board; the counts are the whole filtered view's, whatever
    status is picked."""
    wide = replace(request.filter, status=None)
    everything = _matching(officer, wide, procedure_codes, db_session)
    counts = StatusCounts(
        due_soon=sum(i.status == "due_soon" for i in everything),
        overdue=sum(i.status == "overdue" for i in everything),
        letters_to_issue=sum(i.needs_letter for i in everything),
        total=len(everything),
    )
    rows = sorted(
        _matching(officer, request.filter, procedure_codes, db_session),
        key=lambda i: (i.due_at, i.dossier_code, i.dossier_id),
    )
    after = request.cursor
    if after is not None:
        rows = [
            i
            for i in rows
            if (i.due_at, i.dossier_code, i.dossier_id)
            > (after.due_at, after.dossier_code, after.dossier_id)
        ]
    page = rows[: request.limit]
    last = page[-1] if len(rows) > request.limit else None
    cursor = Cursor(last.due_at, last.dossier_code, last.dossier_id) if last else None
    return BoardPage(page, counts, cursor)


def board_export(
    officer: Officer,
    board_filter: BoardFilter,
    *,
    db_session: Connection,
    procedure_codes: Sequence[str] | None = None,
) -> Iterator[BoardItem]:
    """Every row of the filtered board, in the board's order."""
    yield from sorted(
        _matching(officer, board_filter, procedure_codes, db_session),
        key=lambda i: (i.due_at, i.dossier_code, i.dossier_id),
    )
