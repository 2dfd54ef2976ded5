"""``python -m bench history``: years of a province's dossiers imported, and the platform
with them in (issue 27, "Scale, measured").

On a whole stack of its own (``deploy/local/stack.py up --no-demo`` in ``.bench-stack/``,
or the stack whose ``endpoints.json`` ``BENCH_ENV`` names):

1. writes two files with :mod:`bench.history_file`: ``--dossiers`` of three years over
   Thanh Hóa's communes (a twentieth still open at the end), and ``--open`` dossiers of
   the last eight weeks, every one still open (the board's);
2. imports them with ``python -m services.intake.manage import-dossiers`` (the open file
   first, so that the deadlines worker reaches its dossiers before the years of closed
   history behind them), timing the importer: dossiers and events a second;
3. waits until intake's relay has published every event and reporting has counted every
   dossier intake holds (its consumed offsets at the topics' ends, its dossier count equal
   to intake's): the import's end-to-end time;
4. times, one request at a time, ``--samples`` requests each of the province's
   ``/v1/reports/summary``, the national summary and the leaders' page ``/reports`` of
   the province, over periods of the three years (years, quarters, months);
5. waits for the deadlines worker to reach the topics' ends, then times the province's
   duty officer's ``/board``;
6. times ``python -m services.reporting.manage rebuild`` over everything.

The issue's targets are printed beside the figures as met or not met; nothing here
asserts a timing. A run can be bounded and continued: ``--import-budget`` stops the
history import after that many seconds (the importer's checkpoint keeps every batch that
committed) and the rest is measured at the size reached; a later run on the same stack
(``BENCH_ENV``) with the same ``--end`` reads the files already written and the importer
resumes where it stopped; ``--sample-budget`` caps each endpoint's sampling time. The
section in ``bench/RESULTS.md`` is rewritten after each phase.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psycopg
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from bench.history_file import THANH_HOA, Written, history_spec, open_spec, write
from bench.intake import ROOT, machine
from bench.results import pct, write_section
from bench.stack import open_bench_stack
from motcua.identity import Officer, Role, TokenIssuer
from services.intake.reference.national import MINISTRY, province_police_code
from services.reporting.access import new_api_key
from services.reporting.consumer import TOPIC_NAMES

NOT_REACHED = "not reached: the run was stopped before"
SECTION = "## History import at scale (issue 27) — `python -m bench history`"
OUT = ROOT / "bench" / "out"
DEADLINES_GROUP = "motcua-deadlines"
TARGET_S = {
    "province summary": 1.0,
    "province leaders' page": 1.0,
    "national summary": 2.0,
    "province board": 0.2,
}
"""The issue's p95 targets, in seconds."""


@dataclass(frozen=True)
class Latency:
    """One endpoint's samples, in seconds, and the p95 it should meet."""

    name: str
    seconds: list[float]
    target_s: float | None = None

    def p(self, percentile: float) -> float:
        return pct(self.seconds, percentile)

    @property
    def verdict(self) -> str:
        if self.target_s is None or not self.seconds:
            return "—"
        return "met" if self.p(95) <= self.target_s else "not met"

    def row(self) -> str:
        target = f"p95 ≤ {self.target_s * 1000:,.0f} ms" if self.target_s else "—"
        figures = " / ".join(f"{self.p(p) * 1000:,.1f}" for p in (50, 95, 99))
        return (
            f"| {self.name} | {len(self.seconds)} | {figures} ms | "
            f"{max(self.seconds, default=0) * 1000:,.1f} ms | {target} | {self.verdict} |"
        )


@dataclass(frozen=True)
class Imported:
    """One file through the importer: what the file held, what intake wrote, how long."""

    name: str
    written: Written
    """The whole file."""
    part: Written
    """The lines this run imported."""
    events: int
    seconds: float
    refused: int = 0
    """Lines the importer wrote to its error file (none, when the generator is right)."""
    lines: tuple[int, int] = (0, 0)
    """The file's checkpoint (lines done) when this run started and when it ended: a run
    resumes an import an earlier one left, and stops one that outlasts its budget."""

    @property
    def whole(self) -> bool:
        return self.lines == (0, self.written.dossiers)

    @property
    def dossiers_per_s(self) -> float:
        return rate(self.part.dossiers, self.seconds)

    @property
    def events_per_s(self) -> float:
        return rate(self.events, self.seconds)


def rate(count: int, seconds: float) -> float:
    """``count`` a second over ``seconds``; 0 when no time passed."""
    return count / seconds if seconds > 0 else 0.0


