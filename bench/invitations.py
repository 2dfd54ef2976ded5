"""``python -m bench invitations``: do rating invitations keep up with 1,000 returned
dossiers a second, created and recorded as sent?

On Kafka and PostgreSQL of their own (``.bench-stack/``, or the stack named by
``BENCH_ENV``), the ratings service's consumer and sender run in this process as they run
in the API process (two threads), the recording channel writing each SMS to
``recorded_messages``. Two runs, each with its own dossiers, consumer group and database:

- **paced**: returned dossiers produced at ``--rate`` a second for ``--seconds``; the lag
  of each from its produce time to its invitation's creation and to its SMS being
  recorded as sent says whether the service keeps up;
- **backlog**: ``--backlog`` dossiers already waiting in Kafka when the workers start;
  the time to work them off is the sustained rate.

Intake is not in the loop: the contact comes from an in-process directory (intake's
receipt endpoint, one call per message, is the real service's extra cost).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from confluent_kafka import Consumer, Producer, TopicPartition
from pydantic import SecretStr

from bench.board import BenchDatabase, drop_database
from bench.results import pct, write_section
from bench.stack import open_bench_stack
from motcua.contracts import EventType, encode_event, new_event, structured_headers
from motcua.db import SERVICES, apply_migrations, bootstrap_database, migrations_dir, open_pool
from motcua.delivery import Contact
from motcua.kafka import TOPICS, Topic, ensure_topics
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.settings import RatingsSettings
from services.ratings.workers import build_consumer, build_sender

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Rating invitations — `python -m bench invitations`"
TARGET_RATE = 1000
TOKEN_KEY = secrets.token_urlsafe(32)
UNIT_PATH = ["000.00.00.B01", "000.00.00.H01", "000.00.04.H01"]


class Contacts:
    async def contact(self, dossier_code: str) -> Contact:
        return Contact("0912345678", None)


def open_stack() -> tuple[str, str, Callable[[], None]]:
    """The bench's Kafka and PostgreSQL (:mod:`bench.stack`)."""
    env, _, stop = open_bench_stack(infra_only=True)
    return env["KAFKA_BOOTSTRAP_SERVERS"], env["DATABASE_URL"], stop


def create_database(admin_url: str) -> BenchDatabase:
    suffix = uuid.uuid4().hex[:8]
    name, prefix = f"motcua_bench_inv_{suffix}", f"mi{suffix}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    urls = bootstrap_database(url, {s: uuid.uuid4().hex for s in SERVICES}, role_prefix=prefix)
    apply_migrations(urls["ratings"], migrations_dir("ratings"))
    return BenchDatabase(admin_url, urls["ratings"], name, prefix)


def returned(dossier_id: str, n: int) -> bytes:
    event = new_event(
        EventType.DOSSIER_RETURNED,
        source="/motcua/intake",
        subject=dossier_id,
        data={
            "dossier_id": dossier_id,
            "dossier_code": f"{UNIT_PATH[-1]}-261201-{n % 10_000:04d}",
            "unit_code": UNIT_PATH[-1],
            "unit_path": UNIT_PATH,
            "procedure_code": "1.001612",
            "sequence": 6,
            "channel": "counter",
            "contact_preference": "sms",
            "received_channel": "in_person",
            "clock": {
                "running": False,
                "due_at": "2026-12-01T17:00:00+07:00",
                "original_due_at": "2026-12-01T17:00:00+07:00",
                "rescheduled": False,
                "closed": True,
            },
        },
        time=datetime.now(UTC),
    )
    return encode_event(event)


def returned_dossiers(count: int) -> list[tuple[str, bytes]]:
    """Built (and validated) before any clock runs: the producer stands for intake."""
    ids = [str(uuid.uuid4()) for _ in range(count)]
    return [(dossier_id, returned(dossier_id, n)) for n, dossier_id in enumerate(ids)]


def start_group_at_the_end(bootstrap: str, group_id: str) -> None:
    """Commit ``group_id`` at the end of the dossier events, so the run's consumer reads only
    what the run produces (the earlier run's dossiers are still in the topic)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group_id})
    try:
        topic = Topic.DOSSIER_EVENTS.value
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = [
            TopicPartition(topic, p, consumer.get_watermark_offsets(TopicPartition(topic, p))[1])
            for p in partitions
        ]
        consumer.commit(offsets=ends, asynchronous=False)
    finally:
        consumer.close()


def produce(
    bootstrap: str, values: list[tuple[str, bytes]], rate: float | None
) -> dict[str, float]:
    """The dossiers at ``rate`` a second (None: as fast as possible); returns each one's
    produce time (epoch seconds)."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all"})
    produced: dict[str, float] = {}
    started = time.monotonic()
    for i, (dossier_id, value) in enumerate(values):
        if rate:
            wait = started + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        produced[dossier_id] = time.time()
        producer.produce(
            Topic.DOSSIER_EVENTS.value,
            key=dossier_id.encode(),
            value=value,
            headers=structured_headers(),
        )
        producer.poll(0)
    producer.flush(60)
    return produced


