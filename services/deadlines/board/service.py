"""What the board lists, kept in PostgreSQL so every worker's board sees every alert.

The worker that owns a dossier's partition records its alerts here; the officers' web
reads them for the officer's subtree. Each change is announced
(:mod:`services.deadlines.board_changes`), which the boards' live streams relay.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, assert_never

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from motcua.audit import Action, ActorKind, record
from motcua.db import recordset
from services.deadlines.board.delivery import LetterDelivery
from services.deadlines.board.query import BoardFilter, BoardRequest, Cursor
from services.deadlines.board_changes import announce
from services.deadlines.officers import Officer
from services.deadlines.tracking import Alert, AlertKind, DossierClock


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
    delivery: LetterDelivery | None = None
    """Whether the dossier's latest issued letter reached the citizen (None: no letter)."""
    acknowledged_name: str | None = None
    """The display name of ``acknowledged_by`` (the login), as the board shows it."""
    late_expected_by: str | None = None
    """Who marked this due-soon dossier as going to be late ("Sẽ trễ hạn"), if anyone."""
    late_expected_name: str | None = None

    def seconds_left(self, now: datetime) -> float:
        return (self.due_at - now).total_seconds()

    @property
    def needs_letter(self) -> bool:
        """The officer's task, as the law puts it: the letter is still a draft and the
        dossier is late, or due soon and marked as going to be late (:data:`LETTER_OWED`)."""
        return self.letter_status == "draft" and (
            self.status == "overdue" or self.late_expected_by is not None
        )

    @property
    def may_expect_late(self) -> bool:
        """A due-soon dossier whose draft letter is not owed yet: "Sẽ trễ hạn" makes it so."""
        return self.letter_status == "draft" and self.status == "due_soon"


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


@dataclass(frozen=True)
class AlertToRecord:
    alert: Alert
    clock: DossierClock
    apology_deadline: datetime


def record_alert(
    alert: Alert, clock: DossierClock, apology_deadline: datetime, *, db_session: Connection
) -> None:
    """Put the dossier on the board for a due-soon or overdue alert and, for a first
    lateness, draft its apology letter, due by ``apology_deadline``. (Resolved-late needs
    nothing: the completion's ``sync_board`` takes the dossier off.)

    Idempotent: a redelivered alert changes nothing and drafts no second letter.
    """
    record_alerts([AlertToRecord(alert, clock, apology_deadline)], db_session=db_session)


_UPSERT_WATCHED = (
    "INSERT INTO watched_dossiers (dossier_id, dossier_code, unit_code, unit_path, "
    "procedure_code, episode, due_at, original_due_at, status, rescheduled) "
    "SELECT * FROM jsonb_to_recordset(%s) AS r(dossier_id uuid, dossier_code text, "
    "unit_code text, unit_path text[], procedure_code text, episode int, "
    "due_at timestamptz, original_due_at timestamptz, status text, rescheduled bool) "
    "ON CONFLICT (dossier_id) DO UPDATE SET dossier_code = EXCLUDED.dossier_code, "
    "unit_code = EXCLUDED.unit_code, unit_path = EXCLUDED.unit_path, "
    "episode = EXCLUDED.episode, due_at = EXCLUDED.due_at, status = EXCLUDED.status, "
    "rescheduled = EXCLUDED.rescheduled, updated_at = now(), "
    "late_expected_by = CASE WHEN watched_dossiers.episode = EXCLUDED.episode "
    "  THEN watched_dossiers.late_expected_by END, "
    "late_expected_at = CASE WHEN watched_dossiers.episode = EXCLUDED.episode "
    "  THEN watched_dossiers.late_expected_at END, "
    "acknowledged_by = CASE WHEN watched_dossiers.status = EXCLUDED.status "
    "  AND watched_dossiers.episode = EXCLUDED.episode "
    "  THEN watched_dossiers.acknowledged_by END, "
    "acknowledged_at = CASE WHEN watched_dossiers.status = EXCLUDED.status "
    "  AND watched_dossiers.episode = EXCLUDED.episode "
    "  THEN watched_dossiers.acknowledged_at END"
)
"""Each dossier's board row as its latest alert shows it; an acknowledgement holds only
for the status and episode it was given for, a "going to be late" mark for the episode."""
_DRAFT_LETTERS = (
    "INSERT INTO apology_letters (dossier_id, episode, unit_code, original_due_at, "
    "apology_deadline) SELECT * FROM jsonb_to_recordset(%s) AS r(dossier_id uuid, "
    "episode int, unit_code text, original_due_at timestamptz, "
    "apology_deadline timestamptz) ON CONFLICT (dossier_id, episode) DO NOTHING "
    "RETURNING dossier_id::text, episode"
)
"""One draft letter per dossier and lateness episode."""