def periods(end: date, years: int = 3) -> list[str]:
    """The periods the latency samples cycle through: the history's years, the last four
    quarters and the last twelve months before ``end``."""
    out = [str(year) for year in range(end.year - years, end.year + 1)]
    year, quarter = end.year, (end.month - 1) // 3 + 1
    for _ in range(4):
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    year, month = end.year, end.month
    for _ in range(12):
        out.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def lag(ends: Mapping[tuple[str, int], int], committed: Mapping[tuple[str, int], int]) -> int:
    """Messages a consumer still has to read: each partition's end less its committed
    offset (a partition it never committed counts whole)."""
    return sum(max(0, end - committed.get(key, 0)) for key, end in ends.items())


@dataclass
class Stack:
    """The endpoints of the stack the bench runs on (its ``endpoints.json``)."""

    env: dict[str, str]
    state: Path

    def url(self, name: str) -> str:
        return self.env[name]

    def officer_token(self, unit: str, role: Role) -> str:
        """A sign-in token as deadlines' web would issue it (10 minutes: one a request)."""
        pem = (self.state / "keys" / "officer-token.pem").read_bytes()
        officer = Officer(f"bench.{role.value}", "Cán bộ thử nghiệm", unit, frozenset({role}))
        return TokenIssuer.from_pem(pem).issue(officer)


def open_stack() -> tuple[Stack, Callable[[], None]]:
    """The whole stack the bench runs on (:mod:`bench.stack`)."""
    env, state, stop = open_bench_stack(infra_only=False)
    return Stack(env, state), stop


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _lines_done(intake_db: str, path: Path) -> int:
    """The importer's checkpoint of the file (by its content's SHA-256, as the importer
    keys it)."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    with psycopg.connect(intake_db) as conn:
        row = conn.execute(
            "SELECT lines_done FROM history_imports WHERE file_sha256 = %s", (digest.digest(),)
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _run_importer(path: Path, env: dict[str, str], log: Path, budget_s: float | None) -> None:
    """The importer over ``path``, stopped (SIGTERM: its checkpoint keeps every batch that
    committed) when it outlasts ``budget_s``."""
    errors = path.with_suffix(".errors.jsonl")
    command = [
        *(sys.executable, "-m", "services.intake.manage", "import-dossiers"),
        *(str(path), "--errors", str(errors), "--quiet"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            code = process.wait(timeout=budget_s)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)
            process.wait(120)
            return
    if code != 0:
        raise RuntimeError(f"import-dossiers {path} failed: {log.read_text()[-2000:]}")


def import_file(
    stack: Stack, name: str, path: Path, written: Written, budget_s: float | None = None
) -> Imported:
    """Run the importer over ``path`` (resuming where an earlier run stopped); what this
    run added: dossiers and outbox rows (its events)."""
    intake_db = stack.url("INTAKE_DATABASE_URL")
    before = _count(intake_db, "SELECT max(id) FROM outbox")
    first = _lines_done(intake_db, path)
    env = {**os.environ, "DATABASE_URL": intake_db}
    errors = path.with_suffix(".errors.jsonl")
    started = time.monotonic()
    _run_importer(path, env, OUT / f"import-{name}.log", budget_s)
    seconds = time.monotonic() - started
    last = _lines_done(intake_db, path)
    events = _count(intake_db, f"SELECT count(*) FROM outbox WHERE id > {before}")
    refused = len(errors.read_bytes().splitlines()) if errors.exists() else 0
    if refused:
        print(f"{name}: {refused:,} lines refused, the first: {errors.read_text()[:500]}")
    part = written if (first, last) == (0, written.dossiers) else Written.of(path, first, last)
    imported = Imported(name, written, part, events, seconds, refused, (first, last))
    print(
        f"{name}: lines {first:,}..{last:,} of {written.dossiers:,}: {part.dossiers:,} "
        f"dossiers, {events:,} events in {seconds:,.1f} s ({imported.dossiers_per_s:,.0f} "
        f"dossiers/s, {imported.events_per_s:,.0f} events/s)",
        flush=True,
    )
    return imported


def topic_ends(bootstrap: str, topics: list[str]) -> dict[tuple[str, int], int]:
    """Each partition's end offset."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "bench-history-ends", "log_level": 3}
    )
    try:
        metadata = consumer.list_topics(timeout=30)
        ends = {}
        for topic in topics:
            for partition in metadata.topics[topic].partitions:
                ends[(topic, partition)] = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=30
                )[1]
        return ends
    finally:
        consumer.close()


