"""The reports a leader reads, each for one unit subtree and period: the summary (with the
frozen figures and their corrections once the month is closed), the split by child unit,
procedure or field, a time series, the unit ranking and the officers' scores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from services.reporting.figures import (
    Filters,
    GroupBy,
    Scope,
    Tree,
    count,
    count_each,
    derive,
)
from services.reporting.formulas import FORMULA_VERSION, criterion_score, officer_band
from services.reporting.formulas.satisfaction import OFFICER_CRITERIA, officer_score
from services.reporting.periods import Granularity, Period


class UnknownUnit(LookupError):
    """No dossier has named this unit, and intake's catalogue does not know it."""


class OutsideSubtree(PermissionError):
    """The unit is not in the reader's subtree."""


class CannotClose(ValueError):
    """Only a finished month can be closed, and only once."""


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    path: tuple[str, ...]
    today_path: tuple[str, ...] = ()
    """Where its figures are carried in today's tree (empty: the same as ``path``)."""

    @property
    def scope(self) -> Scope:
        return Scope(self.code, len(self.path), len(self.today_path))


def unit_in_subtree(code: str, reader_unit: str, *, db_session: Connection) -> Unit:
    """The unit, when the reader's unit is above it as the tree was or as it is today (the
    successor's leaders read their predecessors)."""
    row = db_session.execute(
        "SELECT code, name, unit_path, today_path FROM units WHERE code = %s", (code,)
    ).fetchone()
    if row is None:
        if code == reader_unit:
            # No dossier has named the reader's own unit yet (every ancestor of a counted
            # dossier is in ``units``): its report is empty, not an error.
            return Unit(code, code, (code,))
        raise UnknownUnit(code)
    unit = Unit(row[0], row[1], tuple(row[2]), tuple(row[3]))
    if reader_unit not in unit.path and reader_unit not in unit.today_path:
        raise OutsideSubtree(code)
    return unit


def _catalogue(db_session: Connection) -> dict[str, int]:
    row = db_session.execute(
        "SELECT count(*) FILTER (WHERE online_level IN ('full', 'partial')), count(*) "
        "FROM procedures"
    ).fetchone()
    online, total = row if row else (0, 0)
    return {"procedures_online": int(online), "procedures": int(total)}


def _figures(counts: dict[str, int], catalogue: dict[str, int]) -> dict[str, Any]:
    return {"counts": counts, "figures": derive(counts, **catalogue)}


def with_figures(counts: dict[str, int], *, db_session: Connection) -> dict[str, Any]:
    """Counts beside the figures derived from them, as every report shows them."""
    return _figures(counts, _catalogue(db_session))


def summary(
    unit: Unit, period: Period, *, filters: Filters, now: datetime, db_session: Connection
) -> dict[str, Any]:
    counts = count(unit.scope, period, now=now, filters=filters, db_session=db_session)[""]
    return summary_of(unit, period, counts, filters=filters, now=now, db_session=db_session)


def summary_of(
    unit: Unit,
    period: Period,
    counts: dict[str, int],
    *,
    filters: Filters,
    now: datetime,
    db_session: Connection,
) -> dict[str, Any]:
    """The summary of counts already made (by ``summary``, or added up from a drill-down)."""
    report: dict[str, Any] = {
        "unit": {"code": unit.code, "name": unit.name},
        "period": str(period),
        "tree": filters.tree.value,
        "as_of": now.isoformat(),
        **_figures(counts, _catalogue(db_session)),
        "closed": None,
    }
    if filters == Filters():
        report["closed"] = _closed(unit, period, counts, db_session)
    return report


def _closed(
    unit: Unit, period: Period, live: dict[str, int], db_session: Connection
) -> dict[str, Any] | None:
    """The frozen figures of a closed month, and every count that has moved since (events
    that arrived late for it) as a correction beside them — never a silent change."""
    if period.granularity is not Granularity.MONTH:
        return None
    row = db_session.execute(
        "SELECT closed_at, closed_by, formula_version, figures FROM closed_periods "
        "WHERE period = %s AND unit_code = %s",
        (str(period), unit.code),
    ).fetchone()
    if row is None:
        return None
    frozen: dict[str, int] = row[3]["counts"]
    corrections = {
        name: {
            "frozen": frozen.get(name, 0),
            "now": value,
            "difference": value - frozen.get(name, 0),
        }
        for name, value in live.items()
        if value != frozen.get(name, 0)
    }
    return {
        "closed_at": row[0].isoformat(),
        "closed_by": row[1],
        "formula_version": row[2],
        "frozen": row[3],
        "corrections": corrections,
    }


def close_month(
    unit: Unit, period: Period, *, closed_by: str, now: datetime, db_session: Connection
) -> dict[str, Any]:
    """Freeze a finished month's figures for the unit, with the formula version used."""
    if period.granularity is not Granularity.MONTH:
        raise CannotClose("only a month can be closed (chốt số liệu theo tháng)")
    if period.ends_at > now:
        raise CannotClose(f"{period} is not over yet")
    counts = count(unit.scope, period, now=now, db_session=db_session)[""]
    figures = _figures(counts, _catalogue(db_session))
    inserted = db_session.execute(
        "INSERT INTO closed_periods (period, unit_code, closed_at, closed_by, formula_version, "
        "figures) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (str(period), unit.code, now, closed_by, FORMULA_VERSION, Jsonb(figures)),
    )
    if inserted.rowcount == 0:
        raise CannotClose(f"{period} is already closed for {unit.code}")
    return {"period": str(period), "unit_code": unit.code, "formula_version": FORMULA_VERSION}