def _watched_rows(items: Iterable[AlertToRecord]) -> Jsonb:
    return recordset(
        {
            "dossier_id": item.clock.dossier_id,
            "dossier_code": item.clock.dossier_code,
            "unit_code": item.clock.unit_code,
            "unit_path": list(item.clock.unit_path),
            "procedure_code": item.clock.procedure_code,
            "episode": item.alert.episode,
            "due_at": item.alert.due_at,
            "original_due_at": item.clock.original_due_at,
            "status": _board_status(item.alert.kind),
            "rescheduled": item.clock.rescheduled,
        }
        for item in items
    )


def _letter_rows(items: Iterable[AlertToRecord]) -> Jsonb:
    return recordset(
        {
            "dossier_id": item.clock.dossier_id,
            "episode": item.alert.episode,
            "unit_code": item.clock.unit_code,
            "original_due_at": item.alert.due_at,
            "apology_deadline": item.apology_deadline,
        }
        for item in items
        if not item.clock.rescheduled
    )


def record_alerts(items: Sequence[AlertToRecord], *, db_session: Connection) -> None:
    """:func:`record_alert` for many alerts at once: two statements and a notice per board,
    in one transaction, so a burst of thousands of alerts falling due together costs a few
    commits, not one each. Applied in order: of a dossier's due-soon and overdue alerts in
    one call, the overdue one is what its board row shows. Each letter drafted is in the
    audit trail (``letter.drafted``), in the same transaction."""
    if not items:
        return
    last = {item.clock.dossier_id: item for item in items}
    with db_session.transaction():
        with db_session.pipeline():
            db_session.execute(_UPSERT_WATCHED, (_watched_rows(last.values()),))
            drafted = db_session.execute(_DRAFT_LETTERS, (_letter_rows(items),))
            for unit_path in dict.fromkeys(tuple(item.clock.unit_path) for item in items):
                announce(unit_path, db_session=db_session)
        drafting = {(_uuid(i.clock.dossier_id), i.alert.episode): i for i in reversed(items)}
        for dossier_id, episode in drafted.fetchall():
            record(_drafted(drafting[dossier_id, episode], episode), db_session=db_session)


def _uuid(dossier_id: str) -> str:
    return str(uuid.UUID(dossier_id))


def _drafted(item: AlertToRecord, episode: int) -> Action:
    """``letter.drafted``: the worker drafts a letter when a dossier first falls late."""
    return Action(
        actor="deadlines",
        actor_kind=ActorKind.SCHEDULER,
        action="letter.drafted",
        record_type="dossier",
        record_id=item.clock.dossier_code,
        unit_path=tuple(item.clock.unit_path),
        details={"episode": episode, "apology_deadline": item.apology_deadline.isoformat()},
    )


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
            "unit_path = %(path)s, rescheduled = %(rescheduled)s, updated_at = now(), "
            "late_expected_by = CASE WHEN episode = %(episode)s THEN late_expected_by END, "
            "late_expected_at = CASE WHEN episode = %(episode)s THEN late_expected_at END "
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


def _officer_action(
    officer: Officer,
    action: str,
    dossier: Sequence[Any],
    address: str | None,
    **details: Any,
) -> Action:
    """An officer's action on a board row; ``dossier``: its (unit_path, dossier_code)."""
    return Action(
        actor=officer.username,
        actor_kind=ActorKind.OFFICER,
        action=action,
        record_type="dossier",
        record_id=dossier[1],
        unit_path=tuple(dossier[0]),
        address=address,
        details=details,
    )


def acknowledge(
    officer: Officer, dossier_id: str, *, address: str | None = None, db_session: Connection
) -> bool:
    """The officer has seen the alert. False when the dossier is not on their board."""
    with db_session.transaction():
        row = db_session.execute(
            "UPDATE watched_dossiers SET acknowledged_by = %s, acknowledged_at = now() "
            "WHERE dossier_id = %s AND status <> 'closed' AND unit_path && %s::text[] "
            "RETURNING unit_path, dossier_code, status",
            (officer.username, dossier_id, officer.scope),
        ).fetchone()
        if row is None:
            return False
        action = _officer_action(officer, "board.acknowledged", row, address, status=row[2])
        record(action, db_session=db_session)
        announce(row[0], db_session=db_session)
        return True


