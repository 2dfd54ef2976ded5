"""What reporting exports for ops beside its own counters, computed by one worker only.

Every replica would compute the same business gauges and the same consumer lag, and a
sum over replicas would count them several times (the trap Open Zaak documents). So the
replica holding a PostgreSQL advisory lock exports them and the others export none; the
lock is held on a connection of its own, so a worker that dies releases it at once and
another takes over at its next tick.

The same worker refreshes the unit and procedure names from intake and reconciles the
figures with intake's tally.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import psycopg
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from psycopg_pool import ConnectionPool

from motcua.kafka import client_config
from services.reporting import metrics
from services.reporting.figures import Filters, GroupBy, Scope, count, derive
from services.reporting.intake import IntakeApi, IntakeUnavailable, refresh_catalogue
from services.reporting.periods import Granularity, Period
from services.reporting.reconcile import compare, intake_counts, live_counts

LOCK_KEY = 0x6D6F74637561_01  # "motcua" + 1: reporting's one exporter
GAUGED = (
    "received",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "in_progress_on_time",
    "in_progress_overdue",
    "rejected",
    "withdrawn",
    "apology_letters",
)
LEVELS = {
    "very_satisfied": "ratings_very_satisfied",
    "satisfied": "ratings_satisfied_only",
    "dissatisfied": "ratings_dissatisfied",
    "invalid": "ratings_invalid",
}
# A broker still electing its group coordinator, or briefly out of reach: the next tick
# retries, so a line without a stack trace is enough.
PASSING_KAFKA_ERRORS = frozenset(
    {
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
    }
)

_log = logging.getLogger("motcua.reporting.gauges")


class Exporter:
    def __init__(
        self,
        database_url: str,
        pool: ConnectionPool,
        *,
        bootstrap_servers: str,
        lag_groups: Sequence[str],
        intake: IntakeApi | None,
        interval_s: float = 15.0,
        reconcile_every_s: float = 60.0,
    ) -> None:
        self.database_url = database_url
        self.pool = pool
        self.bootstrap_servers = bootstrap_servers
        self.lag_groups = list(lag_groups)
        self.intake = intake
        self.interval_s = interval_s
        self.reconcile_every_s = reconcile_every_s
        self._lock_conn: psycopg.Connection | None = None
        self._held = False
        self._last_reconcile = 0.0
        self._probes: dict[str, Consumer] = {}

    def holds_lock(self) -> bool:
        """Whether this worker is the exporter: it holds the lock, or has just taken it."""
        try:
            if self._lock_conn is None or self._lock_conn.closed:
                self._lock_conn = psycopg.connect(self.database_url, autocommit=True)
                self._held = False
            if self._held:
                self._lock_conn.execute("SELECT 1")  # the session, and so the lock, lives
                return True
            row = self._lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
            self._held = bool(row and row[0])
            return self._held
        except psycopg.OperationalError:
            self._lock_conn, self._held = None, False
            return False

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                if self.holds_lock():
                    self.tick()
                else:
                    _clear(everything=True)
                stop.wait(self.interval_s)
        finally:
            self.close()

    def tick(self) -> None:
        for step in (self.business, self.consumer_lag, self.reconcile_if_due):
            try:
                step()
            except KafkaException as error:
                if error.args[0].code() not in PASSING_KAFKA_ERRORS:
                    _log.exception("gauge step failed", extra={"step": step.__name__})
                else:
                    _log.warning(
                        "gauge step deferred",
                        extra={"step": step.__name__, "error": error.args[0].str()},
                    )
            except Exception:  # one failing step must not stop the others (logged)
                _log.exception("gauge step failed", extra={"step": step.__name__})

    def business(self) -> None:
        now = datetime.now(UTC)
        month = Period.containing(now, Granularity.MONTH)
        with self.pool.connection() as conn:
            root = Scope(_root(conn), 1)
            groups = count(
                root,
                month,
                now=now,
                group_by=GroupBy.PROVINCE_FIELD,
                filters=Filters(),
                db_session=conn,
            )
            provinces = count(
                root,
                month,
                now=now,
                group_by=GroupBy.UNIT,
                filters=Filters(),
                db_session=conn,
            )
        _clear()
        for key, counts in groups.items():
            province, field = key.split("|", 1)
            for measure in GAUGED:
                metrics.DOSSIERS.labels(province, field, measure).set(counts[measure])
            late_without = counts["late_without_letter"] + counts["overdue_without_letter"]
            metrics.DOSSIERS.labels(province, field, "late_without_letter").set(late_without)
            rate = derive(counts)["satisfaction_rate"]
            if rate is not None:
                metrics.SATISFACTION.labels(province, field).set(rate)
        for province, counts in provinces.items():
            figures = derive(counts)
            for name, gauge in (
                ("response_rate", metrics.RESPONSE),
                ("apology_compliance", metrics.APOLOGY_COMPLIANCE),
                ("apology_delivery_compliance", metrics.APOLOGY_DELIVERY_COMPLIANCE),
            ):
                if figures[name] is not None:
                    gauge.labels(province).set(figures[name])
            metrics.APOLOGY_DELIVERY_FAILURES.labels(province).set(
                counts["apology_letters_undelivered"]
            )
            for level, measure in LEVELS.items():
                metrics.RATINGS.labels(province, level).set(counts[measure])

    def consumer_lag(self) -> None:
        """Each group's lag per topic it has committed on, from plain consumers' OffsetFetch.

        Not ``AdminClient.list_consumer_group_offsets``: against a broker whose group
        coordinator is not up yet it crashes the process (SIGSEGV in confluent-kafka 2.16).
        """
        try:
            self._lag()
        finally:
            for probe in self._probes.values():
                probe.poll(0)  # delivers the probes' queued log lines

    def _lag(self) -> None:
        metadata = self._probe(None).list_topics(timeout=10)
        partitions = [
            TopicPartition(topic, partition)
            for topic, info in metadata.topics.items()
            if not topic.startswith("__")
            for partition in info.partitions
        ]
        if not partitions:
            return
        watermarks: dict[tuple[str, int], tuple[int, int]] = {}
        for group in self.lag_groups:
            committed: dict[str, dict[int, int]] = {}
            for tp in self._probe(group).committed(partitions, timeout=10):
                if tp.error is None and tp.offset >= 0:
                    committed.setdefault(tp.topic, {})[tp.partition] = tp.offset
            for topic, offsets in committed.items():
                # A partition the group has not committed on yet is behind by all it holds.
                lag = 0
                for partition in metadata.topics[topic].partitions:
                    key = (topic, partition)
                    if key not in watermarks:
                        watermarks[key] = self._probe(None).get_watermark_offsets(
                            TopicPartition(topic, partition), timeout=10, cached=False
                        )
                    low, high = watermarks[key]
                    lag += max(0, high - offsets.get(partition, low))
                metrics.CONSUMER_LAG.labels(group, topic).set(lag)

    def _probe(self, group: str | None) -> Consumer:
        """A consumer kept for the exporter's life that never joins ``group``: it only asks
        for the group's committed offsets (and, for ``None``, metadata and watermarks)."""
        key = group or ""
        if key not in self._probes:
            self._probes[key] = Consumer(
                client_config(
                    self.bootstrap_servers,
                    **{"group.id": group or "motcua-lag-probe", "enable.auto.commit": False},
                )
            )
        return self._probes[key]

    def close(self) -> None:
        for probe in self._probes.values():
            probe.close()
        self._probes.clear()
        if self._lock_conn is not None:
            self._lock_conn.close()

    def reconcile_if_due(self) -> None:
        if self.intake is None or time.monotonic() - self._last_reconcile < self.reconcile_every_s:
            return
        try:
            with self.pool.connection() as conn, conn.transaction():
                refresh_catalogue(self.intake, db_session=conn)
            tally = self.intake.tally()
        except IntakeUnavailable as exc:
            # Tried again at the next tick, not a whole interval later.
            _log.warning("intake unavailable for reconciliation", extra={"error": str(exc)})
            return
        self._last_reconcile = time.monotonic()
        with self.pool.connection() as conn:
            live = live_counts(tally["unit_code"], db_session=conn)
        for difference in compare(live, intake_counts(tally)):
            metrics.RECONCILIATION_DIFFERENCE.labels(difference.measure).set(difference.difference)
        metrics.RECONCILED_AT.set(time.time())


def _root(conn: psycopg.Connection) -> str:
    row = conn.execute(
        "SELECT code FROM units WHERE array_length(unit_path, 1) = 1 ORDER BY code LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else ""


def _clear(*, everything: bool = False) -> None:
    """Drop the business series (a province or field with nothing this month any more);
    ``everything`` too for a worker that does not hold the lock."""
    gauges = [
        metrics.DOSSIERS,
        metrics.SATISFACTION,
        metrics.RESPONSE,
        metrics.APOLOGY_COMPLIANCE,
        metrics.APOLOGY_DELIVERY_COMPLIANCE,
        metrics.APOLOGY_DELIVERY_FAILURES,
        metrics.RATINGS,
    ]
    if everything:
        gauges += [metrics.CONSUMER_LAG, metrics.RECONCILIATION_DIFFERENCE]
    for gauge in gauges:
        gauge.clear()
