"""Intake benchmark against the real stack: batch ingestion, single receipts, outbox lag.

Brings up its own stack (``.bench-stack/``, free ports, no demo traffic) unless one is
named by ``BENCH_ENV`` (a stack's ``endpoints.json``), runs three measurements and writes
them to ``bench/RESULTS.md`` with the machine and the command.

1. batch ingestion: 1,000-item batches from several clients; events/s from the first
   request until Kafka acknowledged the last event (the outbox is empty again);
2. single ``POST /v1/dossiers``: closed-loop clients; requests/s and latency percentiles;
3. outbox lag: receipts paced at a fixed rate; for each event, the Kafka timestamp of
   its publication minus the commit time of its transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from confluent_kafka import Consumer, TopicPartition

from bench.ceilings import measure
from bench.cpu import Phase, idle_rates, settle
from bench.profile import Hotspots, Sampling, can_sample
from bench.stack import open_bench_stack
from motcua.kafka import Topic

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
NOTES_MARKER = "<!-- notes: kept across runs -->"


@dataclass(frozen=True)
class Stack:
    intake_url: str
    intake_db: str
    kafka: str
    key: str
    units: list[str]
    procedure: str
    admin_db: str
    """The stack's superuser: the PostgreSQL ceiling copies into a schema of its own."""


def open_stack() -> tuple[Stack, Callable[[], None]]:
    env, _, stop = open_bench_stack(infra_only=False)
    root = env["MOTCUA_DEMO_UPSTREAM_UNIT"]
    with psycopg.connect(env["INTAKE_DATABASE_URL"]) as conn:
        # The demo province's units in service: Hà Nội's police, its departments and its 126
        # communes of the national tree, so receipts spread over a province's daily counters
        # as real traffic does (a retired unit would refuse them).
        units = [
            r[0]
            for r in conn.execute(
                "SELECT code FROM units WHERE path @> ARRAY[%s]::text[] AND retired_on IS NULL",
                (root,),
            )
        ]
        procedure = conn.execute(
            "SELECT code FROM procedures WHERE processing_unit = 'working_days' "
            "AND processing_amount >= 3 LIMIT 1"
        ).fetchone()
    assert units
    assert procedure
    return Stack(
        env["INTAKE_URL"],
        env["INTAKE_DATABASE_URL"],
        env["KAFKA_BOOTSTRAP_SERVERS"],
        env["MOTCUA_DEMO_UPSTREAM_KEY"],
        units,
        procedure[0],
        env["DATABASE_URL"],
    ), stop


def command(stack: Stack) -> dict[str, Any]:
    """A receipt received in the last hour at one of the province's units.

    Live intake receives what happens at the desks now: a receipt dated weeks back would be
    due or late on arrival and make every dossier an alert for the deadlines service,
    which is a backfill's load, not intake's.
    """
    occurred = datetime.now(UTC) - timedelta(seconds=random.uniform(0, 3600))
    return {
        "event_id": f"bench-{uuid.uuid4()}",
        "occurred_at": occurred.isoformat(),
        "procedure_code": stack.procedure,
        "unit_code": random.choice(stack.units),
        "channel": "online",
        "applicant": {"full_name": "Nguyễn Văn Thử", "phone": "0912000111"},
    }


