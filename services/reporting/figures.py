"""Figures: the measures counted over reporting's facts for one unit subtree and period,
optionally split by child unit, procedure or field, and the rates derived from them.

Counting happens in PostgreSQL, one statement per fact source (``measures.SOURCES``);
every rate is then a formula of ``formulas`` over those counts, so each number on a page
can be shown beside the counts it came from.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from psycopg import Connection

from motcua.contracts import Criterion
from services.reporting.formulas import (
    FORMULA_VERSION,
    agency_band,
    criterion_score,
    portal766,
    satisfaction_rate,
)
from services.reporting.formulas._rates import share
from services.reporting.formulas.timeliness import apology_compliance, apology_delivery_compliance
from services.reporting.measures import MEASURES, OPEN_AT, SOURCES, Measure, Source
from services.reporting.periods import Period


class GroupBy(StrEnum):
    NONE = "none"
    UNIT = "unit"
    PROCEDURE = "procedure"
    FIELD = "field"
    PROVINCE_FIELD = "province_field"
    """``<province>|<field>``: the labels of the business gauges (not offered by the API)."""


class Tree(StrEnum):
    """Which unit tree a report reads: the one of today, or the one of each fact's time."""

    TODAY = "today"
    """Rolled up to today's units: a retired unit's facts are its final successor's
    (``units.today_path``, computed once per catalogue refresh)."""
    THEN = "then"
    """As the tree was: the unit and path the event named (the fact's ``unit_path``)."""


@dataclass(frozen=True)
class Scope:
    """A unit subtree: the unit's code and its depth in the tree (the root is 1), as the
    tree was and in today's tree (the same for a unit whose ancestors all still exist)."""

    unit_code: str
    depth: int
    today_depth: int = 0
    """0: the same as ``depth``."""

    def depth_in(self, tree: Tree) -> int:
        return (self.today_depth or self.depth) if tree is Tree.TODAY else self.depth


@dataclass(frozen=True)
class Filters:
    procedure: str | None = None
    field: str | None = None
    channel: str | None = None
    """The dossier's intake channel (in_person, online, postal)."""
    tree: Tree = Tree.TODAY


TODAY_JOIN = "JOIN units t ON t.code = {a}.unit_path[cardinality({a}.unit_path)]"
"""Each fact's unit in reporting's copy of the tree, whose ``today_path`` rolls it up."""


def path_of(source: Source, tree: Tree) -> str:
    """SQL for a fact's root-first unit path in the reading asked."""
    return "t.today_path" if tree is Tree.TODAY else f"{source.alias}.unit_path"


def _group_expression(group_by: GroupBy, source: Source, tree: Tree) -> str:
    path = path_of(source, tree)
    match group_by:
        case GroupBy.UNIT:
            # A dossier of the unit itself is its own row; deeper ones roll up to the child.
            return f"coalesce({path}[%(depth)s + 1], {path}[%(depth)s])"
        case GroupBy.PROCEDURE:
            return source.procedure_code
        case GroupBy.FIELD:
            return "coalesce(p.field, 'unknown')"
        case GroupBy.PROVINCE_FIELD:
            province = f"coalesce({path}[2], {path}[1])"
            return f"{province} || '|' || coalesce(p.field, 'unknown')"
        case _:
            return "''"


def _facts(source: Source, group_by: GroupBy, filters: Filters) -> str:
    """``FROM … WHERE …`` over the source's facts in the scope, periods and filters."""
    a = source.alias
    joins = [TODAY_JOIN.format(a=a)] if filters.tree is Tree.TODAY else []
    where = [f"{path_of(source, filters.tree)} @> ARRAY[%(unit)s]::text[]"]
    if source.instant:
        where.append(f"{source.instant} >= %(start)s AND {source.instant} < %(end)s")
    else:
        where.append(OPEN_AT)
    if group_by in (GroupBy.FIELD, GroupBy.PROVINCE_FIELD) or filters.field:
        joins.append(f"LEFT JOIN procedures p ON p.code = {source.procedure_code}")
    if filters.field:
        where.append("coalesce(p.field, 'unknown') = %(field)s")
    if filters.procedure:
        where.append(f"{source.procedure_code} = %(procedure)s")
    if filters.channel:
        if source.table == "dossiers":
            where.append(f"{a}.channel = %(channel)s")
        else:
            joins.append(f"JOIN dossiers dc ON dc.dossier_id = {a}.dossier_id")
            where.append("dc.channel = %(channel)s")
    return f"FROM {source.table} {a} {' '.join(joins)} WHERE {' AND '.join(where)}"


