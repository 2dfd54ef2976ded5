"""The counts kept per unit path and month (``dossier_months``, ``rating_months``, changed
by triggers in the facts' own transaction) equal the plain count over the facts: several
units, a commune merged in a chain, history landing in a month already closed, a batch
delivered twice, a fact changed by a later event, both readings of the tree. Through the
real consumer, Kafka and PostgreSQL."""

from __future__ import annotations

import psycopg

from motcua.contracts import History
from services.reporting import month_counts, page_values, reports
from services.reporting.figures import Filters, Tree, count_each, derive
from services.reporting.periods import Period, months_up_to
from services.reporting.wording import previous
from tests.conftest import Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    NOW,
    Province,
    Topics,
    consumer_for,
    consuming,
    stored_offsets,
)
from tests.integration.reporting.test_merged_units import (
    _consume,
    _merged_tree,
    _merged_units,
    _refresh,
)
from tests.services.reporting.events import ROOT, Dossier, at

NOVEMBER = Period.parse("2026-11")
KEPT = list(month_counts.NAMES)


def _story(province: Province) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """November's work at two communes (one finished on time, one late, rated), then the
    history of a merged commune's October and September, with November's batch again."""
    first, old = _merged_tree(province)
    base = (ROOT, province.code)
    now = [
        province.dossier(commune=i % 2, received_at=at(3 + i, 9), due_at=at(10 + i, 9))
        for i in range(4)
    ]
    work = [d.received() for d in now]
    work += [now[0].completed(at(8, 9)), now[1].completed(at(20, 9))]
    work += [now[0].rated(at(9, 9)), now[1].rated(at(21, 9), "dissatisfied")]
    work += [now[2].rated(at(22, 9), valid=False)]
    olds = [
        Dossier(
            unit_path=(*base, old),
            received_at=at(5 + i, 9, month=10),
            due_at=at(12, 9, month=10),
            history=History.CLOSED,
        )
        for i in range(2)
    ]
    older = Dossier(
        unit_path=(*base, first),
        received_at=at(28, 9, month=9),
        due_at=at(5, 9, month=10),
        history=History.CLOSED,
    )
    history = [d.received() for d in (*olds, older)]
    history += [olds[0].completed(at(20, 9, month=10)), older.completed(at(2, 9, month=10))]
    history += [olds[0].rated(at(21, 9, month=10), "satisfied")]
    # A later event changes a fact already counted: November's third dossier finishes.
    return work, [*history, *work, now[2].completed(at(9, 9))]


def _trend(conn: psycopg.Connection, code: str, province: str, tree: Tree) -> list[dict[str, int]]:
    unit = reports.unit_in_subtree(code, province, db_session=conn)
    months = months_up_to(NOVEMBER, NOW, 12)
    kept = month_counts.kept_counts(unit.scope, months, tree=tree, db_session=conn)
    counted = count_each(
        unit.scope, months, now=NOW, filters=Filters(tree=tree), only=KEPT, db_session=conn
    )
    assert [{n: k[n] for n in KEPT} for k in kept] == [{n: c[""][n] for n in KEPT} for c in counted]
    return kept


def _changes_equal_the_plain_ones(
    conn: psycopg.Connection, code: str, province: str, tree: Tree
) -> None:
    """The page's previous period (kept months added up, the snapshot counted) gives the
    headline changes the full summaries give: a month after a closed one, a quarter."""
    unit = reports.unit_in_subtree(code, province, db_session=conn)
    filters = Filters(tree=tree)
    for period in (NOVEMBER, Period.parse("2026-Q4")):
        asked = page_values.Asked(unit, period, filters, NOW, 2)
        kept = page_values.previous_counts(asked, conn)
        plain = reports.summary(unit, previous(period), filters=filters, now=NOW, db_session=conn)
        now = reports.summary(unit, period, filters=filters, now=NOW, db_session=conn)
        before = {"counts": kept, "figures": derive(kept)}
        assert page_values.changes(now, before) == page_values.changes(now, plain)
        assert page_values.report(asked, conn)["changes"] == page_values.changes(now, plain)


def test_the_kept_month_counts_equal_the_plain_count(
    infra: Infra, reporting_db: str, topics: Topics, province: Province
) -> None:
    first, old = _merged_tree(province)
    successor = province.communes[0]
    work, later = _story(province)
    _consume(infra, reporting_db, topics, work)
    with psycopg.connect(reporting_db) as conn:
        unit = reports.unit_in_subtree(province.code, province.code, db_session=conn)
        reports.close_month(
            unit, Period.parse("2026-10"), closed_by="test", now=NOW, db_session=conn
        )
    topics.publish(later)
    with consuming(consumer_for(infra, reporting_db, topics)):
        total = len(work) + len(later)
        wait_for(lambda: stored_offsets(reporting_db, topics) == total, what="stored")
    _refresh(reporting_db, _merged_units(province))

    with psycopg.connect(reporting_db) as conn:
        codes = (province.code, successor, province.communes[1], old, first)
        trends = {(c, t): _trend(conn, c, province.code, t) for c in codes for t in Tree}
        # Months from December 2025: September is 9, October 10, November 11.
        sep, october, november = 9, 10, 11
        province_today = trends[province.code, Tree.TODAY]
        assert province_today[november]["received"] == 4  # delivered twice, counted once
        assert province_today[november]["finished"] == 3
        assert province_today[november]["finished_late"] == 1
        assert province_today[november]["ratings_valid"] == 2
        assert province_today[november]["ratings_satisfied"] == 1
        assert province_today[october]["received"] == 2  # history, in its closed month
        assert province_today[october]["finished"] == 2
        assert province_today[october]["ratings_satisfied"] == 1
        assert province_today[sep]["received"] == 1
        assert trends[successor, Tree.TODAY][october]["received"] == 2
        assert trends[successor, Tree.TODAY][sep]["received"] == 1
        assert trends[successor, Tree.THEN][october]["received"] == 0
        assert trends[old, Tree.THEN][october]["received"] == 2
        assert trends[old, Tree.TODAY][october]["received"] == 0
        assert trends[first, Tree.THEN][sep]["received"] == 1

        for tree in Tree:
            asked = page_values.Asked(
                reports.unit_in_subtree(successor, province.code, db_session=conn),
                NOVEMBER,
                Filters(tree=tree),
                NOW,
                2,
            )
            shown = page_values.trend(asked, conn)
            kept = trends[successor, tree]
            assert [r["counts"]["received"] for r in shown] == [k["received"] for k in kept]
            for code in codes:
                _changes_equal_the_plain_ones(conn, code, province.code, tree)