def unpublished(stack: Stack) -> int:
    with psycopg.connect(stack.intake_db) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
    return int(row[0]) if row else 0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def bench_batch(stack: Stack, batches: int, clients: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {stack.key}"}
    bodies = [
        {"items": [{"kind": "receive", **command(stack)} for _ in range(1000)]}
        for _ in range(batches)
    ]
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted = 0

    async def client() -> None:
        nonlocal accepted
        async with httpx.AsyncClient(base_url=stack.intake_url, timeout=120) as http:
            while not queue.empty():
                body = queue.get_nowait()
                response = await http.post("/v1/events:batch", json=body, headers=headers)
                response.raise_for_status()
                accepted += response.json()["accepted"]

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    committed = time.perf_counter() - started
    while unpublished(stack):
        await asyncio.sleep(0.05)
    published = time.perf_counter() - started
    return {
        "events": accepted,
        "committed_s": committed,
        "published_s": published,
        "events_per_s": accepted / published,
    }


async def bench_single(stack: Stack, requests: int, clients: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {stack.key}"}
    latencies: list[float] = []
    remaining = requests

    async def client() -> None:
        nonlocal remaining
        async with httpx.AsyncClient(base_url=stack.intake_url, timeout=30) as http:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await http.post("/v1/dossiers", json=command(stack), headers=headers)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 201, response.text

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(latencies, 50) * 1000,
        "p99_ms": pct(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
    }


async def bench_lag(stack: Stack, rate: float, seconds: float) -> dict[str, float]:
    """Batches of ``rate / 10`` sent every 100 ms whether or not the earlier ones were
    answered (open loop: a slow answer does not lower the offered rate); lag per event from
    its commit to Kafka. ``achieved``: events committed per second, until the last answer."""
    headers = {"Authorization": f"Bearer {stack.key}"}
    per_tick = max(1, round(rate / 10))
    ids: set[str] = set()
    async with httpx.AsyncClient(
        base_url=stack.intake_url, timeout=120, limits=httpx.Limits(max_connections=None)
    ) as http:

        async def send(items: list[dict[str, Any]]) -> None:
            response = await http.post("/v1/events:batch", json={"items": items}, headers=headers)
            response.raise_for_status()
            ids.update(r["body"]["event_id"] for r in response.json()["results"])

        sent: list[asyncio.Task[None]] = []
        next_tick = started = time.perf_counter()
        end = next_tick + seconds
        while next_tick < end:
            items = [{"kind": "receive", **command(stack)} for _ in range(per_tick)]
            sent.append(asyncio.create_task(send(items)))
            next_tick += 0.1
            await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))
        await asyncio.gather(*sent)
        achieved = len(ids) / (time.perf_counter() - started)
    while unpublished(stack):
        await asyncio.sleep(0.05)
    with psycopg.connect(stack.intake_db) as conn:
        exact = conn.execute("SHOW track_commit_timestamp").fetchone() == ("on",)
        # The commit instant when PostgreSQL records it; else the transaction's start, which
        # counts the transaction's own duration as lag.
        since = "pg_xact_commit_timestamp(created_xid::text::xid)" if exact else "created_at"
        committed = {
            row[0]: row[1].timestamp()
            for row in conn.execute(
                f"SELECT event_id, {since} FROM outbox WHERE event_id = ANY(%s)",
                (list(ids),),
            )
        }
    consumer = Consumer({"bootstrap.servers": stack.kafka, "group.id": f"bench-{uuid.uuid4()}"})
    topic = Topic.DOSSIER_EVENTS.value
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    lags: list[float] = []
    deadline = time.monotonic() + 60
    while len(lags) < len(committed) and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None or message.error():
            continue
        event_id = json.loads(message.value() or b"{}").get("id")
        if event_id in committed:
            lags.append(message.timestamp()[1] / 1000 - committed.pop(event_id))
    consumer.close()
    return {
        "events": len(lags),
        "rate": rate,
        "achieved": achieved,
        "exact": exact,
        "p50_ms": pct(lags, 50) * 1000,
        "p99_ms": pct(lags, 99) * 1000,
        "max_ms": max(lags) * 1000,
        "mean_ms": statistics.fmean(lags) * 1000,
    }


def profile(
    stack: Stack, batches: int, idle: dict[str, float]
) -> tuple[dict[str, float], list[Hotspots]]:
    """A second batch run with py-spy on intake and deadlines: where their time goes."""
    if batches <= 0:
        return {}, []
    if not can_sample():
        print("profile skipped: py-spy may not read other processes here", flush=True)
        return {}, []
    sampling = Sampling(("intake", "deadlines"))
    try:
        with sampling:
            run = asyncio.run(bench_batch(stack, batches, clients=2))
    except SystemExit as failed:  # the figures already measured are still written
        print(f"profile skipped: {failed}", flush=True)
        return {}, []
    finally:
        settle(idle)
    for hotspots in sampling.hotspots:
        print("profile:", hotspots.line(), flush=True)
    return run, sampling.hotspots


