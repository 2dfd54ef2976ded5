"""Ratings' domain metrics (the shared HTTP latency histogram lives in motcua.metrics):
invitations created, sent, failed and reminded, by channel (``qr`` for the invitations only
the slip's QR code carries), and the answers.

Submissions are counted as they are stored, per process (Prometheus sums the processes);
the follow-up gauges are read from PostgreSQL when scraped, so every process reports the
same truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool

from services.ratings.followups.service import counts

INVITATIONS_CREATED = Counter(
    "motcua_ratings_invitations_created_total",
    "Rating invitations created (one per returned or rejected dossier), by channel.",
    ["channel"],
)
INVITATIONS_SENT = Counter(
    "motcua_ratings_invitations_sent_total",
    "Invitation messages handed to their channel, by channel.",
    ["channel"],
)
INVITATIONS_FAILED = Counter(
    "motcua_ratings_invitations_failed_total",
    "Invitation or reminder messages given up after their last try, by channel and kind.",
    ["channel", "kind"],
)
INVITATIONS_REMINDED = Counter(
    "motcua_ratings_invitations_reminded_total",
    "Reminders sent for invitations still unanswered, by channel.",
    ["channel"],
)
FOLLOWUP_NOTICES = Counter(
    "motcua_ratings_followup_notices_total",
    "Citizens told that the follow-up of their unhappy answer was closed, by channel.",
    ["channel"],
)
DELIVERY_ATTEMPTS = Counter(
    "motcua_ratings_delivery_attempts_total",
    "Tries of sending a message, by channel and result (ok, transient, permanent).",
    ["channel", "result"],
)

SUBMITTED = Counter(
    "motcua_ratings_submitted_total",
    "Valid ratings stored, by channel and overall level (very_satisfied, satisfied, dissatisfied).",
    ["channel", "overall"],
)
INVALID_FORMS = Counter(
    "motcua_ratings_invalid_forms_total",
    "Invalid paper forms recorded (counted apart, out of the denominator), by reason.",
    ["reason"],
)
REFUSED = Counter(
    "motcua_ratings_refused_total",
    "Answers refused, by reason (unknown, already_rated, expired, invalid, csrf, "
    "rate_limited, serial_used).",
    ["reason"],
)


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
