"""What a dossier costs the platform, for sizing (docs/sizing.md): CPU seconds per dossier
event by process kind, memory and disk per open and per closed dossier, bytes per event
on each topic.

``python -m bench footprint [--dossiers 12000] [--close 6000]`` starts a stack of its
own (three brokers, every topic with three copies, as in production; no demo traffic),
or measures the one ``--running DIR`` names (a ``deploy/local/stack.py`` state folder,
left running). Then:

1. receipts: ``--dossiers`` receipts through intake's batch API (``POST
   /v1/events:batch``, 1,000 a call), at the units of the demo province, received in the
   last hour;
2. closings: ``--close`` of them completed and their result returned (two transitions
   each, in the same batches), which also makes ratings invite each citizen;

each phase until every consumer group has read everything and the processes are idle
again. Counted are only the processes of that stack (``bench/cpu.py``'s
``stack_roots``: other stacks on a shared machine run the same command lines), in CPU
seconds, not wall time, which a busy machine stretches. Before, between and after the
phases it reads the deadlines worker's resident set and RocksDB folder, the bytes of
every service's PostgreSQL tables with their indexes, and each topic's log segments and
offsets. The figures go to ``bench/footprint.json``, which ``bench/sizing.py`` reads, and
to a section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import subprocess
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
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from bench.cpu import Phase, idle_rates, settle, stack_roots
from bench.intake import machine
from bench.results import write_section

ROOT = Path(__file__).resolve().parents[1]
FOOTPRINT = ROOT / "bench" / "footprint.json"
SECTION = "## Sizing inputs — `python -m bench footprint`"
SCHEMAS = ("intake", "deadlines", "ratings", "reporting")
GROUPS = ("motcua-deadlines", "motcua-ratings", "motcua-reporting")
"""The consumer groups that read dossier events; a phase ends when they read everything."""
BATCH = 1000


@dataclass(frozen=True)
class Stack:
    state: Path
    env: dict[str, str]
    units: list[str]
    procedure: str


def open_stack(state: Path, *, running: bool) -> Stack:
    """The stack in ``state``: started here (three brokers, no demo) unless ``running``."""
    if not running:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "deploy/local/stack.py"),
                "up",
                "--any-port",
                "--no-demo",
                "--brokers",
                "3",
                "--state-dir",
                str(state),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    env = json.loads((state / "endpoints.json").read_text())
    with psycopg.connect(env["INTAKE_DATABASE_URL"]) as conn:
        units = [
            row[0]
            for row in conn.execute(
                "SELECT code FROM units WHERE path @> ARRAY[%s]::text[] AND retired_on IS NULL",
                (env["MOTCUA_DEMO_UPSTREAM_UNIT"],),
            )
        ]
        procedure = conn.execute(
            "SELECT code FROM procedures WHERE processing_unit = 'working_days' "
            "AND processing_amount >= 3 ORDER BY code LIMIT 1"
        ).fetchone()
    if not units or procedure is None:
        raise SystemExit("the stack has no demo province or no procedure counted in days")
    return Stack(state, env, units, procedure[0])


def stop_stack(state: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "deploy/local/stack.py"), "down", "--state-dir", str(state)],
        check=False,
        stdout=subprocess.DEVNULL,
    )


# --- what is held ---------------------------------------------------------------------


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _topic_log_bytes(state: Path) -> dict[str, int]:
    """Bytes of every topic's log segments, over all brokers (every copy)."""
    totals: dict[str, int] = {}
    for segment in state.glob("kafka/data*/*/*.log"):
        topic = segment.parent.name.rsplit("-", 1)[0]
        totals[topic] = totals.get(topic, 0) + segment.stat().st_size
    return totals


