"""Deadlines timer benchmark: does a tick cost what is due now, or what is open?

In process, no Kafka: what it measures is the timer's own work, the part that could grow
with the number of open dossiers. For each N (default 10k, 100k, 1M open dossiers on one
worker) it

1. builds a ``clocks`` table of N realistic clocks (real calendar, varied procedures,
   due dates over the next ~30 working days, some past their due-soon instant, some
   stopped or already overdue), stored as Faust would: ``clock_to_record``'s record as
   JSON (made by a shallow copy of it, checked byte-identical on a sample);
2. times the rebuild that runs on recovery or rebalance (decode → ``clock_from_record``
   → ``next_check`` → ``DueIndex.schedule``), stage by stage;
3. simulates an afternoon of ticks at the service's tick interval, each popping what is due,
   then running the check's work (re-read the clock, alerts, mark, schedule the next check);
4. times ticks with exactly k dossiers due, for k from 0 to the pop limit;
5. churns: events changing due dates, stopping and restarting clocks, and shows the
   heap stays bounded by compaction;
6. measures the index's own memory: the RSS a fresh process gains building it, and the
   sizes of the objects it holds after the rebuild and after the churn.

Figures go to ``bench/RESULTS.md`` (its own section, kept apart from intake's).
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import multiprocessing
import os
import pickle
import random
import resource
import statistics
import subprocess
import sys
import time
from array import array
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate, islice
from typing import Any
from zoneinfo import ZoneInfo

from faust.serializers import codecs

from bench.intake import ROOT, machine, pct
from bench.results import write_section
from motcua.calendar import TimeUnit, WorkingCalendar, default_calendar
from motcua.contracts import format_instant
from services.deadlines.due_index import REBUILD_SLICE, DueIndex
from services.deadlines.records import clock_from_record, clock_to_record
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.tracking import AlertKind, DeadlinePolicy, DossierClock

SECTION = "## Deadlines timer (DueIndex) — `make bench` → `python -m bench deadlines`"
JSON = codecs.get_codec("json")  # the table's value serializer: what RocksDB hands back
TICK_S: float = DeadlinesSettings.model_fields["tick_interval_s"].default
POP_LIMIT = 10_000  # DueIndex.pop_due's default, what the service's tick uses
CHUNK = 25_000
CHECK_EVERY = 100
KS = (0, 1, 10, 100, 1_000, 10_000)
clock_ns = time.perf_counter_ns

# (procedure, amount, unit, weight): short procedures dominate, a few run in calendar days
# (those end at 17:00, so their alerts come in a burst at the close of a day).
PROCEDURES: list[tuple[str, int, TimeUnit, float]] = [
    ("1.004194", 1, "working_days", 5),
    ("1.001612", 3, "working_days", 15),
    ("2.000889", 5, "working_days", 15),
    ("1.003165", 7, "working_days", 10),
    ("1.000656", 10, "working_days", 13),
    ("2.002156", 15, "working_days", 12),
    ("1.010009", 20, "working_days", 10),
    ("1.008901", 30, "working_days", 6),
    ("2.000305", 4, "working_hours", 4),
    ("2.001720", 8, "working_hours", 4),
    ("1.012455", 15, "calendar_days", 4),
    ("1.003348", 30, "calendar_days", 2),
]

CUM_WEIGHTS = list(accumulate(p[3] for p in PROCEDURES))


def units(count: int = 500) -> list[tuple[str, tuple[str, ...]]]:
    """Ward-level units under districts and provinces, codes in the national format."""
    rng = random.Random(7)
    out: list[tuple[str, tuple[str, ...]]] = []
    for i in range(count):
        province, district, ward = rng.randrange(1, 64), rng.randrange(1, 40), i % 99 + 1
        path = (
            f"000.00.00.H{province:02d}",
            f"000.00.{district:02d}.H{province:02d}",
            f"000.{ward:02d}.{district:02d}.H{province:02d}",
        )
        out.append((path[-1], path))
    return out


def realistic_clock(
    rng: random.Random, cal: WorkingCalendar, policy: DeadlinePolicy, start: datetime
) -> tuple[DossierClock, str]:
    """One open dossier as the clocks table holds it at ``start``, and what state it is in."""
    code, amount, unit, _ = rng.choices(PROCEDURES, cum_weights=CUM_WEIGHTS)[0]
    unit_code, unit_path = rng.choice(UNITS)
    paper = rng.random() < 0.4
    day_s = cal.hours.day_micros // 1_000_000
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    due: datetime | None
    while True:
        if unit == "calendar_days":
            received = midnight - timedelta(
                days=rng.randint(1, amount), seconds=-rng.randrange(27_000, 61_200)
            )
        else:
            span = amount * (day_s if unit == "working_days" else 3_600)
            received = cal.subtract_working_time(start, timedelta(seconds=rng.randrange(span)))
        due = original = cal.due_at(cal.clock_start(received, paper=paper), amount, unit)
        if due > start:
            break
    extra: dict[str, Any] = {}
    episode, emitted, state = 1, frozenset[str](), "running"
    fate = rng.random()
    if fate < 0.04:
        since = start - timedelta(hours=rng.randrange(1, 200))
        extra = {"supplement_since": since, "supplement_requests": 1}
        due, state = None, "awaiting a supplement (clock stopped)"
    elif fate < 0.06:
        due, state = None, "paused (clock stopped)"
    elif fate < 0.08:
        late = timedelta(seconds=rng.randrange(1, 5 * day_s))
        due = original = cal.subtract_working_time(start, late)
        emitted, state = frozenset({"due_soon:1", "overdue:1"}), "overdue, both alerts sent"
    elif fate < 0.10:
        due = cal.add_working_days(original, rng.choice((3, 5, 10)))
        extra = {"rescheduled": True}
        episode, emitted, state = 2, frozenset({"due_soon:1"}), "appointment moved once"
    elif fate < 0.13:
        waited = timedelta(hours=rng.randrange(1, 40))
        extra = {"supplement_requests": 1, "supplement_waiting": waited}
        state = "running, supplied once"
    if (
        due is not None
        and not state.startswith("overdue")
        and policy.became_due(AlertKind.DUE_SOON, due) <= start
    ):
        emitted |= {f"due_soon:{episode}"}
        state += ", due-soon sent"
    bits = f"{rng.getrandbits(128):032x}"  # a version-4 UUID's text, without uuid.UUID's cost
    clock = DossierClock(
        dossier_id=f"{bits[:8]}-{bits[8:12]}-4{bits[13:16]}-a{bits[17:20]}-{bits[20:]}",
        dossier_code=f"{unit_code}-{received:%y%m%d}-{rng.randrange(1, 10_000):04d}",
        unit_code=unit_code,
        unit_path=unit_path,
        procedure_code=code,
        due_at=due,
        original_due_at=original,
        episode=episode,
        emitted=emitted,
        last_sequence=rng.randint(1, 12),
        **extra,
    )
    return clock, state


UNITS = units()


def table_record(clock: DossierClock) -> bytes:
    """``clock_to_record`` as the table's JSON, without ``asdict``'s deep copy, which costs
    more than everything else here (every field is immutable, so a shallow copy is the same
    record); ``table_chunk`` checks the two agree, byte for byte, on a sample of the table."""
    c = clock
    instant = format_instant
    return json.dumps(
        {
            "dossier_id": c.dossier_id,
            "dossier_code": c.dossier_code,
            "unit_code": c.unit_code,
            "unit_path": list(c.unit_path),
            "procedure_code": c.procedure_code,
            "due_at": instant(c.due_at) if c.due_at else None,
            "original_due_at": instant(c.original_due_at) if c.original_due_at else None,
            "episode": c.episode,
            "rescheduled": c.rescheduled,
            "open": c.open,
            "emitted": sorted(c.emitted),
            "last_sequence": c.last_sequence,
            "supplement_requests": c.supplement_requests,
            "supplement_since": instant(c.supplement_since) if c.supplement_since else None,
            "supplement_waiting": c.supplement_waiting.total_seconds(),
        },
        separators=(",", ":"),
    ).encode()


@dataclass
class Chunk:
    rows: list[tuple[str, bytes]]
    states: Counter[str]
    checked: int = 0
    to_record_ns: int = 0
    table_record_ns: int = 0


def table_chunk(seed: int, chunk: int, count: int, start_ts: float) -> Chunk:
    """``count`` table rows (key, stored value); a process-pool task, seeded by chunk. One
    row in ``CHECK_EVERY`` is also made by ``clock_to_record`` and must be byte-identical."""
    rng = random.Random(seed * 1_000_003 + chunk)
    cal = default_calendar()
    policy = DeadlinePolicy(cal)
    start = datetime.fromtimestamp(start_ts, ZoneInfo(cal.zone))
    out = Chunk([], Counter())
    for i in range(count):
        clock, state = realistic_clock(rng, cal, policy, start)
        t0 = clock_ns()
        value = table_record(clock)
        t1 = clock_ns()
        if i % CHECK_EVERY == 0:
            reference = JSON.dumps(clock_to_record(clock))
            out.to_record_ns += clock_ns() - t1
            out.table_record_ns += t1 - t0
            out.checked += 1
            if reference != value:
                raise AssertionError(f"table_record differs from clock_to_record: {value!r}")
        out.rows.append((clock.dossier_id, value))
        out.states[state] += 1
    return out


def build_table(size: int, start: datetime, seed: int) -> Chunk:
    """The table's rows, in chunks over every core: setup, not a measurement."""
    sizes = [min(CHUNK, size - first) for first in range(0, size, CHUNK)]
    context = multiprocessing.get_context("fork")
    table = Chunk([], Counter())
    with ProcessPoolExecutor(os.cpu_count(), mp_context=context) as pool:
        tasks = [
            pool.submit(table_chunk, seed, chunk, count, start.timestamp())
            for chunk, count in enumerate(sizes)
        ]
        for task in tasks:
            part = task.result()
            table.rows += part.rows
            table.states += part.states
            table.checked += part.checked
            table.to_record_ns += part.to_record_ns
            table.table_record_ns += part.table_record_ns
    return table