def group_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    """A consumer group's committed offsets."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})
    request = [ConsumerGroupTopicPartitions(group)]
    answer = admin.list_consumer_group_offsets(request)[group].result(timeout=30)
    return {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions if tp.offset >= 0}


def wait_for(what: str, done: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until ``done()``; raises after ``timeout_s``."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{what}: not within {timeout_s:,.0f} s")
        time.sleep(1)
    return time.monotonic() - started


@dataclass
class Settled:
    """When intake had published everything and reporting had counted it all."""

    published_s: float = 0.0
    counted_s: float = 0.0
    dossiers: int = 0


def wait_for_reporting(stack: Stack, started: float, timeout_s: float) -> Settled:
    """Until the outbox is empty and reporting's dossiers and offsets match intake's."""
    intake_db, reporting_db = stack.url("INTAKE_DATABASE_URL"), stack.url("REPORTING_DATABASE_URL")
    bootstrap = stack.url("KAFKA_BOOTSTRAP_SERVERS")
    settled = Settled()
    unpublished = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
    wait_for("intake's outbox", lambda: _count(intake_db, unpublished) == 0, timeout_s)
    settled.published_s = time.monotonic() - started
    settled.dossiers = _count(intake_db, "SELECT count(*) FROM dossiers")

    def counted() -> bool:
        offsets = {}
        with psycopg.connect(reporting_db) as conn:
            for topic, partition, offset in conn.execute(
                "SELECT topic, partition, next_offset FROM consumed_offsets"
            ):
                offsets[(topic, partition)] = offset
        if lag(topic_ends(bootstrap, list(TOPIC_NAMES)), offsets):
            return False
        return _count(reporting_db, "SELECT count(*) FROM dossiers") == settled.dossiers

    wait_for("reporting's count", counted, timeout_s)
    settled.counted_s = time.monotonic() - started
    return settled


def sample(
    name: str,
    get: Callable[[str], httpx.Response],
    queries: list[str],
    sampling: Sampling,
) -> Latency:
    """Up to ``sampling.samples`` requests one at a time, cycling through ``queries``,
    fewer when ``sampling.budget_s`` runs out first; each must answer 200."""
    get(queries[0])  # a warm-up: connections and the first compilation of the page
    seconds: list[float] = []
    began = time.monotonic()
    for n in range(sampling.samples):
        if sampling.budget_s is not None and time.monotonic() - began > sampling.budget_s:
            break
        started = time.perf_counter()
        answer = get(queries[n % len(queries)])
        seconds.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise RuntimeError(f"{name}: {answer.status_code} {answer.text[:500]}")
    latency = Latency(name, seconds, TARGET_S.get(name))
    print(latency.row(), flush=True)
    return latency


@dataclass(frozen=True)
class Sampling:
    """How many requests an endpoint gets, and the time they may take at most."""

    samples: int
    budget_s: float | None = None


def report_latencies(stack: Stack, province: str, end: date, sampling: Sampling) -> list[Latency]:
    """The province's and the nation's summaries, and the province's leaders' page."""
    with psycopg.connect(stack.url("REPORTING_DATABASE_URL")) as conn:
        key = new_api_key("bench-history", MINISTRY, db_session=conn)
    shown = periods(end)
    base = stack.url("REPORTING_URL")
    with httpx.Client(base_url=base, timeout=120) as http:

        def api(query: str) -> httpx.Response:
            return http.get(
                f"/v1/reports/summary?{query}", headers={"Authorization": f"Bearer {key}"}
            )

        def page(query: str) -> httpx.Response:
            token = stack.officer_token(MINISTRY, Role.LEADER)
            return http.get(f"/reports?{query}", headers={"Authorization": f"Bearer {token}"})

        province_q = [f"unit={province}&period={p}" for p in shown]
        national_q = [f"unit={MINISTRY}&period={p}" for p in shown]
        return [
            sample("province summary", api, province_q, sampling),
            sample("national summary", api, national_q, sampling),
            sample("province leaders' page", page, province_q, sampling),
        ]


def board_latency(stack: Stack, province: str, sampling: Sampling) -> Latency:
    """The province's duty officer's board, first page, as the browser asks for it."""
    with httpx.Client(base_url=stack.url("DEADLINES_URL"), timeout=120) as http:

        def board(query: str) -> httpx.Response:
            token = stack.officer_token(province, Role.DUTY_OFFICER)
            return http.get(f"/board{query}", headers={"Authorization": f"Bearer {token}"})

        queries = ["", "?status=overdue", "?status=due_soon"]
        return sample("province board", board, queries, sampling)


def rebuild_seconds(stack: Stack) -> float:
    """``manage rebuild`` into a schema of its own (not swapped in), timed."""
    env = {
        **os.environ,
        "DATABASE_URL": stack.url("REPORTING_DATABASE_URL"),
        "KAFKA_BOOTSTRAP_SERVERS": stack.url("KAFKA_BOOTSTRAP_SERVERS"),
    }
    log = OUT / "rebuild.log"
    started = time.monotonic()
    with log.open("wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "services.reporting.manage", "rebuild"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"rebuild failed: {log.read_text()[-2000:]}")
    return time.monotonic() - started


def deadlines_lag(stack: Stack) -> int:
    """Messages the deadlines worker has still to read on the topics it reads."""
    bootstrap = stack.url("KAFKA_BOOTSTRAP_SERVERS")
    committed = group_offsets(bootstrap, DEADLINES_GROUP)
    topics = sorted({topic for topic, _ in committed})
    return lag(topic_ends(bootstrap, topics), committed) if topics else 0


@dataclass
class Run:
    """Everything one run measured."""

    imports: list[Imported] = field(default_factory=list)
    settled: Settled | None = None
    latencies: list[Latency] = field(default_factory=list)
    deadlines_behind: list[int] = field(default_factory=list)
    """The worker's lag when the reports were timed, and when the board was."""
    deadlines_s: float | None = None
    rebuild_s: float | None = None
    load: list[tuple[float, float, float]] = field(default_factory=list)


