"""What is published (công khai): each unit's figures for the months leaders closed, and
for the quarters and years all of whose months are closed — figures that can no longer
change — for units no deeper than the department's setting. Never a dossier's code, a
handler or a citizen: counts and rates of a unit only.

A month's figures are the ones frozen when it was closed (what the leaders' summary shows
as ``closed.frozen``); a quarter's or year's are derived, with the same formulas, from its
months' frozen counts (:func:`figures.combine`). A unit's rank is the leaders' ranking
rule (:func:`reports.rank`) among its siblings published for the same period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection

from services.reporting import reports
from services.reporting.figures import combine
from services.reporting.periods import Granularity, InvalidPeriod, Period, months_of, whole_periods
from services.reporting.wording import period_name

COUNTS = ("received", "finished", "finished_late", "ratings_valid", "invited", "invited_answered")
FIGURES = (
    "on_time_rate",
    "apology_compliance",
    "satisfaction_rate",
    "satisfaction_766",
    "agency_total",
    "agency_band",
    "response_rate",
)
"""What a published period shows: received, on time, apologies, satisfaction three ways
(valid answers, Quyết định 766, Thông tư 01/2018's total) and the response rate."""


class NotPublished(LookupError):
    """No such unit, a unit deeper than published, a period not (wholly) closed, or a day."""


@dataclass(frozen=True)
class Closed:
    """One unit's published period: its counts and figures, and when it was last closed."""

    counts: dict[str, int]
    figures: dict[str, Any]
    closed_at: datetime


def published_period(text: str) -> Period:
    try:
        period = Period.parse(text)
    except InvalidPeriod:
        raise NotPublished(f"{text!r} is not a month, quarter or year") from None
    if period.granularity is Granularity.DAY:
        raise NotPublished("days are not published, only closed months, quarters and years")
    return period


def published_unit(code: str, deepest: int, *, db_session: Connection) -> reports.Unit:
    row = db_session.execute(
        "SELECT code, name, unit_path FROM units WHERE code = %s "
        "AND array_length(unit_path, 1) <= %s",
        (code, deepest),
    ).fetchone()
    if row is None:
        raise NotPublished(f"unit {code} is not published")
    return reports.Unit(row[0], row[1], tuple(row[2]))


def closed_figures(
    codes: list[str], period: Period, *, db_session: Connection
) -> dict[str, Closed]:
    """The units among ``codes`` whose every month of ``period`` is closed."""
    months = [str(m) for m in months_of(period)]
    rows = db_session.execute(
        "SELECT unit_code, period, closed_at, figures FROM closed_periods "
        "WHERE unit_code = ANY(%s) AND period = ANY(%s) ORDER BY unit_code, period",
        (codes, months),
    ).fetchall()
    by_unit: dict[str, list[tuple[datetime, dict[str, Any]]]] = {}
    for unit_code, _, closed_at, frozen in rows:
        by_unit.setdefault(unit_code, []).append((closed_at, frozen))
    out = {}
    for unit_code, closed in by_unit.items():
        if len(closed) != len(months):
            continue
        last = max(at for at, _ in closed)
        if period.granularity is Granularity.MONTH:
            frozen = closed[0][1]
        else:
            counts = combine([f["counts"] for _, f in closed])
            frozen = reports.with_figures(counts, db_session=db_session)
        out[unit_code] = Closed(frozen["counts"], frozen["figures"], last)
    return out


def _siblings(unit: reports.Unit, *, db_session: Connection) -> list[tuple[str, str]]:
    depth = len(unit.path)
    rows = db_session.execute(
        "SELECT code, name FROM units WHERE array_length(unit_path, 1) = %s "
        "AND unit_path[1:%s] = %s::text[] ORDER BY code",
        (depth, depth - 1, list(unit.path[:-1])),
    ).fetchall()
    return [(row[0], row[1]) for row in rows]


def _rank(
    unit: reports.Unit, period: Period, min_answers: int, *, db_session: Connection
) -> dict[str, Any] | None:
    """The unit's place among its published siblings (None for a unit with no parent)."""
    if len(unit.path) < 2:
        return None
    siblings = dict(_siblings(unit, db_session=db_session))
    closed = closed_figures(list(siblings), period, db_session=db_session)
    rows = [{"key": c, "counts": f.counts, "figures": f.figures} for c, f in closed.items()]
    parent = reports.Unit(unit.path[-2], unit.path[-2], unit.path[:-1])
    ranked = reports.rank(parent, rows, min_answers=min_answers)
    own = next(r for r in ranked if r["key"] == unit.code)
    return {
        "rank": own["rank"],
        "of": sum(1 for r in ranked if r["ranked"]),
        "among": parent.code,
        "min_answers": min_answers,
    }


def published(
    unit: reports.Unit, period: Period, *, min_answers: int, db_session: Connection
) -> dict[str, Any]:
    """The open data of one unit and period (JSON-ready)."""
    own = closed_figures([unit.code], period, db_session=db_session).get(unit.code)
    if own is None:
        raise NotPublished(f"{period} is not closed for {unit.code}")
    return {
        "unit": {"code": unit.code, "name": unit.name},
        "period": str(period),
        "period_name": period_name(period),
        "closed_at": own.closed_at.isoformat(),
        "formula_version": own.figures["formula_version"],
        "counts": {name: own.counts[name] for name in COUNTS},
        "figures": {name: own.figures[name] for name in FIGURES},
        "rank": _rank(unit, period, min_answers, db_session=db_session),
    }


def csv_rows(body: dict[str, Any]) -> list[list[Any]]:
    """The open data as one header and one row, named as in the JSON."""
    rank = body["rank"] or {}
    values: dict[str, Any] = {
        "unit_code": body["unit"]["code"],
        "unit_name": body["unit"]["name"],
        "period": body["period"],
        "closed_at": body["closed_at"],
        "formula_version": body["formula_version"],
        **body["counts"],
        **body["figures"],
        "rank": rank.get("rank"),
        "ranked_units": rank.get("of"),
    }
    return [list(values), ["" if v is None else v for v in values.values()]]


def catalogue(deepest: int, *, db_session: Connection) -> list[dict[str, Any]]:
    """Every published unit, root first, with its published periods (newest first)."""
    rows = db_session.execute(
        "SELECT u.code, u.name, u.unit_path, array_agg(c.period) FROM units u "
        "JOIN closed_periods c ON c.unit_code = u.code "
        "WHERE array_length(u.unit_path, 1) <= %s "
        "GROUP BY u.code, u.name, u.unit_path ORDER BY u.unit_path",
        (deepest,),
    ).fetchall()
    return [
        {
            "code": code,
            "name": name,
            "parent": path[-2] if len(path) > 1 else None,
            "depth": len(path),
            "periods": [str(p) for p in whole_periods({Period.parse(m) for m in months})],
        }
        for code, name, path, months in rows
    ]