@dataclass
class Rebuild:
    seconds: float = 0.0
    indexed: int = 0
    stages_ns: dict[str, int] = field(default_factory=dict)
    longest_slice_ns: int = 0
    """The longest run of ``REBUILD_SLICE`` clocks between two yields: how long the
    worker's loop is held at a time while the index is rebuilt beside the processing."""


def rebuild(values: Sequence[bytes], policy: DeadlinePolicy) -> tuple[DueIndex, Rebuild]:
    """What ``restore_index`` does after a recovery, with each stage timed."""
    index = DueIndex()
    index.start_rebuild()
    decode = convert = check = schedule = 0
    longest = 0
    started = t0 = slice_start = clock_ns()
    for count, value in enumerate(values, 1):
        if count % REBUILD_SLICE == 0:
            longest = max(longest, t0 - slice_start)
            slice_start = t0
        record = JSON.loads(value)
        t1 = clock_ns()
        clock = clock_from_record(record)
        assert clock is not None
        t2 = clock_ns()
        next_check = clock.next_check(policy)
        at = next_check.timestamp() if next_check else None
        t3 = clock_ns()
        index.restore(clock.dossier_id, at)
        t4 = clock_ns()
        decode, convert, check, schedule = (
            decode + t1 - t0,
            convert + t2 - t1,
            check + t3 - t2,
            schedule + t4 - t3,
        )
        t0 = t4
    index.finish_rebuild()
    longest = max(longest, t0 - slice_start)
    stages = {"decode": decode, "from_record": convert, "next_check": check, "schedule": schedule}
    return index, Rebuild((clock_ns() - started) / 1e9, len(index), stages, longest)


