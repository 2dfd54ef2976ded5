"""The worker's figures for Prometheus: the whole database's (exported by one worker, the
leader, so a sum over workers does not count them twice) and this worker's consumer lag.

The figures are a timer's, and an exception out of a Faust timer stops the whole worker:
a PostgreSQL restart once took a deadlines worker down for good that way (chaos run 48).
The figures keep their last values while the database is away; the next round after it
returns brings them up to date."""

from __future__ import annotations

import logging
from typing import Any

from psycopg import OperationalError
from psycopg_pool import PoolTimeout

from motcua.outage import Outage
from services.deadlines.board.service import compliance, compliance_by_unit
from services.deadlines.database import Database
from services.deadlines.metrics import (
    CONSUMER_LAG,
    LATE_WITHOUT_LETTER,
    LETTERS,
    LETTERS_ISSUED_LATE,
    OVERDUE_NOW,
)

_database = Outage("PostgreSQL", logging.getLogger("motcua.deadlines.figures"))


async def export_figures(db: Database, outage: Outage = _database) -> None:
    try:
        figures = await db.run(compliance)
        by_unit = await db.run(compliance_by_unit)
    except (OperationalError, PoolTimeout) as exc:
        outage.failed(exc)
        return
    outage.recovered()
    OVERDUE_NOW.set(figures.overdue)
    LATE_WITHOUT_LETTER.clear()
    LETTERS_ISSUED_LATE.clear()
    for unit in by_unit:
        LATE_WITHOUT_LETTER.labels(unit.unit_code).set(unit.late_without_letter)
        LETTERS_ISSUED_LATE.labels(unit.unit_code).set(unit.letters_issued_late)
    LETTERS.labels("draft").set(figures.letters_draft)
    LETTERS.labels("issued").set(figures.letters_issued)


def export_consumer_lag(consumer: Any) -> None:
    """This worker's partitions only; those a rebalance took away disappear."""
    CONSUMER_LAG.clear()
    for tp in consumer.assignment():
        position = consumer._read_offset.get(tp)
        highwater = consumer.highwater(tp)
        if highwater is not None:
            behind = highwater - (position + 1 if position is not None else 0)
            CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, behind))