def _topic_messages(bootstrap: str) -> tuple[dict[str, int], dict[str, int]]:
    """Messages held on each topic (high − low watermark, summed over partitions), and
    each topic's replication factor."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"footprint-{uuid.uuid4()}"})
    try:
        metadata = consumer.list_topics(timeout=10)
        messages, copies = {}, {}
        for name, topic in metadata.topics.items():
            held = 0
            for partition in topic.partitions:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(name, partition), timeout=10
                )
                held += high - low
            messages[name] = held
            copies[name] = len(next(iter(topic.partitions.values())).replicas)
        return messages, copies
    finally:
        consumer.close()


def record_bytes(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """Key and value bytes of every record on ``topics``, as produced (before the batch
    compression a log segment holds): what live traffic, sent a few records at a time and
    so compressed little, would keep."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"footprint-{uuid.uuid4()}",
            "enable.auto.commit": False,
        }
    )
    totals = dict.fromkeys(topics, 0)
    try:
        metadata = consumer.list_topics(timeout=10)
        ends: dict[tuple[str, int], int] = {}
        assigned = []
        for topic in topics:
            for partition in metadata.topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10
                )
                if high > low:
                    ends[(topic, partition)] = high
                    assigned.append(TopicPartition(topic, partition, low))
        consumer.assign(assigned)
        deadline = time.monotonic() + 120
        while ends and time.monotonic() < deadline:
            for message in consumer.consume(1000, timeout=1):
                if message.error():
                    continue
                topic, partition = str(message.topic()), int(message.partition() or 0)
                totals[topic] += len(message.key() or b"") + len(message.value() or b"")
                if int(message.offset() or 0) + 1 >= ends.get((topic, partition), 0):
                    ends.pop((topic, partition), None)
        return totals
    finally:
        consumer.close()


def _schema_bytes(admin_url: str) -> tuple[dict[str, int], dict[str, int]]:
    """Each service schema's tables with their indexes and TOAST
    (``pg_total_relation_size``), after a ``VACUUM`` so dead rows count as free space:
    the tables that keep what they hold, and the outboxes apart, which are queues (a
    published row is deleted after a day, ``motcua/outbox/_relay.py``)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("VACUUM")
        rows = conn.execute(
            "SELECT n.nspname, c.relname = 'outbox', "
            "sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname = ANY(%s) GROUP BY 1, 2",
            (list(SCHEMAS),),
        ).fetchall()
    kept = {schema: int(size) for schema, outbox, size in rows if not outbox}
    queued = {schema: int(size) for schema, outbox, size in rows if outbox}
    return kept, queued


def snapshot(stack: Stack, roots: dict[int, str]) -> dict[str, Any]:
    """What the stack holds now: resident sets, the worker's store, tables, topics."""
    messages, copies = _topic_messages(stack.env["KAFKA_BOOTSTRAP_SERVERS"])
    kept, queued = _schema_bytes(stack.env["DATABASE_URL"])
    rss: dict[str, int] = {}
    for pid, kind in roots.items():
        if kind != "postgres":
            rss[kind] = rss.get(kind, 0) + _rss_bytes(pid)
    return {
        "rss_bytes": rss,
        "deadlines_store_bytes": _folder_bytes(stack.state / "data" / "deadlines"),
        "schema_bytes": kept,
        "outbox_bytes": queued,
        "topic_log_bytes": _topic_log_bytes(stack.state),
        "topic_messages": messages,
        "topic_copies": copies,
    }


# --- the phases -----------------------------------------------------------------------


