"""The reporting worker as ``make up`` runs it (``python -m services.reporting``), killed
with SIGKILL at a crash point in the middle of 2,000 dossiers' events, and two workers
rebalancing under load: the final figures equal the ones the test computes from what it
sent, and every partition's stored offset equals its end as Kafka reports it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from motcua.crash_points import ENVIRONMENT_VARIABLE
from services.reporting.figures import Scope, count
from services.reporting.periods import Period
from tests.conftest import ROOT, Infra
from tests.integration import kafka_log
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    Province,
    Topics,
    consumer_for,
    consuming,
    stored_by_partition,
    stored_offsets,
    topic_ends,
)
from tests.live_server import free_port
from tests.services.reporting.events import at

DOSSIERS = 2000
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def story(province: Province) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """A quarter of the dossiers early, late, rejected and still open; every fifth
    finished one rated. Returns the events and the figures they must give."""
    events: list[dict[str, Any]] = []
    for i in range(DOSSIERS):
        d = province.dossier(i % 2, due_at=at(11, 9))
        events.append(d.received())
        match i % 4:
            case 0:
                events.append(d.completed(at(10, 9)))
            case 1:
                events.append(d.completed(at(12, 9)))
            case 2:
                events.append(d.rejected(at(5, 9)))
        if i % 4 in (0, 1) and i % 5 == 0:
            events.append(d.rated(at(13, 9), "satisfied"))
    quarter = DOSSIERS // 4
    rated = sum(1 for i in range(DOSSIERS) if i % 4 in (0, 1) and i % 5 == 0)
    expected = {
        "received": DOSSIERS,
        "finished": 2 * quarter,
        "finished_early": quarter,
        "finished_late": quarter,
        "rejected": quarter,
        "in_progress": quarter,
        "in_progress_overdue": quarter,
        "ratings_valid": rated,
        "ratings_satisfied": rated,
    }
    return events, expected


def figures(url: str, province: Province) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        counts = count(Scope(province.code, 2), Period.parse("2026-11"), now=NOW, db_session=conn)
    return counts[""]


def spawn(
    infra: Infra,
    url: str,
    topics: Topics,
    group: str,
    log: Path,
    *,
    batch: int = 100,
    crash_at: str | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m services.reporting`` on the test's topics and group; with ``crash_at``,
    it kills itself (SIGKILL) the first time it reaches that crash point."""
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "DATABASE_URL": url,
        "HTTP_PORT": str(port),
        "REPORTING_TOPIC_PREFIX": topics.prefix,
        "REPORTING_GROUP_ID": group,
        "CONSUMER_BATCH_SIZE": str(batch),
        "EXPORTER_ENABLED": "false",
    }
    env.pop(ENVIRONMENT_VARIABLE, None)
    if crash_at is not None:
        env[ENVIRONMENT_VARIABLE] = crash_at
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.reporting"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


@contextmanager
def worker(
    infra: Infra, url: str, topics: Topics, group: str, log: Path, *, batch: int = 100
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    process, base = spawn(infra, url, topics, group, log, batch=batch)
    try:
        wait_for(lambda: _answers(f"{base}/healthz"), timeout_s=60, what=f"{log.name} up")
        yield process, base
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=45)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def applied(base: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        float(value)
        for value in re.findall(
            r"^motcua_reporting_events_applied_total\{[^}]*\} (\S+)$", text, re.M
        )
    )


def kafka_committed(infra: Infra, group: str, topics: Topics) -> dict[tuple[str, int], int]:
    """The offsets the group committed in Kafka (what a consumer trusting Kafka would
    resume from); a partition it never committed is left out."""
    return {
        (name, partition): offset
        for name in topics.names.values()
        for partition, offset in kafka_log.committed(infra.bootstrap_servers, group, name).items()
        if offset >= 0
    }