def _statement(source: Source, measures: list[Measure], group_by: GroupBy, filters: Filters) -> str:
    columns = ", ".join(f'{m.column()} AS "{m.name}"' for m in measures)
    # Which of the periods asked (from 1): the bucket of the fact's instant among the
    # periods' starts; a snapshot is taken once per period, its index given.
    period = f"width_bucket({source.instant}, %(starts)s)" if source.instant else "%(n)s"
    return (
        f"SELECT {period} AS n, {_group_expression(group_by, source, filters.tree)} AS group_key, "
        f"{columns} {_facts(source, group_by, filters)} GROUP BY n, group_key"
    )


def snapshot_instant(period: Period, now: datetime) -> datetime:
    """An "in progress" figure is taken at the period's end, or now if that is later."""
    return min(period.ends_at, now)


def _params(
    scope: Scope, periods: Sequence[Period], now: datetime, filters: Filters
) -> dict[str, Any]:
    """The named parameters every statement over the facts takes, for ``periods`` one after
    the other (a snapshot's instant ``at`` and index ``n``: the last period's)."""
    if any(a.ends_at != b.starts_at for a, b in pairwise(periods)):
        raise ValueError("periods counted together follow one another")
    return {
        "unit": scope.unit_code,
        "depth": scope.depth_in(filters.tree),
        "start": periods[0].starts_at,
        "end": periods[-1].ends_at,
        "starts": [period.starts_at for period in periods],
        "at": snapshot_instant(periods[-1], now),
        "n": len(periods),
        "procedure": filters.procedure,
        "field": filters.field,
        "channel": filters.channel,
    }


def count(
    scope: Scope,
    period: Period,
    *,
    now: datetime,
    group_by: GroupBy = GroupBy.NONE,
    filters: Filters = Filters(),
    db_session: Connection,
) -> dict[str, dict[str, int]]:
    """Every measure per group key ('' when not split)."""
    return count_each(
        scope, [period], now=now, group_by=group_by, filters=filters, db_session=db_session
    )[0]


def count_each(
    scope: Scope,
    periods: Sequence[Period],
    *,
    now: datetime,
    group_by: GroupBy = GroupBy.NONE,
    filters: Filters = Filters(),
    only: Collection[str] = (),
    db_session: Connection,
) -> list[dict[str, dict[str, int]]]:
    """Every measure per group key of each of ``periods`` (one after the other), in order:
    a source placed by an instant is read once for them all, its facts bucketed by period;
    the snapshot is taken at each period's end. ``only``: just these measures are counted
    (the others stay 0), for a page that shows a few."""
    params = _params(scope, periods, now, filters)
    counts: list[dict[str, dict[str, int]]] = [{} for _ in periods]
    for source in SOURCES.values():
        measures = [
            m for m in MEASURES.values() if m.source == source.name and (not only or m.name in only)
        ]
        if not measures:
            continue
        statement = _statement(source, measures, group_by, filters)
        runs = (
            [params]
            if source.instant
            else [
                {**params, "at": snapshot_instant(period, now), "n": i}
                for i, period in enumerate(periods, start=1)
            ]
        )
        for run in runs:
            cursor = db_session.execute(statement, run)
            names = [column.name for column in cursor.description or ()][2:]
            for row in cursor:
                group = counts[row[0] - 1].setdefault(str(row[1]), dict.fromkeys(MEASURES, 0))
                group.update({n: int(v) for n, v in zip(names, row[2:], strict=True)})
    if group_by is GroupBy.NONE:
        for each in counts:
            each.setdefault("", dict.fromkeys(MEASURES, 0))
    return counts