def _names(table: str, codes: list[str], db_session: Connection) -> dict[str, str]:
    rows = db_session.execute(
        f"SELECT code, name FROM {table} WHERE code = ANY(%s)",
        (codes,),
    )
    return dict(rows.fetchall())


def breakdown(
    unit: Unit,
    period: Period,
    group_by: GroupBy,
    *,
    filters: Filters,
    now: datetime,
    db_session: Connection,
) -> list[dict[str, Any]]:
    """One row per child unit (the unit's own dossiers as its own row), procedure or field."""
    groups = count(
        unit.scope, period, now=now, group_by=group_by, filters=filters, db_session=db_session
    )
    return breakdown_of(groups, group_by, db_session=db_session)


def breakdown_of(
    groups: dict[str, dict[str, int]], group_by: GroupBy, *, db_session: Connection
) -> list[dict[str, Any]]:
    """The rows of a drill-down's counts already made, named, in key order."""
    keys = sorted(groups)
    table = {GroupBy.UNIT: "units", GroupBy.PROCEDURE: "procedures"}.get(group_by)
    names = _names(table, keys, db_session) if table else {}
    catalogue = _catalogue(db_session)
    return [
        {"key": key, "name": names.get(key, key), **_figures(groups[key], catalogue)}
        for key in keys
    ]


def time_series(
    unit: Unit, periods: list[Period], *, filters: Filters, now: datetime, db_session: Connection
) -> list[dict[str, Any]]:
    catalogue = _catalogue(db_session)
    each = count_each(unit.scope, periods, now=now, filters=filters, db_session=db_session)
    return [
        {"period": str(period), **_figures(counts[""], catalogue)}
        for period, counts in zip(periods, each, strict=True)
    ]


def ranking(
    unit: Unit,
    period: Period,
    *,
    min_answers: int,
    now: datetime,
    tree: Tree = Tree.TODAY,
    db_session: Connection,
) -> list[dict[str, Any]]:
    """The child units by their Thông tư 01/2018 total, then satisfaction, in the reading
    asked (today's units or the tree as it was)."""
    rows = breakdown(
        unit, period, GroupBy.UNIT, filters=Filters(tree=tree), now=now, db_session=db_session
    )
    return rank(unit, rows, min_answers=min_answers)


def rank(unit: Unit, rows: list[dict[str, Any]], *, min_answers: int) -> list[dict[str, Any]]:
    """Rank a unit's drill-down rows; a child with fewer than ``min_answers`` valid
    answers is listed as not ranked, never ranked low (the unit's own row is left out)."""
    rows = [r for r in rows if r["key"] != unit.code]
    ranked = [r for r in rows if r["counts"]["ratings_valid"] >= min_answers]
    ranked.sort(
        key=lambda r: (
            -(r["figures"]["agency_total"] or 0),
            -(r["figures"]["satisfaction_rate"] or 0),
            r["key"],
        )
    )
    out = [{**r, "rank": i, "ranked": True} for i, r in enumerate(ranked, start=1)]
    out += [
        {**r, "rank": None, "ranked": False, "reason": "not_enough_answers"}
        for r in rows
        if r["counts"]["ratings_valid"] < min_answers
    ]
    return out


def officers(unit: Unit, period: Period, *, db_session: Connection) -> list[dict[str, Any]]:
    """Each handler's score on criteria 1, 2, 3, 4 and 7 (max 10) from the valid answers
    on the dossiers last assigned to them; handlers are opaque references, not names."""
    columns = ", ".join(
        f"coalesce(sum(r.scores[{n}]), 0) AS p{n}, count(r.scores[{n}]) AS c{n}"
        for n in OFFICER_CRITERIA
    )
    query = (
        f"SELECT d.handler_ref, count(*) AS answers, {columns} FROM ratings r "
        "JOIN dossiers d ON d.dossier_id = r.dossier_id "
        "WHERE r.valid AND r.unit_path @> ARRAY[%(unit)s]::text[] "
        "AND r.submitted_at >= %(start)s AND r.submitted_at < %(end)s "
        "AND d.handler_ref IS NOT NULL GROUP BY d.handler_ref ORDER BY d.handler_ref"
    )
    params = {"unit": unit.code, "start": period.starts_at, "end": period.ends_at}
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    out = []
    for row in rows:
        scores = {n: criterion_score(row[f"p{n}"], row[f"c{n}"]) for n in OFFICER_CRITERIA}
        score = officer_score(scores)
        out.append(
            {
                "handler_ref": row["handler_ref"],
                "answers": row["answers"],
                "criterion_scores": {
                    str(n): None if s is None else float(s) for n, s in scores.items()
                },
                "score": None if score is None else float(score),
                "band": None if score is None else officer_band(score).value,
            }
        )
    return out