def expect_late(
    officer: Officer,
    dossier_id: str,
    expected: bool,
    *,
    address: str | None = None,
    db_session: Connection,
) -> bool:
    """Mark a due-soon dossier as going to be late (its letter is owed from now on), or undo
    the mark; each is logged with who and when. False when the dossier is not due soon with
    a draft letter on the officer's board (an overdue one owes its letter anyway)."""
    with db_session.transaction():
        row = db_session.execute(
            "UPDATE watched_dossiers SET late_expected_by = %(by)s, "
            "late_expected_at = CASE WHEN %(by)s::text IS NULL THEN NULL ELSE now() END "
            "WHERE dossier_id = %(id)s AND status = 'due_soon' AND letter_status = 'draft' "
            "AND unit_path && %(scope)s::text[] RETURNING unit_path, dossier_code, episode",
            {
                "by": officer.username if expected else None,
                "id": dossier_id,
                "scope": officer.scope,
            },
        ).fetchone()
        if row is None:
            return False
        db_session.execute(
            "INSERT INTO late_expected_log (dossier_id, episode, expected, officer) "
            "VALUES (%s, %s, %s, %s)",
            (dossier_id, row[2], expected, officer.username),
        )
        action = "board.late_marked" if expected else "board.late_unmarked"
        record(
            _officer_action(officer, action, row, address, episode=row[2]), db_session=db_session
        )
        announce(row[0], db_session=db_session)
        return True


@dataclass(frozen=True)
class StatusCounts:
    """The figures above the board: the whole filtered view, whatever status is picked
    and however far the officer has paged."""

    due_soon: int
    overdue: int
    letters_to_issue: int
    total: int
    letters_undelivered: int = 0
    """Issued letters that had not reached the citizen by their apology deadline
    (rescheduled dossiers included: :data:`_UNDELIVERED`)."""


@dataclass(frozen=True)
class BoardPage:
    items: list[BoardItem]
    counts: StatusCounts
    next_cursor: Cursor | None
    """None on the last page."""
    page_number: int = 1
    """Where the cursor falls in the view (rows added since may shift it by a page)."""
    page_count: int = 1
    page_starts: Mapping[int, Cursor] = field(default_factory=dict)
    """The cursor that opens page ``n`` (``n`` ≥ 2) for the pages the pager links: the
    :data:`PAGE_WINDOW` pages either side of the current one."""


PAGE_WINDOW = 2
"""Page numbers linked either side of the current one (the first and last always are)."""


