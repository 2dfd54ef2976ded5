"""The leaders' page's trend and previous period read from the counts kept per unit path
and month (migration ``0009.month_counts``: ``dossier_months`` and ``rating_months``,
changed by triggers on the facts in the facts' own transaction), so twelve months read a
few thousand rows instead of a year of facts. Exactly what ``figures.count_each`` counts for
the same measures, unfiltered, in either reading of the tree."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import Connection

from services.reporting.figures import TODAY_JOIN, Scope, Tree
from services.reporting.measures import MEASURES
from services.reporting.periods import Period

KEPT = {
    "dossier_months": (
        "received",
        "finished",
        "finished_early",
        "finished_on_time",
        "finished_late",
    ),
    "rating_months": ("ratings_valid", "ratings_satisfied"),
}
"""The counts each table keeps (every one a measure of ``measures.MEASURES``)."""
NAMES = tuple(name for names in KEPT.values() for name in names)


def _statement(table: str, tree: Tree) -> str:
    columns = ", ".join(f"sum(m.{name})" for name in KEPT[table])
    # A kept row is joined to its unit as a fact is: by its path's last element.
    join = TODAY_JOIN.format(a="m") if tree is Tree.TODAY else ""
    path = "t.today_path" if tree is Tree.TODAY else "m.unit_path"
    return (
        f"SELECT m.month, {columns} FROM {table} m {join} "
        f"WHERE {path} @> ARRAY[%(unit)s]::text[] AND m.month = ANY(%(months)s::date[]) "
        "GROUP BY m.month"
    )


def kept_counts(
    scope: Scope, months: Sequence[Period], *, tree: Tree, db_session: Connection
) -> list[dict[str, int]]:
    """Every measure (those not kept stay 0) of each of ``months`` (months, as
    ``periods.months_up_to`` gives them), in order."""
    counts = [dict.fromkeys(MEASURES, 0) for _ in months]
    index = {month.start: i for i, month in enumerate(months)}
    params = {"unit": scope.unit_code, "months": list(index)}
    for table, names in KEPT.items():
        for row in db_session.execute(_statement(table, tree), params):
            counts[index[row[0]]].update(
                {name: int(value) for name, value in zip(names, row[1:], strict=True)}
            )
    return counts
