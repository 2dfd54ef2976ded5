"""A Kafka outage under traffic, on a broker of this test's own (the session's is left
alone) and a database of its own, with the four services as ``make up`` runs them.

Phase one: the broker stops for a minute (``make chaos``; 20 s inside ``make test``, set
by ``MOTCUA_OUTAGE_S``) while a desk keeps receiving dossiers, then comes back. Checked:
the outbox lag gauge rose above half the outage during it, no service's log grew by 1 MB,
every service is ready again within 60 s, the overdue alerts of dossiers that fell due
during the outage were out within 30 s of the broker's return, one outage's length later
new alerts were out within 1 s of their due instant again, and every accepted
dossier's receipt reached ``motcua.dossier-events`` exactly once. Phase two: intake asked to stop
during another outage exits within 10 s, and what it had not published goes out after it
and the broker are back.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Producer

from motcua.contracts import encode_event
from motcua.db import (
    SERVICES,
    apply_migrations,
    bootstrap_database,
    migrations_dir,
    with_database,
)
from motcua.identity import write_keypair
from motcua.kafka import TOPICS, Topic, ensure_topics
from services.intake.auth import Scope, register_system
from services.intake.reference.service import seed_reference_data
from tests.conftest import ROOT, Infra
from tests.integration.conftest import auth, load_procedure_codes, receive_command, unit_in_province
from tests.integration.deadlines.test_alerts import _read, _received
from tests.integration.kafka_log import read_to_end
from tests.live_server import free_port
from tests.scripts import load_script

pytestmark = pytest.mark.alone  # a broker away on purpose, timed: not beside other tests

OUTAGE_S = int(os.environ.get("MOTCUA_OUTAGE_S", "20"))
"""How long the broker stays away; ``make chaos`` runs the full minute."""
MAX_LOG_GROWTH = 1_000_000


def _stack() -> ModuleType:
    return load_script("deploy/local/stack.py")


class Broker:
    """A KRaft broker of the stack's own making, stopped and started again by the test."""

    def __init__(self, directory: Path) -> None:
        self.stack = _stack()
        self.state = self.stack.State(directory)
        self.state.logs.mkdir(parents=True, exist_ok=True)
        self.bootstrap = self.start()

    def start(self) -> str:
        bootstrap: str = self.stack.start_kafka(self.state, any_port=True)
        return bootstrap

    def stop(self) -> None:
        pid = int(self.state.pid_file("kafka").read_text())
        self.stack.terminate(pid, "kafka.Kafka", name="broker")
        self.state.pid_file("kafka").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    kafka = Broker(tmp_path_factory.mktemp("outage-kafka"))
    ensure_topics(kafka.bootstrap, TOPICS)
    try:
        yield kafka
    finally:
        if kafka.state.pid_file("kafka").exists():
            kafka.stop()


@pytest.fixture(scope="module")
def databases(infra: Infra) -> Iterator[dict[str, str]]:
    suffix = secrets.token_hex(4)
    name, prefix = f"motcua_outage_{suffix}", f"mo{suffix}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin = with_database(infra.admin_url, name)
    urls = bootstrap_database(
        admin, {s: secrets.token_urlsafe(16) for s in SERVICES}, role_prefix=prefix
    )
    for service in SERVICES:
        apply_migrations(urls[service], migrations_dir(service))
    try:
        yield urls
    finally:
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for service in SERVICES:
                conn.execute(f'DROP ROLE IF EXISTS "{prefix}_{service}"')


