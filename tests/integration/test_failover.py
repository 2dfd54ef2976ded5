"""PostgreSQL failover: intake, as the real process, rides out a switch of primary, and
nothing it acknowledged is lost.

A primary and a synchronous streaming standby of the test's own (``postgres_pair``);
intake's roles, schema and migrations made through a URL naming both
(``target_session_attrs=read-write``), and intake started on that URL. Clients post
dossiers the whole time, sending a command again after a 503 or a broken connection, as
an upstream system does. The primary is killed (SIGKILL, every process), the standby is
promoted a moment later, and then: the writes resume on the promoted node within a bound,
every dossier intake acknowledged (201) is there, none twice, and the outbox relay has
published every row the promoted node holds. docs/operations.md says what this proves.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from motcua.db import SERVICES, apply_migrations, bootstrap_database, migrations_dir, servers
from services.intake.auth import Scope, register_system
from services.intake.reference.service import seed_reference_data
from tests.conftest import ROOT, Infra
from tests.integration.conftest import (
    auth,
    load_procedure_codes,
    receive_command,
    unit_in_province,
)
from tests.integration.postgres_pair import STANDBY_NAME, Pair, primary_and_standby
from tests.live_server import free_port

CLIENTS = 4
BEFORE = 40
"""Dossiers acknowledged before the primary is killed."""
AFTER = 40
"""… and after the standby was promoted."""
DETECTION_S = 1.0
"""How long after the crash the test promotes the standby, as a failover manager would
once it has noticed."""
RESUME_WITHIN_S = 10.0
"""The first acknowledged write after the promotion comes within this."""
PROBLEM = "application/problem+json"


@dataclass
class Load:
    """Clients posting new dossiers, each sent again until it is acknowledged."""

    base: str
    key: str
    unit: str
    acked: dict[str, tuple[float, dict[str, object]]] = field(default_factory=dict)
    """Upstream event id → when it was acknowledged and intake's answer."""
    replays: int = 0
    unavailable: list[tuple[float, str]] = field(default_factory=list)
    """When a 503 came, and its content type."""
    broken: list[tuple[float, str]] = field(default_factory=list)
    """When a request got no answer (the connection to intake failed), and why."""
    unexpected: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acks_after(self, instant: float) -> list[float]:
        with self.lock:
            return sorted(at for at, _ in self.acked.values() if at > instant)

    def client(self) -> None:
        with httpx.Client(base_url=self.base, headers=auth(self.key), timeout=40) as http:
            while not self.stop.is_set():
                self._until_acknowledged(http, receive_command(self.unit))

    def _until_acknowledged(self, http: httpx.Client, command: dict[str, object]) -> None:
        while not self.stop.is_set():
            try:
                response = http.post("/v1/dossiers", json=command)
            except httpx.TransportError as exc:
                with self.lock:
                    self.broken.append((time.monotonic(), repr(exc)))
                time.sleep(0.2)
                continue
            now = time.monotonic()
            with self.lock:
                if response.status_code == 201:
                    self.acked[str(command["event_id"])] = (now, response.json())
                    self.replays += response.headers.get("Idempotent-Replayed") == "true"
                    return
                if response.status_code != 503:
                    self.unexpected.append(f"{response.status_code} {response.text[:300]}")
                    return
                self.unavailable.append((now, response.headers.get("content-type", "")))
            time.sleep(0.2)

    @contextmanager
    def running(self) -> Iterator[Load]:
        """The clients run until :meth:`finish` or the end of the block."""
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()
        try:
            yield self
        finally:
            self.finish()

    def finish(self) -> None:
        """Stop posting; each client's request in flight is answered first."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a client did not stop"


def _wait(what: str, done: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not within {timeout_s}s: {what}"
        time.sleep(0.05)


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@contextmanager
def intake_process(infra: Infra, database_url: str, log: Path) -> Iterator[str]:
    """``python -m services.intake`` on ``database_url``, its Kafka doors shut (the relay
    publishes); yields its base URL once it is ready."""
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "DATABASE_URL": database_url,
        "HTTP_PORT": str(port),
        "INBOUND_ENABLED": "false",
        "APOLOGY_LETTERS_ENABLED": "false",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.intake"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _status(f"{base}/readyz") != 200:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"intake not ready:\n{log.read_text()[-3000:]}"
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _prepare_intake(pair: Pair) -> tuple[str, str, str]:
    """Intake's role, schema, migrations and reference data, made through the URL naming
    both nodes; its URL (both nodes too), an upstream system's key and the unit it posts to."""
    admin = pair.multi_host_url("motcua")
    passwords = {service: secrets.token_urlsafe(16) for service in SERVICES}
    url = bootstrap_database(admin, passwords)["intake"]
    assert servers(url) == servers(admin)  # the service's URL still names both nodes
    apply_migrations(url, migrations_dir("intake"))
    with psycopg.connect(url) as conn:
        seed_reference_data(db_session=conn)
        province = unit_in_province(conn, "Hà Nội", "province")
        commune = unit_in_province(conn, "Hà Nội", "commune")
        key = register_system("failover", province, [Scope.WRITE, Scope.READ], db_session=conn)[1]
    load_procedure_codes(url)
    return url, key, commune


