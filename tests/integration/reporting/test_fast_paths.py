"""The fast paths count exactly what the plain recomputation counts: a series counted in
one statement per source against each period counted alone, the leaders' page (the
period and the one before counted together by child unit and added up, the trend's few
counts) against the summary, drill-down and series asked one by one."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from services.reporting import page_values, reports
from services.reporting.figures import Filters, GroupBy, Tree, count, count_each
from services.reporting.periods import Period
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
from tests.integration.reporting.test_counting import november_story
from tests.services.reporting.events import at

MONTHS = [Period.parse(p) for p in ("2026-09", "2026-10", "2026-11", "2026-12")]


def test_the_fast_paths_equal_the_plain_recomputation(
    infra: Infra, reporting_db: str, topics: Topics, province: Province
) -> None:
    events, _ = november_story(province)
    october = [
        province.dossier(commune=i % 2, received_at=at(5 + i, 9, month=10), due_at=at(20, 9, 10))
        for i in range(6)
    ]
    events += [d.received() for d in october]
    events += [
        d.completed(at(12 + i, 9, 10) + timedelta(days=7 * (i % 2)))
        for i, d in enumerate(october[:4])
    ]
    topics.publish(events)
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == len(events), what="stored")

    with psycopg.connect(reporting_db) as conn:
        unit = reports.unit_in_subtree(province.code, province.code, db_session=conn)
        for tree in Tree:
            filters = Filters(tree=tree)
            alone = [
                count(unit.scope, m, now=NOW, filters=filters, db_session=conn) for m in MONTHS
            ]
            together = count_each(unit.scope, MONTHS, now=NOW, filters=filters, db_session=conn)
            assert together == alone
            assert alone[2][""]["received"] == 7
            assert alone[1][""]["received"] == 6
            assert alone[1][""]["in_progress"] == 2

            november = MONTHS[2]
            shown = page_values.report(page_values.Asked(unit, november, filters, NOW, 2), conn)
            plain = reports.summary(unit, november, filters=filters, now=NOW, db_session=conn)
            before = reports.summary(unit, MONTHS[1], filters=filters, now=NOW, db_session=conn)
            assert shown["summary"] == plain
            assert shown["previous_period"] == "2026-10"
            assert shown["changes"] == page_values.changes(plain, before)
            children = reports.breakdown(
                unit, november, GroupBy.UNIT, filters=filters, now=NOW, db_session=conn
            )
            assert shown["ranking"] == reports.rank(unit, children, min_answers=2)
            series = reports.time_series(
                unit,
                [Period.parse(r["period"]) for r in shown["trend"]],
                filters=filters,
                now=NOW,
                db_session=conn,
            )
            for row, full in zip(shown["trend"], series, strict=True):
                assert row["counts"] == {n: full["counts"][n] for n in page_values.TREND_COUNTS}
                assert row["figures"]["satisfaction_rate"] == full["figures"]["satisfaction_rate"]