def lag(bootstrap: str) -> int:
    """Messages the dossier consumers' groups have not committed yet, over all topics."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"footprint-{uuid.uuid4()}"})
    behind = 0
    try:
        for group in GROUPS:  # the client lists one group's offsets a call
            futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
            listed = futures[group].result().topic_partitions or []
            for committed in listed:
                _, high = consumer.get_watermark_offsets(
                    TopicPartition(committed.topic, committed.partition), timeout=10
                )
                behind += max(0, high - max(committed.offset, 0))
    finally:
        consumer.close()
    return behind


def caught_up(stack: Stack, idle: dict[str, float], roots: dict[int, str]) -> float:
    """Wait until nothing is left to read and the processes are idle; the seconds waited."""
    started = time.monotonic()
    bootstrap = stack.env["KAFKA_BOOTSTRAP_SERVERS"]
    while lag(bootstrap) and time.monotonic() - started < 600:
        time.sleep(2)
    settle(idle, roots=roots)
    return time.monotonic() - started


def receipt(stack: Stack) -> dict[str, Any]:
    occurred = datetime.now(UTC) - timedelta(seconds=random.uniform(120, 3600))
    return {
        "kind": "receive",
        "event_id": f"footprint-{uuid.uuid4()}",
        "occurred_at": occurred.isoformat(),
        "procedure_code": stack.procedure,
        "unit_code": random.choice(stack.units),
        "channel": "online",
        "applicant": {"full_name": "Nguyễn Văn Thử", "phone": "0912000111"},
    }


def closing(code: str) -> list[dict[str, Any]]:
    """Complete (granted) and return the result at the counter, a second apart."""
    now = datetime.now(UTC)
    return [
        {
            "kind": "transition",
            "dossier_code": code,
            "event_id": f"footprint-{uuid.uuid4()}",
            "occurred_at": (now - timedelta(seconds=2)).isoformat(),
            "transition": "complete",
            "outcome": "granted",
        },
        {
            "kind": "transition",
            "dossier_code": code,
            "event_id": f"footprint-{uuid.uuid4()}",
            "occurred_at": (now - timedelta(seconds=1)).isoformat(),
            "transition": "return_result",
            "channel": "counter",
        },
    ]


async def send(stack: Stack, bodies: list[list[dict[str, Any]]], clients: int = 2) -> list[str]:
    """Every batch accepted (each item's own 2xx), the dossier codes of its results."""
    headers = {"Authorization": f"Bearer {stack.env['MOTCUA_DEMO_UPSTREAM_KEY']}"}
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    codes: list[str] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=stack.env["INTAKE_URL"], timeout=120) as http:
            while not queue.empty():
                items = queue.get_nowait()
                response = await http.post(
                    "/v1/events:batch", json={"items": items}, headers=headers
                )
                response.raise_for_status()
                for result in response.json()["results"]:
                    if not 200 <= result["status"] < 300:
                        raise SystemExit(f"an item was refused: {result}")
                    codes.append(result["body"]["dossier_code"])

    await asyncio.gather(*(client() for _ in range(clients)))
    return codes


def measure(stack: Stack, dossiers: int, close: int) -> dict[str, Any]:
    roots = stack_roots(stack.state)
    kinds = sorted(set(roots.values()))
    print(f"processes: {roots}", flush=True)
    idle = idle_rates(10, roots)
    empty = snapshot(stack, roots)

    phase = Phase(idle, roots)
    bodies = [
        [receipt(stack) for _ in range(min(BATCH, dossiers - n))] for n in range(0, dossiers, BATCH)
    ]
    codes = asyncio.run(send(stack, bodies))
    receive_settled = caught_up(stack, idle, roots)
    receive_cpu = phase.spent()
    print(f"receipts: {len(codes)}, cpu s {receive_cpu}", flush=True)
    opened = snapshot(stack, roots)

    phase = Phase(idle, roots)
    chosen = codes[:close]
    half = BATCH // 2
    bodies = [
        [item for code in chosen[n : n + half] for item in closing(code)]
        for n in range(0, len(chosen), half)
    ]
    asyncio.run(send(stack, bodies))
    close_settled = caught_up(stack, idle, roots)
    close_cpu = phase.spent()
    print(f"closings: {len(chosen)}, cpu s {close_cpu}", flush=True)
    closed = snapshot(stack, roots)
    grown = [
        topic
        for topic, held in closed["topic_messages"].items()
        if held > empty["topic_messages"].get(topic, 0) and not topic.startswith("__")
    ]
    closed["record_bytes"] = record_bytes(stack.env["KAFKA_BOOTSTRAP_SERVERS"], grown)
    return {
        "measured_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "machine": machine(),
        "kinds": kinds,
        "brokers": sum(1 for kind in roots.values() if kind == "kafka"),
        "idle_cpu_share": idle,
        "receipts": len(codes),
        "closed": len(chosen),
        "receive_cpu_s": receive_cpu,
        "receive_settled_s": receive_settled,
        "close_cpu_s": close_cpu,
        "close_settled_s": close_settled,
        "empty": empty,
        "open": opened,
        "closed_state": closed,
    }