def _stored(pair: Pair) -> dict[str, tuple[str, str]]:
    """On the promoted node: upstream event id → (dossier id, dossier code) of every
    dossier received."""
    with psycopg.connect(pair.admin_url(pair.standby, "motcua")) as conn:
        rows = conn.execute(
            "SELECT e.upstream_event_id, d.id::text, d.code FROM intake.dossier_events e "
            "JOIN intake.dossiers d ON d.id = e.dossier_id"
        ).fetchall()
    stored: dict[str, tuple[str, str]] = {}
    for event_id, dossier_id, code in rows:
        assert event_id not in stored, f"{event_id} was written twice"
        stored[event_id] = (dossier_id, code)
    return stored


def _unpublished(pair: Pair) -> int:
    with psycopg.connect(pair.admin_url(pair.standby, "motcua")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM intake.outbox WHERE published_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else -1


def test_intake_rides_out_a_switch_of_primary_and_loses_nothing_acknowledged(
    infra: Infra, tmp_path: Path
) -> None:
    with primary_and_standby("motcua") as pair:
        url, key, unit = _prepare_intake(pair)
        with (
            intake_process(infra, url, tmp_path / "intake.log") as base,
            Load(base, key, unit).running() as load,
        ):
            _wait(f"{BEFORE} dossiers acknowledged", lambda: len(load.acks_after(0)) >= BEFORE, 60)
            # Every commit is on the standby before it is acknowledged: checked, not assumed.
            assert pair.replication() == [(STANDBY_NAME, "streaming", "sync")]
            killed_at = time.monotonic()
            pair.kill_primary()
            time.sleep(DETECTION_S)
            pair.promote()
            promoted_at = time.monotonic()
            assert not pair.in_recovery(pair.standby)
            _wait(
                f"{AFTER} dossiers acknowledged after the promotion",
                lambda: len(load.acks_after(promoted_at)) >= AFTER,
                RESUME_WITHIN_S + 30,
            )
            first_after = load.acks_after(promoted_at)[0]
            load.finish()
            # The relay publishes, from the promoted node, every row it holds.
            _wait("the outbox published on the promoted node", lambda: _unpublished(pair) == 0, 40)

        stored = _stored(pair)
        acked = dict(load.acked)
        before = [at for at, _ in acked.values() if at <= killed_at]
        during = [at for at, _ in acked.values() if killed_at < at <= promoted_at]
        print(
            f"\nfailover: {len(acked)} dossiers acknowledged ({len(before)} before the kill, "
            f"{len(during)} between the kill and the promotion, "
            f"{len(acked) - len(before) - len(during)} after; {load.replays} of them replays "
            f"of a command whose commit had landed); last before the kill "
            f"{killed_at - max(before):.2f}s before it; first after the promotion "
            f"{first_after - killed_at:.2f}s after the kill, "
            f"{first_after - promoted_at:.2f}s after the promotion; "
            f"{len(load.unavailable)} answers 503, {len(load.broken)} requests unanswered; "
            f"{len(stored)} dossiers on the promoted node"
        )
        assert not load.unexpected, load.unexpected
        assert len(before) >= BEFORE
        assert first_after - promoted_at < RESUME_WITHIN_S
        # Whatever failed in the switch failed as the API says: 503 problem+json.
        assert all(kind.startswith(PROBLEM) for _, kind in load.unavailable), load.unavailable
        # Nothing acknowledged is lost: each acknowledged dossier is on the promoted node,
        # under the id and code intake answered with.
        missing = {event_id for event_id in acked if event_id not in stored}
        assert not missing, f"{len(missing)} acknowledged dossiers lost: {sorted(missing)[:5]}"
        for event_id, (_, body) in acked.items():
            assert stored[event_id] == (body["dossier_id"], body["dossier_code"]), event_id