@pytest.mark.parametrize("crash_at", ["facts-written", "facts-committed"])
def test_a_worker_killed_at_a_crash_point_leaves_figures_a_restart_completes_exactly(
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    tmp_path: Path,
    crash_at: str,
) -> None:
    """``facts-written``: killed with a batch's facts and offsets written but not
    committed; the batch it read must be read again. ``facts-committed``: killed after
    PostgreSQL committed the batch and before Kafka's offsets did; Kafka would hand the
    batch out again, reporting must resume from its own offsets. Either way the restart
    ends with the exact figures and every partition stored to its end."""
    events, expected = story(province)
    head = len(events) // 3
    topics.publish(events[:head])
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(
            lambda: stored_by_partition(reporting_db, topics) == topic_ends(topics),
            what="the first third counted",
        )
    before = stored_by_partition(reporting_db, topics)
    topics.publish(events[head:])
    ends = topic_ends(topics)
    assert sum(ends.values()) == len(events)
    group = f"test-reporting-kill-{uuid.uuid4().hex[:8]}"

    first, _ = spawn(
        infra, reporting_db, topics, group, tmp_path / "first.log", batch=20, crash_at=crash_at
    )
    try:
        # Nothing else kills it: only reaching the crash point with a batch read ends it so.
        assert first.wait(timeout=90) == -signal.SIGKILL, (tmp_path / "first.log").read_text()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
    at_kill = stored_by_partition(reporting_db, topics)
    committed = kafka_committed(infra, group, topics)
    if crash_at == "facts-written":
        assert at_kill == before, "the killed batch's offsets outlived its facts"
    else:
        advanced = {k: v for k, v in at_kill.items() if v > before.get(k, 0)}
        assert advanced, "the killed batch was not committed in PostgreSQL"
        assert all(committed.get(k, 0) < v for k, v in advanced.items()), committed
    assert at_kill != ends
    assert figures(reporting_db, province)["received"] < DOSSIERS

    # A group of its own: the killed member's session would hold the old group for ~45 s,
    # and where to resume comes from PostgreSQL, not from any group's offsets.
    restart = f"{group}-restarted"
    with worker(infra, reporting_db, topics, restart, tmp_path / "second.log") as (_, second):
        wait_for(lambda: stored_by_partition(reporting_db, topics) == ends, what="all stored")
        # Exactly what the stored offsets had not covered at the kill: for facts-written
        # that includes the batch the killed worker had read, read again.
        left = sum(ends.values()) - sum(at_kill.values())
        wait_for(lambda: applied(second) >= left, what="the restart applying all left")
        assert applied(second) == left
    got = figures(reporting_db, province)
    assert {name: got[name] for name in expected} == expected


class Publisher(threading.Thread):
    """Publishes events a chunk at a time, with a pause between chunks, until it runs out
    or ``stop`` is set; ``sent`` is how many went out."""

    def __init__(
        self, topics: Topics, events: list[dict[str, Any]], *, chunk: int, pause_s: float
    ) -> None:
        super().__init__(name="publisher")
        self.topics, self.events, self.chunk, self.pause_s = topics, events, chunk, pause_s
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        for start in range(0, len(self.events), self.chunk):
            if self.stop.is_set():
                return
            part = self.events[start : start + self.chunk]
            self.topics.publish(part)
            self.sent = start + len(part)
            time.sleep(self.pause_s)


def assignments(log: Path) -> int:
    """How many times the worker writing ``log`` was given partitions."""
    return log.read_text().count('"message": "partitions assigned"')


def test_two_workers_rebalancing_under_load_count_everything_once(
    infra: Infra, reporting_db: str, topics: Topics, province: Province, tmp_path: Path
) -> None:
    """Worker a counts while the first quarter is published; events keep coming while b
    starts and the group rebalances (until both logs show the new assignment); the rest
    is published after it, and both workers must count some of it. Every partition ends
    stored to its end as Kafka reports it, and the figures are exact."""
    events, expected = story(province)
    quarter = len(events) // 4
    group = f"test-reporting-rebalance-{uuid.uuid4().hex[:8]}"
    a_log, b_log = tmp_path / "a.log", tmp_path / "b.log"

    with worker(infra, reporting_db, topics, group, a_log) as (_, a):
        before = Publisher(topics, events[:quarter], chunk=100, pause_s=0.1)
        before.start()
        wait_for(lambda: stored_offsets(reporting_db, topics) > 0, what="worker a counting")
        before.join(timeout=120)
        during = Publisher(topics, events[quarter : 3 * quarter], chunk=20, pause_s=0.1)
        during.start()
        try:
            with worker(infra, reporting_db, topics, group, b_log) as (_, b):
                wait_for(
                    lambda: assignments(a_log) >= 2 and assignments(b_log) >= 1,
                    what="the group rebalanced",
                )
                during.stop.set()
                during.join(timeout=120)
                assert before.sent == quarter
                assert during.sent > 0  # it started before b did
                a_before, b_before = applied(a), applied(b)
                after = Publisher(topics, events[quarter + during.sent :], chunk=100, pause_s=0.1)
                after.run()
                ends = topic_ends(topics)
                assert sum(ends.values()) == len(events)
                wait_for(
                    lambda: stored_by_partition(reporting_db, topics) == ends, what="all stored"
                )
                wait_for(
                    lambda: applied(a) > a_before and applied(b) > b_before,
                    what="both workers counting after the rebalance",
                )
        finally:
            during.stop.set()
            during.join(timeout=120)
    got = figures(reporting_db, province)
    assert {name: got[name] for name in expected} == expected
