"""Each service as the real process ``make up`` starts: endpoints, readiness, SIGTERM.

Each process runs on consumer groups of the test's own (a live stack's groups are never
joined), positioned at the end of what they read, so it neither takes a running stack's
messages nor works through the history other tests left on the shared topics.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from motcua.kafka import Topic
from services.reporting.consumer import TOPIC_NAMES
from tests.conftest import ROOT, Database, Infra
from tests.integration.kafka_log import start_group_at_end
from tests.live_server import free_port

SERVICES = ("intake", "deadlines", "deadlines.officers_web", "ratings", "reporting")
"""The processes, by module under ``services``: deadlines is two (the worker, the pages)."""


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read(), response.headers["content-type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["content-type"]


def wait_for_members(bootstrap_servers: str, group: str, *, timeout_s: float = 60) -> int:
    """How many members ``group`` has once it has any; fails if none joined in time."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    deadline = time.monotonic() + timeout_s
    while True:
        described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        if described.members:
            return len(described.members)
        assert time.monotonic() < deadline, f"no member joined {group} in {timeout_s}s"
        time.sleep(0.5)


@dataclass
class OwnConsumers:
    """What a service's process consumes with, all of the test's own."""

    env: dict[str, str]
    group: str | None
    """The consumer group the process must join (None: it joins none)."""
    reads: tuple[str, ...]
    """The topics it reads through that group."""
    topics_made: list[str] = field(default_factory=list)
    topic_prefix: str | None = None
    """Topics the process creates under this prefix (Faust's tables and agents)."""


def _own_consumers(service: str, infra: Infra, run: str) -> OwnConsumers:
    group = f"test-{run}-{service}"
    if service == "deadlines.officers_web":
        return OwnConsumers({}, None, ())  # the calendar is read by assignment, in no group
    if service == "intake":
        reads = (Topic.INTAKE_COMMANDS.value, Topic.APOLOGY_LETTERS.value)
        return OwnConsumers({"INBOUND_GROUP_ID": group}, group, reads)
    if service == "deadlines":
        # The Faust app id is the group and the prefix of the topics it makes.
        return OwnConsumers(
            {"APP_ID": group}, group, (Topic.DOSSIER_EVENTS.value,), topic_prefix=f"{group}-"
        )
    if service == "ratings":
        return OwnConsumers({"RATINGS_GROUP_ID": group}, group, (Topic.DOSSIER_EVENTS.value,))
    # Reporting resumes from the offsets stored with its figures, not the group's: it gets
    # empty topics of its own to read.
    prefix = f"test-{run}-"
    topics = [f"{prefix}{name}" for name in TOPIC_NAMES]
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
        future.result(timeout=30)
    return OwnConsumers(
        {"REPORTING_GROUP_ID": group, "REPORTING_TOPIC_PREFIX": prefix},
        group,
        (),  # new and empty: nothing to skip (and a leader may not be elected yet)
        topics_made=topics,
    )


@contextmanager
def _consuming_on_their_own(service: str, infra: Infra) -> Iterator[OwnConsumers]:
    own = _own_consumers(service, infra, uuid.uuid4().hex[:8])
    try:
        if own.group is not None:
            start_group_at_end(infra.bootstrap_servers, own.group, own.reads)
        yield own
    finally:
        admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
        made = list(own.topics_made)
        if own.topic_prefix is not None:
            names = admin.list_topics(timeout=10).topics
            made += [name for name in names if name.startswith(own.topic_prefix)]
        # Tidying only, so errors are not the test's (a group a member has not left yet
        # stays, empty, until the broker expires it); waited for, or nothing is sent.
        futures = list(admin.delete_topics(made).values()) if made else []
        if own.group is not None:
            futures += admin.delete_consumer_groups([own.group]).values()
        for future in futures:
            future.exception(timeout=30)


def _first_health(base: str, process: subprocess.Popen[bytes], log: Path) -> tuple[int, bytes]:
    """``/healthz``'s first answer, within 60 s of the start."""
    deadline = time.monotonic() + 60
    while True:
        try:
            status, body, _ = _get(f"{base}/healthz")
            return status, body
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no /healthz in 60s:\n{log.read_text()}"
            time.sleep(0.2)


@pytest.mark.parametrize("service", SERVICES)
def test_service_process_serves_health_readiness_metrics_and_stops_on_sigterm(
    service: str, infra: Infra, database: Database, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / f"{service}.log"
    name = service.split(".")[0]
    with _consuming_on_their_own(service, infra) as own:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "DATABASE_URL": database.service_urls[name],
            "HTTP_PORT": str(port),
            "DATA_DIR": str(tmp_path / "data"),
            **own.env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            status, body = _first_health(base, process, log)
            assert status == 200
            assert json.loads(body)["status"] == "ok"

            status, body, _ = _get(f"{base}/readyz")
            assert status == 200, body
            # Faust runs the deadlines worker's agents, the officers' web its few tasks; the
            # others' loops are supervised.
            loops = {} if name == "deadlines" else {"loops": "ok"}
            assert json.loads(body)["checks"] == {"kafka": "ok", "postgres": "ok", **loops}

            status, body, content_type = _get(f"{base}/metrics")
            assert status == 200
            assert content_type.startswith("text/plain")
            assert b'motcua_dependency_up{dependency="kafka"} 1.0' in body

            # The process consumes in the test's group (no one else knows its name), so
            # not in the one a running stack's process is in.
            if own.group is not None:
                assert wait_for_members(infra.bootstrap_servers, own.group) == 1
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=45)
    assert code == 0, log.read_text()[-3000:]
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert records, "the service wrote no JSON log lines"
    assert all(record["service"] == name for record in records)
