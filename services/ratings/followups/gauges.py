"""The follow-ups' gauges, read from PostgreSQL when scraped, so every process reports the
same truth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool

from services.ratings.followups.service import counts


class FollowupGauges(Collector):
    """``motcua_ratings_followups_open`` and ``…_overdue``, one query per scrape."""

    def __init__(self, pool: Callable[[], ConnectionPool | None]) -> None:
        self._pool = pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self._pool()
        if pool is None:
            return
        try:
            with pool.connection(timeout=2) as conn:
                open_, overdue = counts(now=datetime.now(UTC), db_session=conn)
        except Exception:  # a scrape never fails for the database; /readyz says it
            return
        yield GaugeMetricFamily(
            "motcua_ratings_followups_open", "Follow-ups of unhappy answers not closed.", open_
        )
        yield GaugeMetricFamily(
            "motcua_ratings_followups_overdue",
            "Open follow-ups past their response deadline (15 working days).",
            overdue,
        )


_current: list[ConnectionPool] = []


def watch_followups(pool: ConnectionPool) -> None:
    """Report the follow-ups from ``pool`` (the latest app's, one collector per process)."""
    if not _current:
        REGISTRY.register(FollowupGauges(lambda: _current[-1] if _current else None))
    _current.append(pool)


def unwatch_followups(pool: ConnectionPool) -> None:
    if pool in _current:
        _current.remove(pool)
