"""What the leaders' report page shows of one unit and period, gathered from the reports:
the summary and its change from the previous period, the child units, their ranking, the
months' trend, the three on-time views and the "attention now" panel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import Connection

from motcua.web import TEXTS
from services.reporting import casework, month_counts, reports
from services.reporting.explain import EXPLANATIONS, ON_TIME_VIEWS
from services.reporting.figures import Filters, GroupBy, add_up, combine, count_each, derive
from services.reporting.periods import Granularity, Period, months_of, months_up_to
from services.reporting.wording import Change, change, previous, short_period

SERIES_MONTHS = 12
ATTENTION_ROWS = 5
FOLLOWUPS_WITHIN = timedelta(days=3)
HEADLINE_COUNTS = ("received", "finished", "in_progress_overdue")
HEADLINE_RATES = ("on_time_rate", "satisfaction_rate")
SNAPSHOT_COUNTS = ("in_progress_overdue",)
"""The headline counts not kept per month (a snapshot at the period's end)."""
TREND_COUNTS = ("received", "finished", "finished_late", "ratings_satisfied", "ratings_valid")


@dataclass(frozen=True)
class Asked:
    """The unit, period and filters a page is for, and the instant it is computed at."""

    target: reports.Unit
    period: Period
    filters: Filters
    now: datetime
    min_answers: int


def changes(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Change | None]:
    """The headline figures against the previous period's."""
    out = {n: change(now["counts"][n], before["counts"][n]) for n in HEADLINE_COUNTS}
    out |= {n: change(now["figures"][n], before["figures"][n], rate=True) for n in HEADLINE_RATES}
    return out


def on_time_views(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The legal, the portal's and Decision 766's on-time rates, side by side."""
    figures = summary["figures"]
    timeliness = next(g for g in figures["portal_766"] if g["group"] == "timeliness")
    rates = {
        "on_time_rate": figures["on_time_rate"],
        "portal_on_time_rate": figures["portal_on_time_rate"],
        "timeliness_766": timeliness["parts"][0]["rate"],
    }
    labels = {
        "on_time_rate": TEXTS["reporting_on_time_rate"],
        "portal_on_time_rate": TEXTS["reporting_portal_rate"],
        "timeliness_766": TEXTS["reporting_766_rate"],
    }
    return [
        {
            "name": name,
            "label": labels[name],
            "rate": rate,
            "differs": ON_TIME_VIEWS[name],
            "how": EXPLANATIONS[name],
        }
        for name, rate in rates.items()
    ]


def worst_on_time(children: list[dict[str, Any]], target: reports.Unit) -> list[dict[str, Any]]:
    """Child units with results this period, the lowest legal on-time rate first."""
    rated = [
        c for c in children if c["key"] != target.code and c["figures"]["on_time_rate"] is not None
    ]
    rated.sort(key=lambda c: (c["figures"]["on_time_rate"], c["key"]))
    return [c for c in rated if c["figures"]["on_time_rate"] < 1][:3]


def attention(
    asked: Asked, summary: dict[str, Any], children: list[dict[str, Any]], conn: Connection
) -> dict[str, Any]:
    """What a leader should act on now, whatever the period shown."""
    code = asked.target.code
    return {
        "worst": worst_on_time(children, asked.target),
        "overdue": casework.oldest_overdue(
            code, now=asked.now, limit=ATTENTION_ROWS, db_session=conn
        ),
        "letters_owed": summary["counts"]["overdue_without_letter"],
        "followups": casework.followups_due(
            code, now=asked.now, within=FOLLOWUPS_WITHIN, limit=ATTENTION_ROWS, db_session=conn
        ),
    }


def report(asked: Asked, conn: Connection) -> dict[str, Any]:
    """Everything the report page shows of ``asked``: the period counted by child unit
    (the summary is its groups added up), the period before only for the headline's
    changes, and the trend's few counts for its twelve months."""
    target, period, filters, now = asked.target, asked.period, asked.filters, asked.now
    (groups,) = count_each(
        target.scope, [period], now=now, group_by=GroupBy.UNIT, filters=filters, db_session=conn
    )
    summary = reports.summary_of(
        target, period, add_up(groups), filters=filters, now=now, db_session=conn
    )
    before_counts = previous_counts(asked, conn)
    before = {"counts": before_counts, "figures": derive(before_counts)}
    children = reports.breakdown_of(groups, GroupBy.UNIT, db_session=conn)
    ranking = (
        reports.rank(target, children, min_answers=asked.min_answers)  # counted once
        if filters == Filters(tree=filters.tree)
        else reports.ranking(  # the ranking is of every dossier, whatever the filters
            target,
            period,
            min_answers=asked.min_answers,
            now=now,
            tree=filters.tree,
            db_session=conn,
        )
    )
    shown_trend = trend(asked, conn)
    return {
        "summary": summary,
        "changes": changes(summary, before),
        "previous_period": str(previous(period)),
        "on_time_views": on_time_views(summary),
        "children": [c for c in children if c["key"] != target.code or c["counts"]["received"]],
        "ranking": ranking,
        "trend": shown_trend,
        "chart_json": chart(shown_trend),
        "attention": attention(asked, summary, children, conn),
    }


def _unfiltered(asked: Asked) -> bool:
    return asked.filters == Filters(tree=asked.filters.tree)


def previous_counts(asked: Asked, conn: Connection) -> dict[str, int]:
    """The previous period's counts its headline changes compare with: unfiltered months,
    quarters and years from the counts kept per month, the overdue snapshot counted."""
    period = previous(asked.period)
    scope, now, filters = asked.target.scope, asked.now, asked.filters
    if not _unfiltered(asked) or period.granularity is Granularity.DAY:
        return count_each(scope, [period], now=now, filters=filters, db_session=conn)[0][""]
    kept = month_counts.kept_counts(scope, months_of(period), tree=filters.tree, db_session=conn)
    (snapshot,) = count_each(
        scope, [period], now=now, filters=filters, only=SNAPSHOT_COUNTS, db_session=conn
    )
    return combine(kept) | {name: snapshot[""][name] for name in SNAPSHOT_COUNTS}


def trend(asked: Asked, conn: Connection) -> list[dict[str, Any]]:
    """The twelve months' received, finished, late and satisfaction, as the page's table
    and charts show them (the series API gives every figure)."""
    months = months_up_to(asked.period, asked.now, SERIES_MONTHS)
    each = (
        [  # unfiltered: the counts kept per unit and month
            {"": counts}
            for counts in month_counts.kept_counts(
                asked.target.scope, months, tree=asked.filters.tree, db_session=conn
            )
        ]
        if _unfiltered(asked)
        else count_each(
            asked.target.scope,
            months,
            now=asked.now,
            filters=asked.filters,
            only=TREND_COUNTS,
            db_session=conn,
        )
    )
    return [
        {
            "period": str(month),
            "counts": {name: counts[""][name] for name in TREND_COUNTS},
            "figures": {"satisfaction_rate": derive(counts[""])["satisfaction_rate"]},
        }
        for month, counts in zip(months, each, strict=True)
    ]


def chart(trend: list[dict[str, Any]]) -> str:
    """The trend as the page's script draws it (JSON): received and resolved on charts of
    their own, so a few hundred results are not flattened under tens of thousands."""
    return json.dumps(
        {
            "labels": [short_period(Period.parse(row["period"])) for row in trend],
            "received": [row["counts"]["received"] for row in trend],
            "finished": [row["counts"]["finished"] for row in trend],
            "finished_late": [row["counts"]["finished_late"] for row in trend],
            "texts": {
                "received": TEXTS["reporting_chart_received"],
                "finished": TEXTS["reporting_chart_finished_label"],
                "late": TEXTS["reporting_chart_late_label"],
            },
        }
    )