class Platform:
    def __init__(self, broker: Broker, urls: dict[str, str], tmp: Path) -> None:
        self.broker, self.db, self.tmp = broker, urls, tmp
        self.logs = tmp / "logs"
        self.logs.mkdir()
        with psycopg.connect(urls["intake"]) as conn:
            seed_reference_data(db_session=conn)
            root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
            assert root
            province = unit_in_province(conn, "Hà Nội", "province")
            self.commune = unit_in_province(conn, "Hà Nội", "commune")
            self.upstream = register_system(
                "desk", province, [Scope.WRITE, Scope.READ], db_session=conn
            )[1]
            keys = {
                s: register_system(
                    s,
                    root[0],
                    [Scope.READ, *([Scope.RESCHEDULE] if s == "deadlines" else [])],
                    db_session=conn,
                )[1]
                for s in ("deadlines", "ratings", "reporting")
            }
        load_procedure_codes(urls["intake"])
        self.ports = {s: free_port() for s in SERVICES}
        self.urls = {s: f"http://127.0.0.1:{p}" for s, p in self.ports.items()}
        private, public = tmp / "officer.pem", tmp / "officer.pub.pem"
        write_keypair(private, public)
        common = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "HTTP_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONFAULTHANDLER": "1",  # a crash in a C extension leaves its traceback
            "OFFICER_TOKEN_PUBLIC_KEY_FILE": str(public),
            "SIGNIN_URL": self.urls["deadlines"],
            "READINESS_TIMEOUT_S": "2",
        }
        special = {
            "intake": {},
            "deadlines": {
                "DATA_DIR": str(tmp / "deadlines-data"),
                "INTAKE_URL": self.urls["intake"],
                "INTAKE_API_KEY": keys["deadlines"],
                "OFFICER_TOKEN_PRIVATE_KEY_FILE": str(private),
            },
            "ratings": {
                "INTAKE_URL": self.urls["intake"],
                "INTAKE_API_KEY": keys["ratings"],
                "QUIET_HOURS": "",
                "FORM_SECRET": "outage-form-secret",
            },
            "reporting": {"INTAKE_URL": self.urls["intake"], "INTAKE_API_KEY": keys["reporting"]},
        }
        self.env = {
            s: {**common, "DATABASE_URL": urls[s], "HTTP_PORT": str(self.ports[s]), **special[s]}
            for s in SERVICES
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, service: str) -> None:
        with (self.logs / f"{service}.log").open("ab") as out:
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                cwd=ROOT,
                env=self.env[service],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def ready(self, service: str) -> bool:
        try:
            return httpx.get(f"{self.urls[service]}/readyz", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def why_not_ready(self, services: tuple[str, ...] = SERVICES) -> str:
        report = []
        for service in services:
            if self.ready(service):
                continue
            try:
                body = httpx.get(f"{self.urls[service]}/readyz", timeout=3).text
            except httpx.HTTPError as exc:
                body = repr(exc)
            tail = (self.logs / f"{service}.log").read_text(errors="replace")[-3000:]
            code = self.processes[service].poll()
            report.append(f"{service} (exit status {code}): {body}\n{tail}")
        return "\n".join(report)

    def log_size(self, service: str) -> int:
        return (self.logs / f"{service}.log").stat().st_size

    def outbox_lag(self) -> float:
        text = httpx.get(f"{self.urls['intake']}/metrics", timeout=5).text
        found = re.search(r'^motcua_outbox_lag_seconds\{service="intake"\} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


class Desk(threading.Thread):
    """Receives a dossier every ``every_s`` and remembers the ones intake accepted."""

    def __init__(self, platform: Platform, every_s: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.platform, self.every_s = platform, every_s
        self.accepted: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(self.every_s):
            command = receive_command(self.platform.commune)
            try:
                answer = httpx.post(
                    f"{self.platform.urls['intake']}/v1/dossiers",
                    json=command,
                    headers=auth(self.platform.upstream),
                    timeout=10,
                )
            except httpx.HTTPError:
                continue
            if answer.status_code == 201:
                self.accepted.append(answer.json()["dossier_id"])


def _fall_due(bootstrap: str, dues: dict[str, datetime]) -> None:
    """Receipts straight onto the topic (as intake's relay publishes them), each dossier due
    at its instant: deadlines follows them like any other."""
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    for dossier_id, due in dues.items():
        value = encode_event(_received(dossier_id, due))
        producer.produce(Topic.DOSSIER_EVENTS.value, key=dossier_id.encode(), value=value)
    assert producer.flush(10) == 0


def _overdue_at(bootstrap: str, dossiers: set[str], within_s: float) -> dict[str, datetime]:
    """When each dossier's overdue alert reached the broker (its Kafka timestamp)."""
    infra = Infra(bootstrap_servers=bootstrap, admin_url="")
    found: dict[str, datetime] = {}
    deadline = time.monotonic() + within_s
    while len(found) < len(dossiers) and time.monotonic() < deadline:
        for message in _read(infra, Topic.DEADLINE_ALERTS.value, dossiers, time.monotonic() + 3):
            if json.loads(message.value())["type"].endswith("overdue.v1"):
                at = datetime.fromtimestamp(message.timestamp()[1] / 1000, UTC)
                found.setdefault(message.key().decode(), at)
    return found


def _receipts(bootstrap: str) -> dict[str, list[str]]:
    """Every ``dossier.received`` on the broker: dossier id → the event ids seen."""
    found: dict[str, list[str]] = {}
    for message in read_to_end(bootstrap, Topic.DOSSIER_EVENTS.value):
        event: dict[str, Any] = json.loads(message.value() or b"{}")
        if event.get("type", "").endswith("dossier.received.v1"):
            found.setdefault(event["subject"], []).append(event["id"])
    return found


def test_a_kafka_outage_under_traffic_loses_nothing_floods_nothing_and_recovers(
    broker: Broker, databases: dict[str, str], tmp_path: Path
) -> None:
    platform = Platform(broker, databases, tmp_path)
    desk = Desk(platform)
    try:
        for service in SERVICES:
            platform.start(service)
        deadline = time.monotonic() + 120
        while not all(platform.ready(s) for s in SERVICES):
            assert time.monotonic() < deadline, platform.why_not_ready()
            time.sleep(0.5)
        desk.start()
        # Dossiers that fall due in the middle of the outage about to begin.
        outage_starts = datetime.now(UTC) + timedelta(seconds=5)
        due_in_outage = {
            str(uuid.uuid4()): outage_starts + timedelta(seconds=OUTAGE_S / 4 + n * OUTAGE_S / 40)
            for n in range(20)
        }
        _fall_due(broker.bootstrap, due_in_outage)
        time.sleep(5)

        # Phase one: a minute without the broker, the desk still receiving.
        sizes = {s: platform.log_size(s) for s in SERVICES}
        broker.stop()
        highest_lag, stopped_at = 0.0, time.monotonic()
        while time.monotonic() - stopped_at < OUTAGE_S:
            highest_lag = max(highest_lag, platform.outbox_lag())
            time.sleep(2)
        grown = {s: platform.log_size(s) - sizes[s] for s in SERVICES}
        broker.start()
        restarted_at, back = time.monotonic(), datetime.now(UTC)
        assert highest_lag > OUTAGE_S / 2, f"the outbox lag gauge showed at most {highest_lag} s"
        assert all(g < MAX_LOG_GROWTH for g in grown.values()), grown
        while not all(platform.ready(s) for s in SERVICES):
            assert time.monotonic() - restarted_at < 60, platform.why_not_ready()
            time.sleep(0.5)
        caught_up = _overdue_at(broker.bootstrap, set(due_in_outage), within_s=45)
        assert len(caught_up) == len(due_in_outage), "alerts due during the outage missing"
        late = {d: (at - back).total_seconds() for d, at in caught_up.items()}
        assert max(late.values()) <= 30, f"due during the outage, out after: {late}"
        # An outage's length after the broker's return, new alerts are on time again.
        first = max(back + timedelta(seconds=OUTAGE_S), datetime.now(UTC) + timedelta(seconds=10))
        due_after = {str(uuid.uuid4()): first + timedelta(seconds=n * 0.25) for n in range(20)}
        _fall_due(broker.bootstrap, due_after)
        on_time = _overdue_at(broker.bootstrap, set(due_after), within_s=90)
        assert len(on_time) == len(due_after), "alerts due after the return missing"
        lags = {d: (at - due_after[d]).total_seconds() for d, at in on_time.items()}
        assert max(lags.values()) < 1, f"alert lag after the return: {lags}"

        # Phase two: intake asked to stop while the broker is away.
        time.sleep(5)
        broker.stop()
        time.sleep(5)
        desk.halt.set()
        desk.join(timeout=15)
        intake = platform.processes["intake"]
        intake.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        intake.wait(timeout=30)
        assert time.monotonic() - asked < 10, "intake took more than 10 s to stop"
        broker.start()
        platform.start("intake")
        accepted = set(desk.accepted)
        assert len(accepted) > 100

        def all_published() -> bool:
            with psycopg.connect(databases["intake"]) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                ).fetchone()
            return row is not None and row[0] == 0

        deadline = time.monotonic() + 90
        while not all_published():
            assert time.monotonic() < deadline, "the outbox did not drain after the restart"
            time.sleep(1)
        receipts = _receipts(broker.bootstrap)
        missing = accepted - set(receipts)
        doubled = {d: ids for d, ids in receipts.items() if d in accepted and len(set(ids)) != 1}
        repeated = {d: ids for d, ids in receipts.items() if d in accepted and len(ids) != 1}
        assert not missing, f"{len(missing)} accepted dossiers never reached Kafka"
        assert not doubled, f"receipts under two ids: {list(doubled.items())[:3]}"
        assert not repeated, f"receipts published twice: {list(repeated.items())[:3]}"
    finally:
        desk.halt.set()
        platform.stop_all()