def generate(dossiers: int, open_dossiers: int, end: date) -> list[tuple[str, Path, Written]]:
    """Both files, the open one first (the order they are imported in); a file an earlier
    run wrote for the same spec is read, not written again (written under a temporary name
    and renamed, so one that exists is whole)."""
    OUT.mkdir(parents=True, exist_ok=True)
    files = []
    for name, spec in (
        ("open", open_spec(open_dossiers, end)),
        ("history", history_spec(dossiers, end)),
    ):
        path = OUT / f"history-{name}-{spec.dossiers}-{end}-{spec.seed}.jsonl"
        started = time.monotonic()
        if path.exists():
            written = Written.of(path)
        else:
            partial = path.with_suffix(".partial")
            written = write(partial, spec)
            partial.rename(path)
        print(f"{path.name}: {written} in {time.monotonic() - started:,.1f} s", flush=True)
        files.append((name, path, written))
    return files


def measure(stack: Stack, args: argparse.Namespace, end: date, save: Callable[[Run], None]) -> Run:
    """Phases 1 to 6 of the module's description; ``save`` after each, so that a run
    stopped part-way leaves what it measured."""
    run = Run(load=[os.getloadavg()])
    files = generate(args.dossiers, args.open, end)
    started = time.monotonic()
    for file in files:
        budget = args.import_budget if file[0] == "history" else None
        run.imports.append(import_file(stack, *file, budget_s=budget))
        save(run)
    run.settled = wait_for_reporting(stack, started, args.timeout)
    print(f"settled: {run.settled}", flush=True)
    province = province_police_code(THANH_HOA)
    run.deadlines_behind.append(deadlines_lag(stack))
    sampling = Sampling(args.samples, args.sample_budget)
    run.latencies = report_latencies(stack, province, end, sampling)
    save(run)
    try:
        wait_for("deadlines", lambda: deadlines_lag(stack) == 0, args.deadlines_timeout)
        run.deadlines_s = time.monotonic() - started
    except TimeoutError as exc:
        print(exc, flush=True)
    run.deadlines_behind.append(deadlines_lag(stack))
    run.latencies.append(board_latency(stack, province, sampling))
    run.load.append(os.getloadavg())
    save(run)
    run.rebuild_s = rebuild_seconds(stack)
    run.load.append(os.getloadavg())
    return run