@dataclass
class Run:
    name: str
    dossiers: int
    produce_s: float
    created_s: float
    sent_s: float
    created_lag_ms: list[float]
    sent_lag_ms: list[float]


def progress(conn: psycopg.Connection) -> tuple[int, int]:
    """Invitations created and recorded as sent: the run's database holds only its own."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM rating_invitations), "
        "(SELECT count(*) FROM invitation_deliveries WHERE sent_at IS NOT NULL)"
    ).fetchone()
    assert row
    return int(row[0]), int(row[1])


def lags(url: str, produced: dict[str, float]) -> tuple[list[float], list[float]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT i.dossier_id::text, i.created_at, d.sent_at FROM rating_invitations i "
            "JOIN invitation_deliveries d ON d.invitation_id = i.id "
            "WHERE i.dossier_id = ANY(%s::uuid[])",
            (list(produced),),
        ).fetchall()
    created = [(row[1].timestamp() - produced[row[0]]) * 1000 for row in rows]
    sent = [(row[2].timestamp() - produced[row[0]]) * 1000 for row in rows if row[2]]
    return created, sent


def run(
    name: str, bootstrap: str, url: str, count: int, rate: float | None, *, backlog: bool
) -> Run:
    settings = RatingsSettings(
        kafka_bootstrap_servers=bootstrap,
        database_url=url,
        ratings_group_id=f"bench-{name}-{uuid.uuid4().hex[:6]}",
        ratings_token_key=SecretStr(TOKEN_KEY),
        quiet_hours="",
    )
    start_group_at_the_end(bootstrap, settings.ratings_group_id)
    seal = TokenSeal(TOKEN_KEY)
    pool = open_pool(url, max_size=4)
    stop = threading.Event()
    threads = [
        threading.Thread(target=build_consumer(settings, pool, seal).run, args=(stop,)),
        threading.Thread(
            target=build_sender(settings, seal, directory=Contacts()).run, args=(stop,)
        ),
    ]
    values = returned_dossiers(count)
    produced: dict[str, float] = {}
    if backlog:
        produced = produce(bootstrap, values, None)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    if not backlog:
        time.sleep(5)  # the group joins before the clock of the paced run matters
        started = time.monotonic()
        produced = produce(bootstrap, values, rate)
    produce_s = time.monotonic() - started
    created_at = sent_at = 0.0
    deadline = time.monotonic() + 600
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            created, sent = progress(conn)
            if created > count:
                msg = f"{created:,} invitations for {count:,} dossiers: not the run's own"
                raise RuntimeError(msg)
            now = time.monotonic() - started
            if created == count and not created_at:
                created_at = now
            if sent == count:
                sent_at = now
                break
            time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(60)
    pool.close()
    created_lag, sent_lag = lags(url, produced)
    return Run(name, count, produce_s, created_at, sent_at, created_lag, sent_lag)


def report(runs: list[Run], argv: list[str]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION,
        "",
        f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, Linux; Kafka and "
        "PostgreSQL of `deploy/local/stack.py`; ratings' consumer and sender in one process "
        "(threads, as in the API process), the recording channel writing every SMS, the "
        "contact from an in-process directory (no intake call). "
        f"Command: `{' '.join(['python -m bench invitations', *argv])}`, {when}.",
        "",
        "| run | dossiers | produced in | all created | all recorded as sent | "
        "sent/s | lag to created p50 / p99 | lag to sent p50 / p99 | target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in runs:
        rate = r.dossiers / r.sent_s if r.sent_s else 0
        lines.append(
            f"| {r.name} | {r.dossiers:,} | {r.produce_s:.1f} s | {r.created_s:.1f} s | "
            f"{r.sent_s:.1f} s | {rate:,.0f} | {pct(r.created_lag_ms, 50):,.0f} / "
            f"{pct(r.created_lag_ms, 99):,.0f} ms | {pct(r.sent_lag_ms, 50):,.0f} / "
            f"{pct(r.sent_lag_ms, 99):,.0f} ms | ≥ {TARGET_RATE:,}/s |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench invitations")
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    bootstrap, admin_url, stop = open_stack()
    ensure_topics(bootstrap, TOPICS)
    runs: list[Run] = []
    try:
        for name, count, rate in (
            ("paced", int(args.rate * args.seconds), args.rate),
            ("backlog", args.backlog, None),
        ):
            database = create_database(admin_url)  # each run counts only its own
            try:
                runs.append(run(name, bootstrap, database.url, count, rate, backlog=rate is None))
            finally:
                drop_database(database)
            print(f"{name}: {runs[-1]}"[:300], flush=True)
    finally:
        stop()
    paced, flat = runs
    section = report([paced, flat], argv)
    print(section)
    if not args.no_write:
        write_section(SECTION, section)
    keeps_up = flat.sent_s > 0 and flat.dossiers / flat.sent_s >= TARGET_RATE
    return 0 if keeps_up and statistics.median(paced.sent_lag_ms or [0]) < 5000 else 1


if __name__ == "__main__":
    sys.exit(main())