@dataclass
class Ticks:
    ticks_ns: array[int]
    popped: array[int]
    alerts: Counter[str]
    idle_checks: int


def simulate_ticks(
    index: DueIndex,
    table: dict[str, bytes],
    policy: DeadlinePolicy,
    start_ts: float,
    hours: float,
) -> Ticks:
    """Ticks every ``TICK_S`` over simulated time; only ``pop_due`` is timed (the tick's own
    work besides one Kafka send per due dossier), then each popped dossier gets the check."""
    ticks_ns, popped = array("q"), array("q")
    written: dict[str, DossierClock] = {}  # the check's table writes, kept in memory
    alerts: Counter[str] = Counter()
    idle = 0
    for step in range(1, int(hours * 3600 / TICK_S) + 1):
        now = start_ts + step * TICK_S
        t0 = clock_ns()
        due = index.pop_due(now)
        ticks_ns.append(clock_ns() - t0)
        popped.append(len(due))
        if not due:
            continue
        now_dt = datetime.fromtimestamp(now, UTC)
        for dossier_id in due:
            clock = written.get(dossier_id) or clock_from_record(JSON.loads(table[dossier_id]))
            assert clock is not None
            settled = clock.due_alerts(now_dt, policy)
            idle += not settled
            for alert in settled:
                alerts[alert.kind.value] += 1
                clock = clock.mark(alert)
            written[dossier_id] = clock
            following = clock.next_check(policy)
            index.schedule(dossier_id, following.timestamp() if following else None)
    return Ticks(ticks_ns, popped, alerts, idle)


