"""The raw ceilings of this machine's Kafka and PostgreSQL, measured in the same run as
intake's figures, so each figure reads as a share of what the parts underneath can carry.

- Kafka: its own ``ProducerPerformance`` (``org.apache.kafka:kafka-tools``, resolved by the
  broker's pom) with intake's relay settings that matter — ``acks=all``, idempotent —
  700-byte records into a fresh 6-partition topic, as fast as it goes;
- PostgreSQL: ``COPY`` of rows shaped like ours — a ``dossiers`` row plus an ``outbox``
  row, copied from what the run just ingested into fresh logged tables ``LIKE`` intake's
  (indexes and constraints included), 1,000 dossiers per transaction, fsync on.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from confluent_kafka.admin import AdminClient

from motcua.kafka import TopicSpec, ensure_topics

ROOT = Path(__file__).resolve().parents[1]
RECORD_SIZE = 700
PER_TRANSACTION = 1000


@dataclass(frozen=True)
class Ceilings:
    kafka_records_per_s: float
    postgres_dossiers_per_s: float

    @property
    def lower(self) -> float:
        return min(self.kafka_records_per_s, self.postgres_dossiers_per_s)

    def share(self, rate: float) -> str:
        """``rate`` as a share of each ceiling."""
        return (
            f"{rate / self.kafka_records_per_s:.1%} of Kafka's, "
            f"{rate / self.postgres_dossiers_per_s:.1%} of PostgreSQL's ceiling"
        )


def _kafka_jars() -> str:
    """The broker's jar directory, which holds kafka-tools too (``stack.py kafka-jars``)."""
    found = subprocess.run(
        [sys.executable, str(ROOT / "deploy/local/stack.py"), "kafka-jars"],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip().splitlines()[-1]


def kafka_ceiling(bootstrap: str, *, records: int = 500_000) -> float:
    """Records/s of Kafka's ``ProducerPerformance`` (acks=all, idempotent)."""
    topic = f"bench-ceiling-{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [TopicSpec(topic, "bench ceiling", partitions=6, retention_days=1)])
    jars = _kafka_jars()
    try:
        run = subprocess.run(
            [
                "java",
                "-cp",
                f"{jars}/*",
                "org.apache.kafka.tools.ProducerPerformance",
                "--topic",
                topic,
                "--num-records",
                str(records),
                "--record-size",
                str(RECORD_SIZE),
                "--throughput",
                "-1",
                "--producer-props",
                f"bootstrap.servers={bootstrap}",
                "acks=all",
                "enable.idempotence=true",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
    finally:
        AdminClient({"bootstrap.servers": bootstrap}).delete_topics([topic])
    summary = re.findall(r"(\d+) records sent, ([\d.]+) records/sec", run.stdout)
    if not summary:
        raise RuntimeError(f"no summary from ProducerPerformance:\n{run.stdout[-2000:]}")
    sent, rate = summary[-1]
    if int(sent) != records:
        raise RuntimeError(f"ProducerPerformance sent {sent} of {records} records")
    return float(rate)


def postgres_ceiling(admin_url: str, *, limit: int = 20_000) -> float:
    """Dossiers/s of ``COPY`` of a dossier row plus an outbox row, 1,000 per transaction."""
    schema = f"bench_ceiling_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        try:
            for table in ("dossiers", "outbox"):
                conn.execute(f"CREATE TABLE {schema}.{table} (LIKE intake.{table} INCLUDING ALL)")
            dossiers = _rows(conn, "dossiers", limit)
            outbox = _rows(conn, "outbox", len(dossiers))
            count = min(len(dossiers), len(outbox))
            if count < PER_TRANSACTION:
                raise RuntimeError(f"only {count} ingested rows to copy; ingest first")
            started = time.perf_counter()
            for start in range(0, count, PER_TRANSACTION):
                with conn.transaction():
                    for table, rows in (("dossiers", dossiers), ("outbox", outbox)):
                        with conn.cursor().copy(f"COPY {schema}.{table} FROM STDIN") as copy:
                            for row in rows[start : start + PER_TRANSACTION]:
                                copy.write(row)
            elapsed = time.perf_counter() - started
        finally:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return count / elapsed


def _rows(conn: psycopg.Connection, table: str, limit: int) -> list[bytes]:
    """Rows of intake's ``table`` in COPY's text format, one line each."""
    with conn.cursor().copy(
        f"COPY (SELECT * FROM intake.{table} ORDER BY 1 DESC LIMIT {int(limit)}) TO STDOUT"
    ) as copy:
        buffer = b"".join(bytes(chunk) for chunk in copy)
    return [line + b"\n" for line in buffer.split(b"\n") if line]


def measure(bootstrap: str, admin_url: str) -> Ceilings:
    return Ceilings(kafka_ceiling(bootstrap), postgres_ceiling(admin_url))
