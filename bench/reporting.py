"""``python -m bench reporting``: how many events a second reporting counts, how long an
event takes to show in ``/v1/reports/summary``, and how fast a rebuild replays.

On Kafka and PostgreSQL of their own (``.bench-stack/``, or the stack named by
``BENCH_ENV``), each run with topics, a database and a consumer group of its own, the
reporting service runs as ``make up`` runs it (``python -m services.reporting``, one
process), and this process plays intake, deadlines and ratings: dossiers received,
finished and returned in one province, their events produced to Kafka.

- **paced**: ``--rate`` events a second (1,000) for ``--seconds``; a reader polls the
  summary every 100 ms as a leader's page would, and an event is *visible* when the
  province's count of received dossiers first reaches its ordinal (the dossiers' receipts
  are numbered in the order they were produced; partitions are applied batch by batch,
  so this is the latency a reader sees, not a per-message trace);
- **flat out**: as many events as the producer can send while the worker counts — the
  sustained rate and the latency at it;
- **replay**: ``--replay`` events (1,000,000) already in the topics, then
  ``manage rebuild`` into a fresh schema; events a second of the rebuild.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from bench.board import BenchDatabase, drop_database
from bench.results import pct, write_section
from bench.stack import open_bench_stack
from motcua.contracts import EventType, format_instant, new_event, structured_headers
from motcua.db import SERVICES, apply_migrations, bootstrap_database, migrations_dir
from motcua.dossier import ClockState
from motcua.kafka import Topic
from services.reporting.access import new_api_key
from services.reporting.consumer import TOPIC_NAMES
from services.reporting.manage import rebuild
from services.reporting.periods import Granularity, Period
from services.reporting.settings import ReportingSettings

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Reporting — `python -m bench reporting`"
TARGET_RATE = 1000
TARGET_P95_S = 2.0
PROVINCE = "000.00.00.H01"
UNIT_PATHS = [["000.00.00.B01", PROVINCE, f"000.00.{n:02d}.H01"] for n in range(1, 11)]


def create_database(admin_url: str) -> BenchDatabase:
    suffix = uuid.uuid4().hex[:8]
    name, prefix = f"motcua_bench_rep_{suffix}", f"mr{suffix}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    urls = bootstrap_database(url, {s: uuid.uuid4().hex for s in SERVICES}, role_prefix=prefix)
    apply_migrations(urls["reporting"], migrations_dir("reporting"))
    return BenchDatabase(admin_url, urls["reporting"], name, prefix)


def create_topics(bootstrap: str) -> str:
    prefix = f"bench-{uuid.uuid4().hex[:8]}-"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [
            NewTopic(f"{prefix}{name}", num_partitions=6, replication_factor=1)
            for name in TOPIC_NAMES
        ]
    )
    for future in futures.values():
        future.result(timeout=30)
    return prefix


class Story:
    """Events of dossiers received now in the province: each dossier received, then in
    turn finished, returned and rated; receipts numbered in the order produced."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.received = 0
        self.step = 0
        self._open: list[tuple[str, dict[str, Any], int]] = []

    def _event(self, kind: EventType, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        return new_event(
            kind, source="/motcua/intake", subject=subject, time=datetime.now(UTC), data=data
        )

    def next(self) -> tuple[str, str, dict[str, Any]]:
        """(topic, key, event): three receipts, then a completion or a return."""
        now = datetime.now(UTC)
        due = now + timedelta(days=7)
        self.step += 1
        if self.step % 4 == 0 and len(self._open) > 50:
            dossier_id, ref, sequence = self._open.pop(0)
            closed = ClockState(False, due, due, False, True).as_json()
            if sequence == 1:
                self._open.append((dossier_id, ref, 2))
                data = {**ref, "sequence": 2, "clock": closed, "outcome": "granted", "late": False}
                return (
                    self._topic(Topic.DOSSIER_EVENTS),
                    dossier_id,
                    self._event(EventType.DOSSIER_COMPLETED, dossier_id, data),
                )
            data = {
                **ref,
                "sequence": 3,
                "clock": closed,
                "channel": "counter",
                "contact_preference": "sms",
                "received_channel": "in_person",
            }
            return (
                self._topic(Topic.DOSSIER_EVENTS),
                dossier_id,
                self._event(EventType.DOSSIER_RETURNED, dossier_id, data),
            )
        dossier_id = str(uuid.uuid4())
        path = UNIT_PATHS[self.received % len(UNIT_PATHS)]
        self.received += 1
        ref = {
            "dossier_id": dossier_id,
            "dossier_code": f"{path[-1]}-{now:%y%m%d}-{self.received % 10_000:04d}",
            "unit_code": path[-1],
            "unit_path": path,
            "procedure_code": "1.001612",
        }
        self._open.append((dossier_id, ref, 1))
        data = {
            **ref,
            "sequence": 1,
            "clock": ClockState(True, due, due).as_json(),
            "channel": "in_person",
            "applicant_ref": "apl_abcdefghijklmnopqrstu",
            "applicant_kind": "citizen",
            "contact_preference": "sms",
            "received_at": format_instant(now),
            "clock_starts_at": format_instant(now),
            "processing_time": {"amount": 7, "unit": "working_days"},
            "online_level": "partial",
        }
        return (
            self._topic(Topic.DOSSIER_EVENTS),
            dossier_id,
            self._event(EventType.DOSSIER_RECEIVED, dossier_id, data),
        )

    def _topic(self, topic: Topic) -> str:
        return f"{self.prefix}{topic.value}"


def produce(
    bootstrap: str, story: Story, count: int, rate: float | None, receipts: list[float]
) -> float:
    """``count`` events at ``rate`` a second (None: flat out); appends each receipt's
    produce time to ``receipts``; returns the seconds it took."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all", "compression.type": "lz4"}
    )
    started = time.monotonic()
    for i in range(count):
        if rate:
            wait = started + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        topic, key, event = story.next()
        value = json.dumps(event, separators=(",", ":")).encode()
        if event["type"] == EventType.DOSSIER_RECEIVED:
            receipts.append(time.time())
        while True:
            try:
                producer.produce(topic, key=key.encode(), value=value, headers=structured_headers())
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(120)
    return time.monotonic() - started


@dataclass
class Reader:
    """Polls the summary as the leaders' page does; remembers when each count was seen."""

    url: str
    key: str
    seen: list[tuple[float, int]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def received(self) -> int:
        month = Period.containing(datetime.now(UTC), Granularity.MONTH)
        answer = httpx.get(
            f"{self.url}/v1/reports/summary",
            params={"unit": PROVINCE, "period": str(month)},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )
        answer.raise_for_status()
        return int(answer.json()["counts"]["received"])

    def run(self) -> None:
        while not self.stop.is_set():
            self.seen.append((time.time(), self.received()))
            self.stop.wait(0.1)

    def latencies(self, receipts: list[float], base: int) -> list[float]:
        """Seconds from each receipt's production to the first poll counting it."""
        out, j = [], 0
        for i, produced in enumerate(receipts):
            while j < len(self.seen) and self.seen[j][1] < base + i + 1:
                j += 1
            if j == len(self.seen):
                break
            out.append(max(0.0, self.seen[j][0] - produced))
        return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_reporting(
    bootstrap: str, url: str, prefix: str, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": url,
        "HTTP_PORT": str(port),
        "REPORTING_TOPIC_PREFIX": prefix,
        "REPORTING_GROUP_ID": f"bench-reporting-{uuid.uuid4().hex[:6]}",
        "EXPORTER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.reporting"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"reporting did not start: {log.read_text()[-2000:]}")


def stored(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT coalesce(sum(next_offset), 0) FROM consumed_offsets").fetchone()
    return int(row[0]) if row else 0


@dataclass
class Run:
    name: str
    events: int
    produce_s: float
    applied_s: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.events / self.applied_s if self.applied_s else 0.0


def live_runs(bootstrap: str, admin_url: str, rate: float, seconds: float, flat: int) -> list[Run]:
    database = create_database(admin_url)
    prefix = create_topics(bootstrap)
    with psycopg.connect(database.url) as conn:
        key = new_api_key("bench", PROVINCE, db_session=conn)
    log = ROOT / ".bench-stack" / "reporting-bench.log"
    log.parent.mkdir(exist_ok=True)
    process, base = start_reporting(bootstrap, database.url, prefix, log)
    story = Story(prefix)
    runs = []
    try:
        time.sleep(5)  # the group has joined before any clock matters
        for name, count, pace in (("paced", int(rate * seconds), rate), ("flat out", flat, None)):
            reader = Reader(base, key)
            base_count = reader.received()
            already = stored(database.url)
            thread = threading.Thread(target=reader.run)
            thread.start()
            receipts: list[float] = []
            started = time.monotonic()
            produce_s = produce(bootstrap, story, count, pace, receipts)
            while stored(database.url) < already + count:
                if time.monotonic() - started > 900:
                    raise RuntimeError(f"{name}: not applied in 15 minutes")
                time.sleep(0.05)
            applied_s = time.monotonic() - started
            time.sleep(0.5)
            reader.stop.set()
            thread.join(30)
            runs.append(
                Run(name, count, produce_s, applied_s, reader.latencies(receipts, base_count))
            )
            print(
                f"{name}: {count:,} events, {runs[-1].rate:,.0f}/s, p95 "
                f"{pct(runs[-1].latencies, 95):.2f} s",
                flush=True,
            )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        drop_database(database)
    return runs


def replay_run(bootstrap: str, admin_url: str, events: int) -> Run:
    database = create_database(admin_url)
    prefix = create_topics(bootstrap)
    story = Story(prefix)
    produce_s = produce(bootstrap, story, events, None, [])
    settings = ReportingSettings(
        kafka_bootstrap_servers=bootstrap,
        database_url=database.url,
        reporting_topic_prefix=prefix,
    )
    try:
        started = time.monotonic()
        assert rebuild(settings, "reporting_rebuild", swap=False) == 0
        applied_s = time.monotonic() - started
    finally:
        drop_database(database)
    return Run("replay (rebuild)", events, produce_s, applied_s, [])


def report(runs: list[Run], argv: list[str]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION,
        "",
        f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, Linux; Kafka and "
        "PostgreSQL of `deploy/local/stack.py`, topics of 6 partitions; one reporting process "
        "(`python -m services.reporting`); events of dossiers received, finished, returned "
        "(3 receipts for each completion and return); the reader polls "
        "`/v1/reports/summary` every 100 ms. "
        f"Command: `{' '.join(['python -m bench reporting', *argv])}`, {when}.",
        "",
        "| run | events | produced in | all applied | events/s | visible p50 / p95 / p99 "
        "| target |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in runs:
        latency = (
            " / ".join(f"{pct(r.latencies, p):.2f}" for p in (50, 95, 99)) + " s"
            if r.latencies
            else "—"
        )
        target = "p95 ≤ 2 s at 1,000/s" if r.name == "paced" else "—"
        lines.append(
            f"| {r.name} | {r.events:,} | {r.produce_s:.1f} s | {r.applied_s:.1f} s | "
            f"{r.rate:,.0f} | {latency} | {target} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reporting")
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--flat", type=int, default=100_000, help="events of the flat-out run")
    parser.add_argument("--replay", type=int, default=1_000_000, help="events to rebuild from")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    env, _, stop = open_bench_stack(infra_only=True)
    admin_url, bootstrap = env["DATABASE_URL"], env["KAFKA_BOOTSTRAP_SERVERS"]
    try:
        runs = live_runs(bootstrap, admin_url, args.rate, args.seconds, args.flat)
        runs.append(replay_run(bootstrap, admin_url, args.replay))
    finally:
        stop()
    section = report(runs, argv)
    print(section)
    if not args.no_write:
        write_section(SECTION, section)
    paced = runs[0]
    return 0 if paced.latencies and pct(paced.latencies, 95) <= TARGET_P95_S else 1


if __name__ == "__main__":
    sys.exit(main())