def ticks_with_k_due(
    index: DueIndex, earliest: list[tuple[str, float]], k: int, repeats: int
) -> tuple[float, int]:
    """Median ns of a tick when exactly the ``k`` earliest checks are due, and how many it
    popped; the popped dossiers are put back between repeats so each tick sees the same."""
    k = min(k, len(earliest))  # fewer checks than k: all of them
    now = earliest[k - 1][1] if k else earliest[0][1] - 1.0
    times = dict(earliest[:k])
    samples, count = [], 0
    for _ in range(repeats):
        t0 = clock_ns()
        due = index.pop_due(now, limit=max(1, k))  # checks due at the same instant: k of them
        samples.append(clock_ns() - t0)
        count = len(due)
        for dossier_id in due:
            index.schedule(dossier_id, times.get(dossier_id, now))  # else a tie at ``now``
    return statistics.median(samples), count


@dataclass
class Churn:
    events: int
    seconds: float
    compactions: list[int]
    max_heap: int
    max_excess: int
    heap_after: int
    open_after: int


def churn(index: DueIndex, keys: Sequence[bytes], events: int, start_ts: float) -> Churn:
    """Dossier events as ``track`` sees them: each decodes its key and schedules the clock's
    next check: unchanged (transfers), stopped (supplement asked, paused), or moved (supplied,
    resumed, appointment moved), on random dossiers."""
    rng = random.Random(11)
    pending = index._next
    compactions: list[int] = []
    max_heap = 0
    max_excess = -(2**62)
    started = clock_ns()
    for _ in range(events):
        dossier_id = keys[rng.randrange(len(keys))].decode()
        current = pending.get(dossier_id)
        fate = rng.random()
        if fate < 0.15:
            at = current
        elif fate < 0.30:
            at = None
        else:
            base = current if current is not None else start_ts
            at = float(int(base + rng.uniform(3600, 10 * 86_400)))
        before = len(index._heap)
        t0 = clock_ns()
        index.schedule(dossier_id, at)
        spent = clock_ns() - t0
        heap = len(index._heap)
        if heap < before:
            compactions.append(spent)
        max_heap = max(max_heap, heap)
        max_excess = max(max_excess, heap - 2 * len(index))
    seconds = (clock_ns() - started) / 1e9
    return Churn(
        events,
        seconds,
        compactions,
        max_heap,
        max_excess,
        len(index._heap),
        len(index),
    )


def retained_bytes(index: DueIndex) -> int:
    """Bytes of every object the index holds (heap list, tuples, dict, ids, times), each
    counted once: an id decoded by a later event is a second string, and counts again."""
    heap, pending = index._heap, index._next
    total = sys.getsizeof(heap) + sys.getsizeof(pending)
    total += sum(map(sys.getsizeof, pending)) + sum(map(sys.getsizeof, pending.values()))
    seen = set(map(id, pending))
    seen.update(map(id, pending.values()))
    for entry in heap:
        total += sys.getsizeof(entry)
        for part in entry:
            if id(part) not in seen:
                seen.add(id(part))
                total += sys.getsizeof(part)
    return total


