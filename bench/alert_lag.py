"""Alert lag end to end: the deadlines worker of a real stack, fed dossiers that fall due
at a steady rate; lag = the Kafka timestamp of each overdue alert − the dossier's due
instant (target: p99 ≤ 1 s). With ``--window-s 0`` every dossier falls due at the same
instant, a burst (target: the last alert out within 5 s of it).

Dossier-received events go straight onto ``motcua.dossier-events`` (what intake's relay
would publish), with due instants spread evenly over a window, so the worker sees a
steady stream of dossiers falling due while it keeps tracking the others. Uses the stack
named by ``BENCH_ENV`` or brings up its own (``.bench-stack/``).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from bench.intake import machine, open_stack, pct
from bench.results import write_section
from motcua.contracts import EventType, encode_event, format_instant, new_event, structured_headers
from motcua.dossier import ClockState
from motcua.kafka import Topic

SECTION = "## Alert lag (deadlines worker, end to end)"
BURST_SECTION = "## Alert burst (deadlines worker, end to end)"


def received_event(dossier_id: str, unit_path: list[str], procedure: str, due: datetime) -> bytes:
    received = due - timedelta(days=10)
    return encode_event(
        new_event(
            EventType.DOSSIER_RECEIVED,
            source="/motcua/bench",
            subject=dossier_id,
            time=received,
            data={
                "dossier_id": dossier_id,
                "dossier_code": f"{unit_path[-1]}-{received:%y%m%d}-{uuid.uuid4().int % 10000:04d}",
                "unit_code": unit_path[-1],
                "unit_path": unit_path,
                "procedure_code": procedure,
                "sequence": 1,
                "channel": "online",
                "applicant_ref": "apl_benchbenchbenchbench1",
                "applicant_kind": "citizen",
                "contact_preference": "sms",
                "received_at": format_instant(received),
                "clock_starts_at": format_instant(received),
                "processing_time": {"amount": 7, "unit": "working_days"},
                "online_level": "full",
                "clock": ClockState(running=True, due_at=due, original_due_at=due).as_json(),
            },
        )
    )


def read_overdue(bootstrap: str, wanted: dict[str, datetime], until: float) -> dict[str, float]:
    """Lag in seconds of each wanted dossier's first overdue alert, by Kafka timestamp."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4()}"})
    topic = Topic.DEADLINE_ALERTS.value
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    lags: dict[str, float] = {}
    try:
        while time.monotonic() < until and len(lags) < len(wanted):
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            key = (message.key() or b"").decode()
            if key not in wanted or key in lags:
                continue
            event: dict[str, Any] = json.loads(message.value() or b"{}")
            if event["type"] == EventType.DEADLINE_OVERDUE.value:
                _, stamp_ms = message.timestamp()
                lags[key] = stamp_ms / 1000 - wanted[key].timestamp()
    finally:
        consumer.close()
    return lags


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench alert-lag")
    parser.add_argument("--dossiers", type=int, default=3000)
    parser.add_argument("--window-s", type=float, default=60.0, help="dues spread over this")
    parser.add_argument(
        "--lead-s", type=float, default=60.0, help="first due after this (ingestion settles)"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    stack, stop = open_stack()
    try:
        start = datetime.now(UTC) + timedelta(seconds=args.lead_s)
        step = args.window_s / args.dossiers
        dues = {
            str(uuid.uuid4()): start + timedelta(seconds=n * step) for n in range(args.dossiers)
        }
        unit_path = ["000.00.00.B01", "000.00.00.H01", stack.units[-1]]
        producer = Producer(
            {"bootstrap.servers": stack.kafka, "partitioner": "murmur2_random", "linger.ms": 5}
        )
        for dossier_id, due in dues.items():
            producer.produce(
                Topic.DOSSIER_EVENTS.value,
                key=dossier_id.encode(),
                value=received_event(dossier_id, unit_path, stack.procedure, due),
                headers=structured_headers(),
            )
        assert producer.flush(30) == 0
        until = time.monotonic() + args.lead_s + args.window_s + 60
        lags = read_overdue(stack.kafka, dues, until)
    finally:
        stop()
    values = sorted(lags.values())
    missing = len(dues) - len(values)
    burst = args.window_s == 0
    spread = "at one instant" if burst else f"over {args.window_s:g} s"
    rate = "burst" if burst else f"{args.dossiers / args.window_s:,.0f}/s"
    target = "last ≤ 5,000 ms" if burst else "p99 ≤ 1,000 ms"
    section = "\n".join(
        [
            BURST_SECTION if burst else SECTION,
            "",
            f"Machine: {machine()}. Command: `python -m bench alert-lag --dossiers "
            f"{args.dossiers} --window-s {args.window_s:g} --lead-s {args.lead_s:g}`, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The stack's own deadlines worker "
            "(one process, RocksDB tables); every alert is also written to the board in "
            "PostgreSQL before it is sent.",
            "",
            "| dossiers falling due | rate | alerts read | lag p50 | p95 | p99 | max | target |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            f"| {args.dossiers:,} {spread} | {rate} | {len(values):,}"
            f"{f' ({missing} missing)' if missing else ''} | {pct(values, 50) * 1000:,.0f} ms | "
            f"{pct(values, 95) * 1000:,.0f} ms | {pct(values, 99) * 1000:,.0f} ms | "
            f"{values[-1] * 1000:,.0f} ms | {target} |",
            "",
        ]
    )
    print(section)
    if not args.no_write:
        write_section(BURST_SECTION if burst else SECTION, section)
    return 0 if not missing else 1
