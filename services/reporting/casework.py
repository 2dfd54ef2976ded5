"""What a leader acts on, read from reporting's own facts: the dossiers behind a figure with
their procedure, appointment, days late, apology letter and officer; one dossier's timeline
(its lifecycle steps as projected in ``dossier_steps``, its letters, their notices, its
rating and follow-ups); and the "attention now" lists — the oldest overdue
dossiers and the follow-ups coming due."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

LETTER_STATES = ("none", "owed", "issued_in_time", "issued_late", "reached", "undelivered")
"""Where a dossier's apology letter stands: not needed, owed (late with none), issued in
time or late, reached the citizen, or every notice failed for good."""

_ROWS = """
SELECT d.dossier_code AS code, d.procedure_code, coalesce(p.name, d.procedure_code) AS procedure,
       d.unit_code, coalesce(u.name, d.unit_code) AS unit, d.received_at, d.due_at,
       d.receipt_due_at,
       d.finished_at, d.state, d.handler_ref,
       greatest(0, ceil(extract(epoch FROM (coalesce(d.finished_at, %(now)s) - d.due_at))
                / 86400))::int AS days_late,
       CASE
         WHEN a.issued_at IS NULL THEN
           CASE WHEN d.legal_finish = 'late'
                  OR (d.finished_at IS NULL AND d.ended_at IS NULL AND d.due_at < %(now)s)
                THEN 'owed' ELSE 'none' END
         WHEN n.reached THEN 'reached'
         WHEN n.failed THEN 'undelivered'
         WHEN a.in_time THEN 'issued_in_time'
         ELSE 'issued_late'
       END AS letter
FROM dossiers d
LEFT JOIN procedures p ON p.code = d.procedure_code
LEFT JOIN units u ON u.code = d.unit_code
LEFT JOIN LATERAL (SELECT max(issued_at) AS issued_at, bool_or(in_time) AS in_time
                   FROM apologies x WHERE x.dossier_id = d.dossier_id) a ON true
LEFT JOIN LATERAL (SELECT bool_or(reached_in_time) AS reached,
                          bool_and(state = 'failed_permanent') AS failed
                   FROM apology_notices y WHERE y.dossier_id = d.dossier_id) n ON true
WHERE (d.unit_path @> ARRAY[%(unit)s]::text[] OR u.today_path @> ARRAY[%(unit)s]::text[])
"""
"""A dossier is in a unit's subtree as the tree was or as it is today: a successor's
leaders act on the dossiers of the units it took over."""


def dossier_rows(
    codes: Sequence[str], unit_code: str, *, now: datetime, db_session: Connection
) -> list[dict[str, Any]]:
    """The rows of the dossiers ``codes`` in ``unit_code``'s subtree, in the given order."""
    query = _ROWS + " AND d.dossier_code = ANY(%(codes)s)"
    params = {"now": now, "unit": unit_code, "codes": list(codes)}
    with db_session.cursor(row_factory=dict_row) as cur:
        found = {row["code"]: row for row in cur.execute(query, params)}
    return [found[code] for code in codes if code in found]


def oldest_overdue(
    unit_code: str, *, now: datetime, limit: int, db_session: Connection
) -> list[dict[str, Any]]:
    """The dossiers still open past their appointment, the longest overdue first."""
    query = (
        _ROWS + " AND d.finished_at IS NULL AND d.ended_at IS NULL AND d.due_at < %(now)s "
        "ORDER BY d.due_at, d.dossier_code LIMIT %(limit)s"
    )
    with db_session.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, {"now": now, "unit": unit_code, "limit": limit}).fetchall()


def followups_due(
    unit_code: str, *, now: datetime, within: timedelta, limit: int, db_session: Connection
) -> list[dict[str, Any]]:
    """Follow-ups of unhappy answers still open and due within ``within`` (or overdue)."""
    query = (
        "SELECT k.dossier_code AS code, f.opened_at, f.due_at, f.due_at < %(now)s AS overdue "
        "FROM followups f JOIN dossiers k ON k.dossier_id = f.dossier_id "
        "WHERE f.unit_path @> ARRAY[%(unit)s]::text[] AND f.closed_at IS NULL "
        "AND f.due_at < %(until)s ORDER BY f.due_at LIMIT %(limit)s"
    )
    params = {"now": now, "until": now + within, "unit": unit_code, "limit": limit}
    with db_session.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


