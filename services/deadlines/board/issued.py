"""Issued apology letters stay findable after their dossier leaves the board: the letters
of a unit's subtree issued in a month (local time), with who issued them and where each
stands with the citizen, for reprinting and correcting.

:func:`parse_letters_request` is pure (the page's parameters, checked); :func:`issued_letters`
reads PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from motcua.dossier import LOCAL_ZONE
from services.deadlines.board.delivery import LetterDelivery
from services.deadlines.board.query import BoardQueryError
from services.deadlines.officers import Officer

_MONTH = re.compile(r"(20\d{2})-(0[1-9]|1[0-2])")
MAX_LETTERS = 500
"""A month of one province's letters fits; the page says when there were more."""


@dataclass(frozen=True)
class LettersRequest:
    unit_code: str | None
    month: date
    """The first day of the month asked for."""
    carried_units: tuple[str, ...] = ()
    """The retired units the unit asked carries on: their letters are its letters."""

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The month as instants: from its first local midnight to the next month's."""
        start = datetime(self.month.year, self.month.month, 1, tzinfo=LOCAL_ZONE)
        following = date(self.month.year + self.month.month // 12, self.month.month % 12 + 1, 1)
        return start, datetime(following.year, following.month, 1, tzinfo=LOCAL_ZONE)

    @property
    def month_text(self) -> str:
        """``YYYY-MM``, as the month picker writes it."""
        return f"{self.month.year:04d}-{self.month.month:02d}"


def parse_letters_request(params: Mapping[str, str], today: date) -> LettersRequest:
    """``unit`` (a unit code, checked against the subtree by the caller) and ``month``
    (``YYYY-MM``, this month when empty); a malformed month is a :class:`BoardQueryError`."""
    text = params.get("month", "").strip()
    month = today.replace(day=1)
    if text:
        found = _MONTH.fullmatch(text)
        if not found:
            raise BoardQueryError("month", "a month as YYYY-MM")
        month = date(int(found.group(1)), int(found.group(2)), 1)
    unit = params.get("unit", "").strip()[:64] or None
    return LettersRequest(unit, month)


@dataclass(frozen=True)
class IssuedLetter:
    dossier_id: str
    dossier_code: str
    procedure_code: str
    unit_code: str
    episode: int
    """The lateness episode the letter is for: with :attr:`version`, what its links address."""
    letter_number: str
    issued_at: datetime
    issued_by: str
    """The display name of the officer who issued the first version."""
    version: int
    """The latest version (above 1 after corrections)."""
    delivery: LetterDelivery


_LETTERS = (
    "SELECT w.dossier_id::text AS dossier_id, w.dossier_code, w.procedure_code, l.unit_code, "
    "l.episode, l.letter_number, l.issued_at, "
    "coalesce(o.display_name, first.issued_by) AS issued_by, "
    "last.version, l.apology_deadline AS d_apology_deadline, "
    "(SELECT min(CASE WHEN n.state = 'delivered' THEN coalesce(n.delivered_at, n.updated_at) "
    "  ELSE n.sent_at END) FROM letter_notices n WHERE n.letter_id = l.id "
    "  AND n.state IN ('delivered', 'posted')) AS d_reached_at, "
    "dn.channel AS d_channel, dn.state AS d_state, dn.reason AS d_reason, dn.at AS d_at, "
    "coalesce(dn.in_batch, false) AS d_in_batch, dn.failed_channel AS d_failed_channel, "
    "dn.failed_reason AS d_failed_reason "
    "FROM apology_letters l JOIN watched_dossiers w ON w.dossier_id = l.dossier_id "
    "JOIN apology_letter_versions first ON first.letter_id = l.id AND first.version = 1 "
    "LEFT JOIN officers o ON o.username = first.issued_by "
    "JOIN LATERAL (SELECT max(v.version) AS version FROM apology_letter_versions v "
    "  WHERE v.letter_id = l.id) last ON true "
    "LEFT JOIN LATERAL (SELECT n.channel, n.state, n.reason, n.print_batch_id IS NOT NULL "
    "  AS in_batch, CASE n.state WHEN 'delivered' THEN n.delivered_at "
    "  WHEN 'failed_temporary' THEN n.failed_at WHEN 'failed_permanent' THEN n.failed_at "
    "  ELSE n.sent_at END AS at, f.channel AS failed_channel, f.reason AS failed_reason "
    "  FROM letter_notices n LEFT JOIN letter_notices f ON f.id = n.follows_notice_id "
    "  WHERE n.letter_id = l.id AND n.letter_version = last.version "
    "  ORDER BY n.created_at DESC, n.follows_notice_id IS NOT NULL DESC, n.id LIMIT 1) dn "
    "ON true "
    "WHERE l.status = 'issued' AND w.unit_path && %(scope)s::text[] "
    "AND w.unit_path && %(units)s::text[] "
    "AND l.issued_at >= %(start)s AND l.issued_at < %(end)s "
    "ORDER BY l.issued_at DESC, l.id DESC LIMIT %(limit)s"
)
"""The letters issued in the period within the subtree, newest first, each with the latest
notice of its latest version (as the board's rows show delivery)."""


def _letter(row: dict[str, Any]) -> IssuedLetter:
    found = {key[2:]: row.pop(key) for key in [k for k in row if k.startswith("d_")]}
    delivery = LetterDelivery(letter_number=row["letter_number"], **found)
    return IssuedLetter(**row, delivery=delivery)


def issued_letters(
    officer: Officer, request: LettersRequest, *, db_session: Connection
) -> tuple[list[IssuedLetter], bool]:
    """The letters of the officer's subtree (narrowed to ``request.unit_code``'s) issued in
    the month, and whether there were more than :data:`MAX_LETTERS`."""
    units = [request.unit_code, *request.carried_units] if request.unit_code else officer.scope
    start, end = request.bounds
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            _LETTERS,
            {
                "scope": officer.scope,
                "units": units,
                "start": start,
                "end": end,
                "limit": MAX_LETTERS + 1,
            },
        ).fetchall()
    return [_letter(row) for row in rows[:MAX_LETTERS]], len(rows) > MAX_LETTERS