def _imports_rows(run: Run) -> list[str]:
    rows = []
    for imported in run.imports:
        w, (first, last) = imported.part, imported.lines
        span = (
            "" if imported.whole else f"lines {first:,}–{last:,} of {imported.written.dossiers:,}"
        )
        if first:
            span += " (resumed where an earlier run stopped)"
        if last < imported.written.dossiers:
            span += " (stopped: the import's time budget ran out)"
        rows.append(
            f"| import, {imported.name} file | — | {span + ': ' if span else ''}"
            f"{w.dossiers:,} dossiers ({w.open:,} open), "
            f"{imported.events:,} events in {imported.seconds:,.1f} s: "
            f"{imported.dossiers_per_s:,.0f} dossiers/s, {imported.events_per_s:,.0f} events/s"
            f"{f'; {imported.refused:,} lines refused' if imported.refused else ''} |"
        )
    s = run.settled
    rows.append(
        "| end to end: import started → reporting counted every dossier | — | "
        + (
            f"{s.counted_s:,.1f} s ({s.dossiers:,} dossiers in intake and reporting alike; "
            f"intake's relay had published every event after {s.published_s:,.1f} s) |"
            if s
            else f"{NOT_REACHED} |"
        )
    )
    if run.deadlines_s is not None:
        caught_up = f"read every event {run.deadlines_s:,.1f} s after the import started"
    elif len(run.deadlines_behind) > 1:
        caught_up = f"still {run.deadlines_behind[-1]:,} events behind when the board was timed"
    else:
        caught_up = NOT_REACHED
    rebuilt = f"{run.rebuild_s:,.1f} s" if run.rebuild_s is not None else NOT_REACHED
    rows.append(f"| deadlines worker | — | {caught_up} |")
    rows.append(f"| `python -m services.reporting.manage rebuild` | — | {rebuilt} |")
    return rows


def report(run: Run, argv: list[str], when: datetime) -> str:
    """The section of ``bench/RESULTS.md``."""
    history = next((i.written for i in run.imports if i.name == "history"), Written())
    late = f"{history.late / history.finished:.1%}" if history.finished else "—"
    loads = "; ".join(" ".join(f"{v:.2f}" for v in load) for load in run.load)
    lines = [
        SECTION,
        "",
        f"Machine: {machine()}; the bench's own stack (`deploy/local/stack.py up --no-demo`: "
        "Kafka, PostgreSQL and every service as one process each) on 2 cores shared with "
        f"other engineers' test runs (load average 1/5/15 min at the start, before the "
        f"rebuild, at the end: {loads}). Command: "
        f"`{' '.join(['python -m bench history', *argv])}`, {when:%Y-%m-%d %H:%M} UTC.",
        "",
        f"Data (`bench/history_file.py`): {history.dossiers:,} dossiers over Thanh Hóa's "
        "commune police and provincial departments (received before 1 July 2025 by the "
        "communes the reform retired, since then by today's), three years of working days, "
        f"{history.open:,} still open at the end, {late} of the finished ones late; "
        "then a file of dossiers of the last eight weeks, all open, for the board.",
        "",
        "| measurement | target | measured |",
        "| --- | --- | --- |",
        *_imports_rows(run),
        "",
        f"Requests one at a time, cycling through {len(periods(when.date()))} periods "
        "(the years, the last four quarters and twelve months), fewer than asked where an "
        "endpoint's time budget ran out (the samples column); the deadlines worker was "
        + " events behind while the reports were timed, ".join(
            f"{behind:,}" for behind in run.deadlines_behind or [0]
        )
        + (" while the board was." if len(run.deadlines_behind) > 1 else " events behind."),
        "",
        "| request | samples | p50 / p95 / p99 | max | target | |",
        "| --- | --- | --- | --- | --- | --- |",
        *(latency.row() for latency in run.latencies),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench history")
    parser.add_argument("--dossiers", type=int, default=20_000, help="of the history file")
    parser.add_argument("--open", type=int, default=2_000, help="of the open file (board)")
    parser.add_argument("--samples", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per wait")
    parser.add_argument(
        "--deadlines-timeout", type=float, default=3 * 3600, help="seconds to wait for deadlines"
    )
    parser.add_argument(
        "--import-budget", type=float, help="stop the history import after this many seconds"
    )
    parser.add_argument(
        "--sample-budget", type=float, help="seconds an endpoint's samples may take at most"
    )
    parser.add_argument("--end", type=date.fromisoformat, help="the export's day (today)")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    when = datetime.now(UTC)
    end = args.end or when.date()

    def save(run: Run) -> None:
        if not args.no_write:
            write_section(SECTION, report(run, argv, when))

    stack, stop = open_stack()
    try:
        run = measure(stack, args, end, save)
    finally:
        stop()
    save(run)
    print(report(run, argv, when))
    return 0