def _profile_report(run: dict[str, float], hotspots: list[Hotspots]) -> str:
    if not hotspots:
        return ""
    lines = "".join(f"- {h.line()}\n" for h in hotspots)
    return (
        f"\nWhere the time goes (`bench/profile.py`: a second batch run, {run['events']:,} "
        f"events at {run['events_per_s']:,.0f} events/s, under `py-spy record --gil "
        "--nonblocking -r 100`; each share is of the samples holding the GIL, charged to the "
        "innermost function of ours within the running asyncio task, or to the library whose "
        "task it is when none is ours; then each package's own time):\n" + lines
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--singles", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--lag-rate", type=float, default=1000)
    parser.add_argument("--lag-seconds", type=float, default=20)
    parser.add_argument(
        "--profile-batches",
        type=int,
        default=15,
        help="batches of a second batch run under py-spy, to say what bounds it (0: none)",
    )
    args = parser.parse_args()
    stack, stop = open_stack()
    try:
        idle = idle_rates()
        phase = Phase(idle)
        batch = asyncio.run(bench_batch(stack, args.batches, clients=2))
        batch["settled_s"] = settle(idle)  # the consumers' share of the same events
        cpu = phase.per_event_ms(int(batch["events"]))
        print("cpu ms per event:", cpu, flush=True)
        print("batch:", batch, flush=True)
        profiled, hotspots = profile(stack, args.profile_batches, idle)
        phase = Phase(idle)
        single = asyncio.run(bench_single(stack, args.singles, args.clients))
        settle(idle)
        single_cpu = phase.per_event_ms(int(single["requests"]))
        print("cpu ms per single receipt:", single_cpu, flush=True)
        print("single:", single, flush=True)
        lag = asyncio.run(bench_lag(stack, args.lag_rate, args.lag_seconds))
        print("lag:", lag, flush=True)
        ceilings = measure(  # after ingestion: it copies the rows just written
            stack.kafka, stack.admin_db
        )
        print("ceilings:", ceilings, flush=True)
    finally:
        stop()
    command_line = "".join(f" {option}" for option in sys.argv[1:])
    rows = [
        (
            "batch ingestion, committed and published to Kafka",
            "≥ 5,000 events/s",
            f"{batch['events_per_s']:,.0f} events/s ({batch['events']:,} events committed in "
            f"{batch['committed_s']:.1f} s, all published after {batch['published_s']:.1f} s); "
            f"{ceilings.share(batch['events_per_s'])}",
        ),
        (
            f"single `POST /v1/dossiers` ({args.clients} clients)",
            "≥ 1,000 req/s, p99 ≤ 50 ms",
            f"{single['rps']:,.0f} req/s, p50 {single['p50_ms']:.1f} ms, "
            f"p99 {single['p99_ms']:.1f} ms, max {single['max_ms']:.0f} ms; "
            f"{ceilings.share(single['rps'])}",
        ),
        (
            f"outbox lag, {lag['rate']:,.0f} events/s offered ({lag['achieved']:,.0f}/s achieved;"
            f" from {'the commit' if lag['exact'] else 'the transaction start'})",
            "p99 ≤ 200 ms",
            f"p50 {lag['p50_ms']:.0f} ms, p99 {lag['p99_ms']:.0f} ms, "
            f"max {lag['max_ms']:.0f} ms over {lag['events']:,} events",
        ),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    report = (
        "# Benchmark results\n\n"
        f"Machine: {machine()}. Kafka and PostgreSQL as local processes of "
        "`deploy/local/stack.py`, one intake process (uvicorn, relay in-process).\n"
        f"Command: `make bench` (its intake part: `python -m bench intake{command_line}`), "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        "| measurement | target | measured |\n| --- | --- | --- |\n" + table + "\n\n"
        f"Ceilings of the same run (`bench/ceilings.py`): Kafka's `ProducerPerformance`, "
        f"acks=all, idempotent, 700-byte records, 6 partitions: "
        f"{ceilings.kafka_records_per_s:,.0f} records/s; PostgreSQL `COPY` of a dossier row "
        f"plus an outbox row, 1,000 per transaction, logged, fsync on: "
        f"{ceilings.postgres_dossiers_per_s:,.0f} dossiers/s. Goal: ≥ 25% of the lower "
        f"({ceilings.lower * 0.25:,.0f}/s).\n"
        + "\nCPU per event across the platform (`bench/cpu.py`: user + system time of each "
        "process, from the phase's start until every consumer is idle again, less its idle "
        "use over that time), in ms: "
        f"batch {cpu}; single receipts {single_cpu}. On 2 cores the platform can carry "
        "about 2,000 ms ÷ the sum of a row's figures events per second.\n"
        + _profile_report(profiled, hotspots)
    )
    notes = ""
    if RESULTS.exists() and NOTES_MARKER in RESULTS.read_text():
        notes = RESULTS.read_text().split(NOTES_MARKER, 1)[1]
    RESULTS.write_text(report + "\n" + NOTES_MARKER + notes)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
