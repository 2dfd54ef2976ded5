"""The reporting worker as ``make up`` runs it (``python -m services.reporting``), killed
with SIGKILL in the middle of 2,000 dossiers' events, and two workers rebalancing under
load: the final figures equal the ones the test computes from what it sent."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from services.reporting.figures import Scope, count
from services.reporting.periods import Period
from tests.conftest import ROOT, Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import Province, Topics, stored_offsets
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


@contextmanager
def worker(
    infra: Infra, url: str, topics: Topics, group: str, log: Path, *, batch: int = 100
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
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
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.reporting"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
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


def test_a_worker_killed_mid_stream_leaves_figures_a_restart_completes_exactly(
    infra: Infra, reporting_db: str, topics: Topics, province: Province, tmp_path: Path
) -> None:
    events, expected = story(province)
    topics.publish(events)
    total = len(events)
    group = f"test-reporting-kill-{province.code}"
    with worker(infra, reporting_db, topics, group, tmp_path / "first.log", batch=20) as (
        first,
        _,
    ):
        wait_for(
            lambda: 0 < stored_offsets(reporting_db, topics) < total // 2,
            timeout_s=60,
            what="the first worker part-way through",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    at_kill = stored_offsets(reporting_db, topics)
    assert 0 < at_kill < total, f"the kill came at {at_kill} of {total}"
    assert figures(reporting_db, province)["received"] < DOSSIERS
    with worker(infra, reporting_db, topics, group, tmp_path / "second.log"):
        wait_for(lambda: stored_offsets(reporting_db, topics) == total, what="all stored")
    got = figures(reporting_db, province)
    assert {name: got[name] for name in expected} == expected


def test_two_workers_rebalancing_under_load_count_everything_once(
    infra: Infra, reporting_db: str, topics: Topics, province: Province, tmp_path: Path
) -> None:
    events, expected = story(province)
    total = len(events)
    group = f"test-reporting-rebalance-{province.code}"

    def publish_steadily(part: list[dict[str, Any]]) -> threading.Thread:
        def run() -> None:
            for start in range(0, len(part), 100):
                topics.publish(part[start : start + 100])
                time.sleep(0.1)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    half = total // 2
    with worker(infra, reporting_db, topics, group, tmp_path / "a.log") as (_, a):
        first = publish_steadily(events[:half])
        wait_for(lambda: stored_offsets(reporting_db, topics) > 0, what="worker a counting")
        with worker(infra, reporting_db, topics, group, tmp_path / "b.log") as (_, b):
            first.join(timeout=120)
            publish_steadily(events[half:]).join(timeout=120)  # while the group rebalances
            wait_for(lambda: stored_offsets(reporting_db, topics) == total, what="all stored")
            assert applied(b) > 0, "worker b never took a partition"
            assert applied(a) > 0
    got = figures(reporting_db, province)
    assert {name: got[name] for name in expected} == expected