@dataclass(frozen=True)
class Step:
    """One moment of a dossier's timeline: when, what (a key of the page's texts), detail."""

    at: datetime
    what: str
    detail: str = ""


def timeline(code: str, unit_code: str, *, db_session: Connection) -> list[Step] | None:
    """What reporting knows happened to dossier ``code`` (None when it is not in the
    reader's subtree), in time order."""
    with db_session.cursor(row_factory=dict_row) as cur:
        fact = cur.execute(
            "SELECT d.* FROM dossiers d JOIN units u ON u.code = d.unit_code "
            "WHERE d.dossier_code = %(code)s AND (d.unit_path @> ARRAY[%(unit)s]::text[] "
            "OR u.today_path @> ARRAY[%(unit)s]::text[])",
            {"code": code, "unit": unit_code},
        ).fetchone()
        if fact is None:
            return None
        dossier_id = fact["dossier_id"]
        letters = cur.execute(
            "SELECT issued_at, letter_number, in_time FROM apologies WHERE dossier_id = %s",
            (dossier_id,),
        ).fetchall()
        notices = cur.execute(
            "SELECT occurred_at, channel, state FROM apology_notices WHERE dossier_id = %s",
            (dossier_id,),
        ).fetchall()
        answers = cur.execute(
            "SELECT submitted_at, overall, valid FROM ratings WHERE dossier_id = %s",
            (dossier_id,),
        ).fetchall()
        followups = cur.execute(
            "SELECT opened_at, closed_at FROM followups WHERE dossier_id = %s", (dossier_id,)
        ).fetchall()
        projected = cur.execute(
            "SELECT at, step, detail FROM dossier_steps WHERE dossier_id = %s ORDER BY sequence",
            (dossier_id,),
        ).fetchall()
    steps = [Step(r["at"], r["step"], r["detail"] or "") for r in projected]
    steps = steps or _dossier_steps(fact)
    steps += [
        Step(
            r["issued_at"], "letter_in_time" if r["in_time"] else "letter_late", r["letter_number"]
        )
        for r in letters
    ]
    steps += [Step(r["occurred_at"], f"notice_{r['state']}", r["channel"]) for r in notices]
    steps += [Step(r["submitted_at"], "rated", r["overall"] or "") for r in answers if r["valid"]]
    steps += [Step(r["opened_at"], "followup_opened") for r in followups]
    steps += [Step(r["closed_at"], "followup_closed") for r in followups if r["closed_at"]]
    return sorted(steps, key=lambda s: s.at)


def _dossier_steps(fact: dict[str, Any]) -> list[Step]:
    """A dossier's steps read off its fact, for one projected before ``dossier_steps``
    existed: the receipt, the latest supplement request, the result, its return, an end."""
    steps = [Step(fact["received_at"], "received", fact["channel"])]
    if fact["supplement_since"] is not None:
        steps.append(Step(fact["supplement_since"], "supplement_requested"))
    if fact["finished_at"] is not None:
        steps.append(Step(fact["finished_at"], "completed", fact["outcome"] or ""))
    if fact["returned_at"] is not None:
        steps.append(Step(fact["returned_at"], "returned", fact["returned_channel"] or ""))
    if fact["ended_at"] is not None:
        steps.append(Step(fact["ended_at"], fact["state"]))
    return steps


def particulars(
    code: str, unit_code: str, *, now: datetime, db_session: Connection
) -> dict[str, Any] | None:
    """The drill-down row of one dossier (procedure, appointment, letter, officer)."""
    rows = dossier_rows([code], unit_code, now=now, db_session=db_session)
    return rows[0] if rows else None