def report(figures: dict[str, Any], command: str) -> str:
    """The section of ``bench/RESULTS.md``: the raw figures; docs/sizing.md derives from them."""
    receipts, closed = figures["receipts"], figures["closed"]
    rows = []
    for kind in sorted(figures["receive_cpu_s"], key=lambda k: -figures["receive_cpu_s"][k]):
        receive_ms = figures["receive_cpu_s"][kind] * 1000 / receipts
        close_ms = figures["close_cpu_s"][kind] * 1000 / (2 * closed)
        if receive_ms or close_ms:
            rows.append(f"| {kind} | {receive_ms:.2f} | {close_ms:.2f} |")
    empty, opened, done = figures["empty"], figures["open"], figures["closed_state"]

    def held_row(what: str, figure: Callable[[dict[str, Any]], int]) -> str:
        a, b, c = (figure(state) for state in (empty, opened, done))
        return (
            f"| {what} | {a / 2**20:,.1f} MiB | {(b - a) / receipts:,.0f} B "
            f"| {(c - b) / closed:,.0f} B |"
        )

    def in_schema(schema: str) -> Callable[[dict[str, Any]], int]:
        return lambda state: int(state["schema_bytes"].get(schema, 0))

    held = [
        held_row(f"PostgreSQL schema `{schema}`, outbox apart", in_schema(schema))
        for schema in SCHEMAS
    ]
    held.append(
        held_row(
            "PostgreSQL outboxes (a queue: published rows go after a day)",
            lambda state: sum(state["outbox_bytes"].values()),
        )
    )
    held.append(
        held_row("deadlines worker, resident set", lambda state: state["rss_bytes"]["deadlines"])
    )
    held.append(
        held_row("deadlines worker, RocksDB folder", lambda state: state["deadlines_store_bytes"])
    )
    topics = []
    for topic in sorted(done["topic_messages"]):
        messages = done["topic_messages"][topic] - empty["topic_messages"].get(topic, 0)
        copies = done["topic_copies"][topic]
        size = (
            done["topic_log_bytes"].get(topic, 0) - empty["topic_log_bytes"].get(topic, 0)
        ) / copies
        if messages > 0:
            produced = done.get("record_bytes", {}).get(topic)
            as_produced = f"{produced / done['topic_messages'][topic]:,.0f} B" if produced else "—"
            topics.append(
                f"| `{topic}` | {messages:,} | {size / 2**20:,.2f} MiB | {size / messages:,.0f} B "
                f"| {as_produced} |"
            )
    return (
        f"{SECTION}\n\n"
        f"Machine: {figures['machine']}, shared with other engineers' work; a stack of "
        f"`deploy/local/stack.py` with {figures['brokers']} brokers (every topic with three "
        f"copies) and every service one process. Command: `{command}`, {figures['measured_at']}. "
        f"Figures: `bench/footprint.json`; what they size: [docs/sizing.md](../docs/sizing.md).\n\n"
        f"{receipts:,} receipts through `POST /v1/events:batch` (settled after "
        f"{figures['receive_settled_s']:.0f} s), then {closed:,} of them completed and returned "
        f"({2 * closed:,} transitions; settled after {figures['close_settled_s']:.0f} s). CPU of "
        "this stack's processes only (`bench/cpu.py`, `stack_roots`), idle use taken off, in ms "
        "per event:\n\n"
        "| process | per receipt | per transition (complete, return) |\n| --- | --- | --- |\n"
        + "\n".join(rows)
        + "\n\nWhat is held (after a `VACUUM`), empty, then per dossier:\n\n"
        "| what | empty stack | per open dossier | per dossier closed |\n"
        "| --- | --- | --- | --- |\n"
        + "\n".join(held)
        + "\n\nTopics, after both phases (log segments of one copy; messages = high − low "
        "watermark; as produced: key and value before compression):\n\n"
        "| topic | messages | bytes | per message | as produced |\n"
        "| --- | --- | --- | --- | --- |\n" + "\n".join(topics) + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench footprint")
    parser.add_argument("--dossiers", type=int, default=12000)
    parser.add_argument("--close", type=int, default=6000)
    parser.add_argument(
        "--running", type=Path, help="a running stack's state folder (left running)"
    )
    parser.add_argument("--no-write", action="store_true", help="print, write no file")
    args = parser.parse_args(argv)
    if not 0 < args.close <= args.dossiers:
        parser.error("--close must be between 1 and --dossiers")
    state = args.running or ROOT / ".bench-stack"
    if args.running is None:
        stop_stack(state)
    stack = open_stack(state, running=args.running is not None)
    try:
        figures = measure(stack, args.dossiers, args.close)
    finally:
        if args.running is None:
            stop_stack(state)
            shutil.rmtree(state, ignore_errors=True)
    command = f"python -m bench footprint --dossiers {args.dossiers} --close {args.close}"
    section = report(figures, command)
    print(section)
    if not args.no_write:
        FOOTPRINT.write_text(json.dumps({"command": command, **figures}, indent=1) + "\n")
        write_section(SECTION, section)
    return 0