# Run in a fresh interpreter that imports nothing else: its resident set grows by what the
# index takes from the OS, with no freed memory of earlier phases to hide it.
RSS_PROBE = """
import os, pickle, sys
from services.deadlines.due_index import DueIndex

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

blob, times = pickle.load(sys.stdin.buffer)
keys = blob.split(b"\\n")
before = rss()
index = DueIndex()
for i in range(len(keys)):
    index.schedule(keys[i].decode(), times[i])
print(rss() - before)
"""


def rss_of_build(keys: list[bytes], times: array[float]) -> int:
    """Resident memory a fresh process gains building the index: ids decoded and times
    made there, so what the index keeps counts, and nothing the bench keeps does."""
    probe = subprocess.run(
        [sys.executable, "-c", RSS_PROBE],
        input=pickle.dumps((b"\n".join(keys), times)),
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    return int(probe.stdout)


@dataclass
class Memory:
    rss: int
    built: int
    after_churn: int


@dataclass
class Run:
    size: int
    rebuild: Rebuild
    ticks: Ticks
    ks: dict[int, tuple[float, int]]
    churn: Churn
    memory: Memory


def measure(
    size: int, rows: list[tuple[str, bytes]], policy: DeadlinePolicy, args: argparse.Namespace
) -> Run:
    start_ts = args.start.timestamp()
    began = time.perf_counter()

    def done(what: str) -> None:
        print(f"N={size:,}: {what} ({time.perf_counter() - began:.1f} s)", flush=True)

    gc.collect()
    index, built = rebuild([value for _, value in islice(rows, size)], policy)
    done(f"rebuilt {built.indexed:,} in {built.seconds:.1f} s")
    keys = [dossier_id.encode() for dossier_id in index._next]
    times = array("d", index._next.values())
    table = dict(islice(rows, size))
    ticks = simulate_ticks(index, table, policy, start_ts, args.hours)
    del table
    done(f"{len(ticks.ticks_ns):,} ticks, {sum(ticks.popped):,} pops")
    # which checks exist, read from the index to aim ``now`` at the k-th earliest
    earliest = heapq.nsmallest(max(KS), index._next.items(), key=lambda item: item[1])
    ks = {k: ticks_with_k_due(index, earliest, k, 5 if k >= 10_000 else 25) for k in KS}
    done("ticks with k due")
    built_bytes = retained_bytes(index)
    done("index sized")
    events = int(args.churn * len(keys))
    churned = churn(index, keys, events, start_ts)
    done(f"churn of {events:,} in {churned.seconds:.1f} s")
    after_churn = retained_bytes(index)
    del index
    mem = Memory(rss_of_build(keys, times), built_bytes, after_churn)
    done(f"index {mem.rss / len(keys):.0f} B/dossier by RSS")
    return Run(size, built, ticks, ks, churned, mem)


def us(ns: float) -> str:
    return f"{ns / 1000:,.1f}" if ns < 100_000 else f"{ns / 1000:,.0f}"


def mb(n: float) -> str:
    return f"{n / 2**20:,.1f} MB"


def report(
    runs: list[Run],
    table: Chunk,
    args: argparse.Namespace,
    elapsed: float,
    setup: float,
) -> str:
    start = args.start
    total = sum(table.states.values())
    composition = "; ".join(f"{n / total:.1%} {state}" for state, n in table.states.most_common())
    lines = [
        SECTION,
        "",
        f"Machine: {machine()}; one process, no Kafka or RocksDB: the timer's own work "
        f"(a tick also sends one Kafka message per due dossier, never per open one). "
        f"Command: `python -m bench deadlines{''.join(' ' + a for a in args.argv)}`, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {elapsed:.0f} s "
        f"(of which {setup:.0f} s building the tables on {os.cpu_count()} processes).",
        "",
        f"Open dossiers: realistic clocks on the real calendar at {start:%a %Y-%m-%d %H:%M} "
        f"(+07:00): {len(PROCEDURES)} procedures (1–30 working days, 4–8 working hours, "
        "15–30 calendar days; received online or on paper, cut-off applied), due dates over "
        "the next ~30 working days, stored as the table's JSON. "
        f"States of the {total:,}: {composition}. The stored values come from a shallow "
        "copy of `clock_to_record`'s logic, checked byte-identical to `clock_to_record` on "
        f"{table.checked:,} rows (1 in {CHECK_EVERY}): `clock_to_record` itself costs "
        f"{table.to_record_ns / max(1, table.checked) / 1000:.0f} µs a clock (`asdict` deep-"
        f"copies every datetime), the shallow copy "
        f"{table.table_record_ns / max(1, table.checked) / 1000:.0f} µs, JSON included.",
        "",
        "**Rebuild on recovery / rebalance** (`restore_index`: decode → `clock_from_record` "
        "→ `next_check` → `restore`, single-threaded as in the worker, in the background: it "
        f"yields to the loop every {REBUILD_SLICE:,} clocks, so processing resumes at once "
        "and waits at most one slice at a time)",
        "",
        "| open dossiers | in the index | rebuild (beside the processing) | longest hold of "
        "the loop (one slice) | per dossier | decode / from_record / next_check / restore |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        b = run.rebuild
        stages = " / ".join(us(ns / run.size) for ns in b.stages_ns.values())
        lines.append(
            f"| {run.size:,} | {b.indexed:,} | {b.seconds:.2f} s | "
            f"{b.longest_slice_ns / 1e6:.1f} ms | "
            f"{b.seconds * 1e6 / run.size:.1f} µs | {stages} µs |"
        )
    ticks = len(runs[0].ticks.ticks_ns)
    lines += [
        "",
        f"**A simulated afternoon** ({args.hours:g} h from {start:%H:%M}, a tick every "
        f"{TICK_S:g} s "
        f"(the service's `tick_interval_s`) = {ticks:,} ticks; each popped dossier then gets "
        "the check's work: re-read, alerts, mark, schedule the next check; only `pop_due` is "
        "timed)",
        "",
        "| open dossiers | ticks with nothing due: p50 / p99 / max | ticks with some due: "
        "count, p50 / p99 / max | popped (max in one tick) | per popped dossier | alerts "
        "sent (checks with nothing due) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        d = run.ticks
        empty: list[float] = [ns for ns, n in zip(d.ticks_ns, d.popped, strict=True) if n == 0]
        busy: list[float] = [ns for ns, n in zip(d.ticks_ns, d.popped, strict=True) if n > 0]
        pops = sum(d.popped)
        per_pop = sum(busy) / pops if pops else 0.0
        alerts = ", ".join(f"{d.alerts[k]:,} {k}" for k in ("due_soon", "overdue"))
        lines.append(
            f"| {run.size:,} | {_p(empty)} µs | {len(busy):,}: {_p(busy)} µs | "
            f"{pops:,} ({max(d.popped, default=0):,}) | {us(per_pop)} µs | {alerts} "
            f"({d.idle_checks}) |"
        )
    header = " | ".join(f"k = {k:,}" for k in KS)
    lines += [
        "",
        "**Ticks with exactly k due** (`now` set on the k-th earliest check, `pop_due`'s "
        "limit set to k so checks sharing that instant do not add to it; median of 25, of 5 "
        "for 10,000 = the service's limit; µs per tick, and per popped dossier; warm caches: "
        "the same entries popped and pushed back each time, so cheaper per dossier than the "
        "afternoon's cold pops)",
        "",
        f"| open dossiers | {header} |",
        "| --- |" + " --- |" * len(KS),
    ]
    for run in runs:
        cells = [us(ns) + (f" ({us(ns / n)}/dossier)" if n else "") for ns, n in run.ks.values()]
        lines.append(f"| {run.size:,} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"**Churn** ({args.churn:g} events per indexed dossier, on random ones, each decoding "
        "its key as `track` does: 15% leave the next check unchanged (transfers), 15% stop "
        "the clock (supplement asked, pause), 70% move it (supplied, resumed, appointment "
        "moved); `schedule` timed one by one, so a compaction shows as one long call)",
        "",
        "| open dossiers | events | per event | compactions (longest, the loop is held) | "
        "heap entries − 2 × indexed, max (compaction bound 1,024) | after: heap ÷ indexed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        c = run.churn
        longest = f"{max(c.compactions) / 1e6:,.0f} ms" if c.compactions else "—"
        lines.append(
            f"| {run.size:,} | {c.events:,} | {c.seconds * 1e6 / c.events:.2f} µs | "
            f"{len(c.compactions)} ({longest}) | {c.max_excess:,} | "
            f"{c.heap_after:,} ÷ {c.open_after:,} = {c.heap_after / max(1, c.open_after):.2f} |"
        )
    lines += [
        "",
        "**Index memory** (the index alone: heap list, tuples, dict, and the ids and times it "
        "keeps; the RSS a fresh process gains building it, and the sizes of the objects it "
        "holds after the rebuild and after the churn, each object once; B per indexed "
        "dossier)",
        "",
        "| open dossiers | RSS delta, fresh build | objects after rebuild | objects after "
        "churn | after churn ÷ after rebuild |",
        "| --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        m, indexed = run.memory, run.rebuild.indexed
        lines.append(
            f"| {run.size:,} | {mb(m.rss)} ({m.rss / indexed:.0f} B) | "
            f"{mb(m.built)} ({m.built / indexed:.0f} B) | {mb(m.after_churn)} "
            f"({m.after_churn / max(1, run.churn.open_after):.0f} B) | "
            f"{m.after_churn / max(1, m.built):.2f} |"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    lines += ["", f"Bench process peak RSS {mb(rss)} (tables and clocks included).", ""]
    lines += conclusion(runs)
    return "\n".join(lines) + "\n"


def _p(values: list[float]) -> str:
    if not values:
        return "—"
    return " / ".join(us(pct(values, p)) for p in (50, 99)) + f" / {us(max(values))}"


def conclusion(runs: list[Run]) -> list[str]:
    """Read from the figures, not written in advance: flat or not, and why."""
    small, large = runs[0], runs[-1]
    grow = large.size / small.size

    def per_k(run: Run, k: int) -> float:
        ns, n = run.ks[k]
        return ns / n if n else ns

    def cold(run: Run) -> float:
        pops = sum(run.ticks.popped)
        busy = sum(ns for ns, n in zip(run.ticks.ticks_ns, run.ticks.popped, strict=True) if n)
        return busy / pops if pops else 0.0

    idle = per_k(large, 0) / per_k(small, 0)
    per_pop = max(per_k(large, 1_000) / per_k(small, 1_000), cold(large) / cold(small))
    k_ratio = large.ks[1_000][0] / max(1.0, large.ks[10][0])
    bounded = all(r.churn.max_excess <= 1024 for r in runs)
    mem_ratio = max(r.memory.after_churn / max(1, r.memory.built) for r in runs)
    no_scan = idle < 3 and per_pop < grow**0.5
    if no_scan and bounded:
        verdict = (
            "The figures support the claim in the sense that matters: no tick scans the "
            "open dossiers, a tick costs what is due now"
        )
        if per_pop >= 2:
            verdict += (
                f', but "flat" holds for ticks with nothing due, not for the cost per due '
                f"dossier, which grew {per_pop:.1f}× for {grow:,.0f}× the dossiers: "
                "logarithmic in N and bound by memory latency, not linear"
            )
        verdict += "."
    else:
        why = []
        if not no_scan:
            why.append(f"tick cost grew {idle:.1f}× (nothing due) and {per_pop:.1f}× (per pop)")
        if not bounded:
            why.append("the heap outgrew 2 × indexed + 1,024")
        verdict = "The figures do NOT support the claim: " + "; ".join(why) + "."
    out = [
        f"**Reading.** From {small.size:,} to {large.size:,} open dossiers ({grow:,.0f}×): a "
        f"tick with nothing due costs {per_k(small, 0) / 1000:.1f} → "
        f"{per_k(large, 0) / 1000:.1f} µs (a look at the heap's top), a popped dossier "
        f"{cold(small) / 1000:.1f} → {cold(large) / 1000:.1f} µs in the afternoon, "
        f"{per_k(small, 1_000) / 1000:.1f} → {per_k(large, 1_000) / 1000:.1f} µs "
        f"warm, at most {per_pop:.1f}× (heap depth log₂ N: "
        f"{small.rebuild.indexed.bit_length()} → {large.rebuild.indexed.bit_length()} levels, "
        "each a tuple and a float somewhere in a bigger heap, so more cache misses); at "
        f"{large.size:,} a tick with 1,000 due costs {k_ratio:.0f}× one with 10 due. Tick "
        f"cost is O(k log N) for k dossiers due, and `pop_due`'s limit caps k at "
        f"{POP_LIMIT:,}. Under churn the heap stayed within 2 × indexed + 1,024 "
        f"({'held' if bounded else 'NOT held'}), which caps the index near twice its "
        f"rebuilt size (it ended the churn at {mem_ratio:.2f}×); about "
        f"{large.memory.rss / large.rebuild.indexed:.0f} B of RSS per indexed dossier, "
        f"{mb(large.memory.rss)} at {large.size:,}. {verdict}",
    ]
    notes = []
    if large.rebuild.seconds > 1:
        notes.append(
            f"the rebuild of {large.size:,} clocks takes {large.rebuild.seconds:.0f} s of "
            "the worker's loop after every recovery or rebalance (RocksDB reads not "
            "counted), but beside the processing: events, checks, ticks and the web go on "
            f"between slices of {REBUILD_SLICE:,} clocks, the longest "
            f"{large.rebuild.longest_slice_ns / 1e6:.0f} ms; a dossier the rebuild has not "
            "reached yet is checked once it is (or at once, if an event touches it); the "
            "largest stage is `next_check`, which recomputes the apology deadline with the "
            "calendar"
        )
    if large.churn.compactions:
        notes.append(
            f"one compaction at {large.size:,} holds the loop "
            f"{max(large.churn.compactions) / 1e6:,.0f} ms, inside whichever `schedule` "
            "call crosses the bound (once per ~N superseding events)"
        )
    if notes:
        out += ["", "**Not the tick, but on the same loop:** " + "; ".join(notes) + "."]
    return out


def first_afternoon(day: date, cal: WorkingCalendar) -> datetime:
    """16:00 on the first working day from ``day``: the table's state and the simulated
    ticks start there, so the window holds a working hour's steady alerts, the burst at the
    17:00 close and a quiet evening, at a fraction of a whole day's pops (and run time)."""
    if not cal.is_working_day(day):
        day = cal.next_working_day(day)
    return datetime.combine(day, datetime.min.time(), ZoneInfo(cal.zone)) + timedelta(hours=16)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench deadlines")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="open dossiers, N")
    parser.add_argument("--hours", type=float, default=3.0, help="simulated time per N")
    parser.add_argument("--churn", type=float, default=1.5, help="churn events per dossier")
    parser.add_argument("--start", type=date.fromisoformat, default=datetime.now(UTC).date())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.argv = argv
    began = time.perf_counter()
    cal = default_calendar()
    policy = DeadlinePolicy(cal)
    args.start = first_afternoon(args.start, cal)
    policy.calendar.apology_deadline(args.start)  # builds the day index once, before forking
    sizes = sorted(int(s) for s in args.sizes.split(","))
    table = build_table(sizes[-1], args.start, args.seed)
    setup = time.perf_counter() - began
    print(f"table of {len(table.rows):,} clocks built in {setup:.1f} s", flush=True)
    gc.collect()
    gc.freeze()  # the bench's own table is RocksDB's in the worker: keep it out of GC passes
    runs = []
    for size in sizes:
        runs.append(measure(size, table.rows, policy, args))
        gc.collect()
    section = report(runs, table, args, time.perf_counter() - began, setup)
    if not args.no_write:
        write_section(SECTION, section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