_ITEM_COLUMNS = (
    "w.dossier_id, w.dossier_code, w.unit_code, w.procedure_code, w.episode, w.due_at, "
    "w.status, w.rescheduled, w.acknowledged_by, w.late_expected_by, l.id AS letter_id, "
    "l.status AS letter_status, l.letter_number, l.apology_deadline"
)
_FROM = (
    "FROM watched_dossiers w LEFT JOIN apology_letters l "
    "ON l.dossier_id = w.dossier_id AND l.episode = w.episode"
)
_ORDER = "ORDER BY w.due_at, w.dossier_code, w.dossier_id"
LETTER_OWED = (
    "(w.letter_status = 'draft' AND (w.status = 'overdue' OR w.late_expected_by IS NOT NULL))"
)
"""A letter to issue, as the law means it: the dossier is late without one, or due soon and
marked as going to be late (:attr:`BoardItem.needs_letter` is the same rule)."""
_REACHED = (
    "(SELECT min(CASE WHEN n.state = 'delivered' THEN coalesce(n.delivered_at, n.updated_at) "
    "ELSE n.sent_at END) FROM letter_notices n "
    "WHERE n.letter_id = {letter}.id AND n.state IN ('delivered', 'posted'))"
)
"""When a notice of the letter (any version) first reached the citizen."""
_UNDELIVERED = "w.issued_letter_deadline < coalesce(w.issued_letter_reached_at, now())"
"""The dossier's latest issued letter had not reached the citizen by its apology deadline
(:func:`services.deadlines.board.delivery.is_flagged` is the same rule); the letter, its
deadline and when it first reached the citizen are kept on the row by triggers (0013)."""
_DELIVERY_JOIN = (
    "LEFT JOIN LATERAL (SELECT d.id, d.letter_number, d.apology_deadline, "
    f"{_REACHED.format(letter='d')} AS reached_at, "
    "(SELECT max(dv.version) FROM apology_letter_versions dv WHERE dv.letter_id = d.id) "
    "AS version FROM apology_letters d WHERE d.dossier_id = p.dossier_id "
    "AND d.status = 'issued' ORDER BY d.episode DESC LIMIT 1) dl ON true "
    "LEFT JOIN LATERAL (SELECT n.channel, n.state, n.reason, n.print_batch_id IS NOT NULL "
    "AS in_batch, CASE n.state WHEN 'delivered' THEN n.delivered_at "
    "  WHEN 'failed_temporary' THEN n.failed_at WHEN 'failed_permanent' THEN n.failed_at "
    "  ELSE n.sent_at END AS at, f.channel AS failed_channel, f.reason AS failed_reason "
    "FROM letter_notices n LEFT JOIN letter_notices f ON f.id = n.follows_notice_id "
    "WHERE n.letter_id = dl.id AND n.letter_version = dl.version "
    "ORDER BY n.created_at DESC, n.follows_notice_id IS NOT NULL DESC, n.id LIMIT 1) dn ON true"
)
"""The row's latest issued letter (any episode: a rescheduled dossier's too) and the latest
notice of its latest version, with the notice whose permanent failure it follows."""
_DELIVERY_COLUMNS = (
    ", dl.letter_number AS d_letter_number, dl.apology_deadline AS d_apology_deadline, "
    "dl.reached_at AS d_reached_at, dn.channel AS d_channel, dn.state AS d_state, "
    "dn.reason AS d_reason, dn.at AS d_at, coalesce(dn.in_batch, false) AS d_in_batch, "
    "dn.failed_channel AS d_failed_channel, dn.failed_reason AS d_failed_reason "
)
# The letter's latest version, looked up for the rows shown only (the page's outer query).
_ITEM_OUTER = (
    "SELECT p.dossier_id::text AS dossier_id, p.dossier_code, p.unit_code, p.procedure_code, "
    "p.episode, p.due_at, p.status, p.rescheduled, p.acknowledged_by, p.letter_status, "
    "p.letter_number, p.apology_deadline, p.late_expected_by, "
    "(SELECT o.display_name FROM officers o WHERE o.username = p.acknowledged_by) "
    "AS acknowledged_name, "
    "(SELECT o.display_name FROM officers o WHERE o.username = p.late_expected_by) "
    "AS late_expected_name, "
    "(SELECT max(v.version) FROM apology_letter_versions v WHERE v.letter_id = p.letter_id) "
    f"AS letter_version {_DELIVERY_COLUMNS}"
)


def _item(row: dict[str, Any]) -> BoardItem:
    """A board row, its ``d_`` columns gathered into the letter's delivery."""
    found = {key[2:]: row.pop(key) for key in [k for k in row if k.startswith("d_")]}
    number = found.pop("letter_number")
    delivery = LetterDelivery(letter_number=number, **found) if number else None
    return BoardItem(**row, delivery=delivery)


def _watched(board_filter: BoardFilter) -> list[str]:
    """Which dossiers the view starts from: those on the watch; and a rescheduled one,
    which has left the watch but not its letter, when asked by its code (a citizen on the
    phone) or when its letter has not reached the citizen in time."""
    if board_filter.letter_undelivered:
        return ["w.status IN ('due_soon', 'overdue', 'rescheduled')", _UNDELIVERED]
    if board_filter.dossier_code is not None:
        return ["w.status IN ('due_soon', 'overdue', 'rescheduled')"]
    return ["w.status IN ('due_soon', 'overdue')"]


def _view_conditions(
    officer: Officer, board_filter: BoardFilter, procedure_codes: Sequence[str] | None
) -> tuple[list[str], dict[str, Any]]:
    """The WHERE of the officer's filtered view, status filter and cursor aside (the counts
    ignore both). Only the filters in use are written, so each plan fits its query."""
    conditions, params = _scope_conditions(officer, board_filter, procedure_codes)
    conditions = _watched(board_filter) + conditions
    if board_filter.letter_to_issue:
        conditions.append(LETTER_OWED)
    return conditions, params