def add_up(groups: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """A subtree's counts from its drill-down's groups: each fact is in exactly one group
    (a child, or the unit's own row), so every count adds up."""
    return {name: sum(group.get(name, 0) for group in groups.values()) for name in MEASURES}


def combine(months: Sequence[Mapping[str, int]]) -> dict[str, int]:
    """A quarter's or year's counts from its months' counts, in order: what a fact's
    instant places in a month adds up; what is open is taken at the period's end, which is
    its last month's end. The same as counting the longer period from the same facts."""
    totals = dict.fromkeys(MEASURES, 0)
    for name, measure in MEASURES.items():
        if SOURCES[measure.source].instant:
            totals[name] = sum(counts.get(name, 0) for counts in months)
        elif months:
            totals[name] = months[-1].get(name, 0)
    return totals


def dossiers_behind(
    measure: Measure,
    scope: Scope,
    period: Period,
    *,
    now: datetime,
    filters: Filters = Filters(),
    limit: int = 500,
    db_session: Connection,
) -> list[str]:
    """The codes of the dossiers a figure counts (codes only: no personal data)."""
    source = SOURCES[measure.source]
    query = (
        f"SELECT DISTINCT k.dossier_code FROM (SELECT {source.dossier_id} AS dossier_id "
        f"{_facts(source, GroupBy.NONE, filters)} AND ({measure.predicate})) AS hits "
        "JOIN dossiers k ON k.dossier_id = hits.dossier_id "
        "ORDER BY k.dossier_code LIMIT %(limit)s"
    )
    params = {**_params(scope, [period], now, filters), "limit": limit}
    return [row[0] for row in db_session.execute(query, params)]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    """The shares of one group's counts: in time, satisfied, answered, letters sent and
    letters that reached the citizen."""
    finished = counts["finished"]
    return {
        "on_time_rate": _number(
            share(counts["finished_early"] + counts["finished_on_time"], finished)
        ),
        "portal_on_time_rate": _number(
            share(counts["portal_early"] + counts["portal_on_time"], finished)
        ),
        "apology_compliance": _number(
            apology_compliance(counts["late_letter_in_time"], counts["finished_late"])
        ),
        "apology_delivery_compliance": _number(
            apology_delivery_compliance(
                counts["late_letter_reached_in_time"], counts["finished_late"]
            )
        ),
        "satisfaction_rate": _number(
            satisfaction_rate(counts["ratings_satisfied"], counts["ratings_valid"])
        ),
        "satisfaction_766": _number(
            portal766.handling_satisfaction(
                late=counts["finished_late"],
                dissatisfied=counts["ratings_dissatisfied"],
                finished=finished,
            )
        ),
        "response_rate": _number(share(counts["invited_answered"], counts["invited"])),
    }


def _portal_766(
    counts: Mapping[str, int], *, procedures_online: int, procedures: int
) -> list[dict[str, Any]]:
    """Decision 766's groups that counts can score, each with its parts."""
    finished = counts["finished"]
    groups = (
        portal766.timeliness(
            on_time=counts["portal_early"]
            + counts["portal_on_time"]
            + counts["in_progress_on_time"],
            handled=finished + counts["in_progress"],
        ),
        portal766.online_service(
            procedures_online=procedures_online,
            procedures=procedures,
            online_dossiers=counts["received_online"],
            dossiers=counts["received"],
        ),
        portal766.satisfaction(
            followups_on_time=counts["followups_on_time"],
            followups=counts["followups"],
            late=counts["finished_late"],
            dissatisfied=counts["ratings_dissatisfied"],
            finished=finished,
        ),
    )
    return [
        {
            "group": g.name,
            "max_points": float(g.max_points),
            "points": _number(g.points),
            "parts": [
                {"part": p.name, "rate": _number(p.rate), "points": _number(p.points)}
                for p in g.parts
            ],
            "not_computed": list(g.not_computed),
        }
        for g in groups
    ]


def derive(
    counts: Mapping[str, int], *, procedures_online: int = 0, procedures: int = 0
) -> dict[str, Any]:
    """The rates, scores and bands of one group's counts (JSON-ready; None = no data)."""
    scores = {
        n: criterion_score(counts[f"criterion_{n}_points"], counts[f"criterion_{n}_rated"])
        for n in (criterion.number for criterion in Criterion)
    }
    rated = [s for s in scores.values() if s is not None]
    total = sum(rated, Decimal(0)) if rated else None
    return {
        **_rates(counts),
        "criterion_scores": {str(n): _number(s) for n, s in scores.items()},
        "agency_total": _number(total),
        "agency_band": agency_band(total).value if total is not None else None,
        "portal_766": _portal_766(
            counts, procedures_online=procedures_online, procedures=procedures
        ),
        "portal_766_not_computed": portal766.NOT_COMPUTED_GROUPS,
        "formula_version": FORMULA_VERSION,
    }