def _scope_conditions(
    officer: Officer, board_filter: BoardFilter, procedure_codes: Sequence[str] | None
) -> tuple[list[str], dict[str, Any]]:
    """Where the view looks: the officer's subtree (and the unit asked), the procedures,
    the code typed; which rows of it count is :func:`_watched`'s and the letter filter's."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    # The subtree rule holds whatever unit is asked for: the officer's unit (or a retired
    # unit it carries on) and the unit asked (or one it carries on) are on the path.
    conditions.append("w.unit_path && %(scope)s::text[]")
    params["scope"] = officer.scope
    asked = board_filter.unit_code
    if asked and asked != officer.unit_code:
        conditions.append("w.unit_path && %(asked)s::text[]")
        params["asked"] = [asked, *board_filter.carried_units]
    if board_filter.field_code is not None and procedure_codes is None:
        # Unresolved, the field would silently narrow nothing: a caller's mistake.
        raise ValueError("a field filter needs its procedure_codes (from the reference data)")
    codes: list[str] | None = None
    if procedure_codes is not None:
        codes = list(dict.fromkeys(procedure_codes))
    if board_filter.procedure_code is not None:
        asked = board_filter.procedure_code
        codes = [asked] if codes is None or asked in codes else []
    if codes is not None and len(codes) == 1:
        conditions.append("w.procedure_code = %(procedure)s")
        params["procedure"] = codes[0]
    elif codes is not None:
        conditions.append("w.procedure_code = ANY(%(procedures)s::text[])")
        params["procedures"] = codes
    if board_filter.dossier_code is not None:
        # A whole code or its beginning; LIKE's wildcards in what was typed match themselves.
        conditions.append("w.dossier_code LIKE %(dossier_code)s")
        escaped = re.sub(r"([\\%_])", r"\\\1", board_filter.dossier_code)
        params["dossier_code"] = f"{escaped}%"
    return conditions, params


def _status_condition(board_filter: BoardFilter, params: dict[str, Any]) -> list[str]:
    if board_filter.status is None:
        return []
    params["status"] = board_filter.status.value
    return ["w.status = %(status)s"]


_KEY = "(w.due_at, w.dossier_code, w.dossier_id)"
_AT_CURSOR = "(%(after_due_at)s, %(after_code)s, %(after_id)s::uuid)"


def _rows_from(
    where: str, params: dict[str, Any], order: str, count: int, db_session: Connection
) -> list[Cursor]:
    """The keys of ``count`` rows of the view in ``order`` (ASC or DESC): an index range,
    never the whole view, so page links cost what a page costs."""
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT w.due_at, w.dossier_code, w.dossier_id::text AS dossier_id "
            f"FROM watched_dossiers w WHERE {where} ORDER BY w.due_at {order}, "
            f"w.dossier_code {order}, w.dossier_id {order} LIMIT %(rows)s",
            {**params, "rows": count},
        ).fetchall()
    return [Cursor(**row) for row in rows]


def _page_starts(
    view: list[str],
    params: dict[str, Any],
    request: BoardRequest,
    position: tuple[int, int],
    db_session: Connection,
) -> dict[int, Cursor]:
    """The cursors of the pages the pager links (``position`` is the current page and the
    page count): page ``n`` starts after the last row of page ``n - 1``, found by walking
    back or forth from the current cursor. The last page is numbered, not linked: walking
    back from the view's end can cross every row a letter filter leaves out (1.5 s at
    100,000 dossiers)."""
    number, count = position
    limit, where = request.limit, " AND ".join(view)
    starts: dict[int, Cursor] = {}
    back = min(PAGE_WINDOW, number - 2)
    if request.cursor is not None and back > 0:
        before = _rows_from(
            f"{where} AND {_KEY} <= {_AT_CURSOR}", params, "DESC", back * limit + 1, db_session
        )
        starts |= {
            number - j: before[j * limit] for j in range(1, back + 1) if j * limit < len(before)
        }
    ahead = min(PAGE_WINDOW, count - number)
    if ahead > 0:
        after = f"{where} AND {_KEY} > {_AT_CURSOR}" if request.cursor is not None else where
        rows = _rows_from(after, params, "ASC", ahead * limit, db_session)
        starts |= {
            number + j: rows[j * limit - 1] for j in range(1, ahead + 1) if j * limit <= len(rows)
        }
    return starts


def _counts_query(
    officer: Officer, request: BoardRequest, procedure_codes: Sequence[str] | None, before: str
) -> str:
    """The counts above the board in one pass over the officer's scope, no join (the
    letter's state is kept on the row): each figure is a FILTER of the view's own rule, "not
    reached in time" of its rule instead of the letter filter (the rows its link lists).
    The same pass says how many rows the status filter keeps and how many precede the
    cursor, which numbers the pages. Parameters are those of :func:`_view_conditions`."""
    board_filter = request.filter
    scope, _ = _scope_conditions(officer, board_filter, procedure_codes)
    own = _watched(board_filter) + ([LETTER_OWED] if board_filter.letter_to_issue else [])
    rule = " AND ".join(own)
    undelivered = " AND ".join(_watched(replace(board_filter, letter_undelivered=True)))
    in_status = " AND ".join([rule, *_status_condition(board_filter, {})])
    return (
        f"SELECT count(*) FILTER (WHERE {rule} AND w.status = 'due_soon') AS due_soon, "
        f"count(*) FILTER (WHERE {rule} AND w.status = 'overdue') AS overdue, "
        f"count(*) FILTER (WHERE {rule} AND {LETTER_OWED}) AS letters_to_issue, "
        f"count(*) FILTER (WHERE {rule}) AS total, "
        f"count(*) FILTER (WHERE {undelivered}) AS letters_undelivered, "
        f"count(*) FILTER (WHERE {in_status}) AS in_view, "
        f"{before.format(rule=in_status)} AS before FROM watched_dossiers w "
        "WHERE w.status IN ('due_soon', 'overdue', 'rescheduled') AND "
        + " AND ".join(scope or ["true"])
    )


def board_page(
    officer: Officer,
    request: BoardRequest,
    *,
    db_session: Connection,
    procedure_codes: Sequence[str] | None = None,
) -> BoardPage:
    """One page of the officer's board, most urgent first (least time left, most overdue),
    with the counts of the whole filtered view.

    ``procedure_codes`` is a field filter resolved by the caller (the field's procedures
    from the reference data); with ``procedure_code`` too, the two intersect. Keyset
    paging: the page starts after the cursor, so rows added in front of it neither shift
    nor repeat what follows.
    """
    conditions, params = _view_conditions(officer, request.filter, procedure_codes)
    status = _status_condition(request.filter, params)
    view_conditions = conditions + status
    page_conditions = list(view_conditions)
    before = "0"
    if request.cursor is not None:
        page_conditions.append(f"{_KEY} > {_AT_CURSOR}")
        before = f"count(*) FILTER (WHERE {{rule}} AND {_KEY} <= {_AT_CURSOR})"
        params.update(
            after_due_at=request.cursor.due_at,
            after_code=request.cursor.dossier_code,
            after_id=request.cursor.dossier_id,
        )
    params["limit"] = request.limit + 1  # one more row says whether a next page exists
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"{_ITEM_OUTER} FROM (SELECT {_ITEM_COLUMNS} {_FROM} "
            f"WHERE {' AND '.join(page_conditions)} {_ORDER} LIMIT %(limit)s) p "
            f"{_DELIVERY_JOIN} ORDER BY p.due_at, p.dossier_code, p.dossier_id",
            params,
        ).fetchall()
        counts = cur.execute(
            _counts_query(officer, request, procedure_codes, before), params
        ).fetchone()
    assert counts is not None
    in_view, preceding = counts.pop("in_view"), counts.pop("before")
    limit = request.limit
    position = (preceding // limit + 1, max(1, -(-in_view // limit)))
    items = [_item(row) for row in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return BoardPage(
        items=items,
        counts=StatusCounts(**counts),
        next_cursor=Cursor(last.due_at, last.dossier_code, last.dossier_id) if last else None,
        page_number=position[0],
        page_count=position[1],
        page_starts=_page_starts(view_conditions, params, request, position, db_session),
    )


def board_export(
    officer: Officer,
    board_filter: BoardFilter,
    *,
    db_session: Connection,
    procedure_codes: Sequence[str] | None = None,
    batch_size: int = 2000,
) -> Iterator[BoardItem]:
    """Every row of the officer's current view (status filter included), in the board's
    order, for the CSV: read through a server-side cursor ``batch_size`` rows at a time,
    so a city's 100,000 rows never sit in memory. The connection is held until the
    iterator is exhausted or closed."""
    conditions, params = _view_conditions(officer, board_filter, procedure_codes)
    conditions += _status_condition(board_filter, params)
    name = f"board_export_{uuid.uuid4().hex}"
    with (
        db_session.transaction(),
        db_session.cursor(name, row_factory=dict_row) as cur,
    ):
        cur.itersize = batch_size
        cur.execute(
            f"{_ITEM_OUTER} FROM (SELECT {_ITEM_COLUMNS} {_FROM} "
            f"WHERE {' AND '.join(conditions)}) p {_DELIVERY_JOIN} "
            "ORDER BY p.due_at, p.dossier_code, p.dossier_id",
            params,
        )
        for row in cur:
            yield _item(row)


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
