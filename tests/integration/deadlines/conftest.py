"""Deadlines integration fixtures: the platform (intake and a deadlines worker as real
processes) with two duty officers, one in Hà Nội and one in Hải Phòng."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from motcua.identity import Role, write_keypair
from motcua.kafka import Topic
from services.deadlines.officers import register_officer
from services.deadlines.officers_web import create_app as create_officers_web
from services.deadlines.settings import DeadlinesSettings
from services.intake.auth import Scope, register_system
from tests.conftest import ROOT, Database, Infra
from tests.integration.conftest import Systems, unit_in_province
from tests.integration.deadlines.test_alerts import Worker
from tests.integration.kafka_log import start_group_at_end
from tests.live_server import free_port, live_server

PASSWORD = "mat-khau-truc-ban-2026"


@dataclass(frozen=True)
class Platform:
    intake: str
    deadlines: str
    """The officers' web: sign-in, the board, the letters."""
    worker: Worker
    web: Worker
    """The officers' web process (``services.deadlines.officers_web``)."""
    worker_url: str
    """The worker's own port: its figures, /healthz and /readyz."""
    public_key: Path
    """Checks the worker's sign-in tokens (ratings and reporting are given it)."""
    page_ports: dict[str, int]
    """Ports kept for ratings and reporting, whose pages sign-in may send browsers back to."""


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} never became ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def worker_env() -> dict[str, str]:
    """Settings a module gives its deadlines worker (and its officers' web) on top of the
    platform's."""
    return {}


def _register(intake_url: str, deadlines_url: str, systems: Systems) -> tuple[str, str]:
    """Deadlines' system on intake (its name and key) and the two duty officers."""
    with psycopg.connect(intake_url) as conn:
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        haiphong_province = unit_in_province(conn, "Hải Phòng", "province")
        deadlines_system = f"deadlines-{uuid.uuid4().hex[:6]}"
        _, deadlines_key = register_system(
            deadlines_system, root[0], [Scope.READ, Scope.RESCHEDULE], db_session=conn
        )
    with psycopg.connect(deadlines_url) as conn:
        register_officer(
            "truc.hanoi",
            "Trực ban Hà Nội",
            systems.hanoi_province,
            PASSWORD,
            roles=set(Role),  # like the demo officer: every service's pages open for them
            db_session=conn,
        )
        register_officer(
            "truc.haiphong", "Trực ban Hải Phòng", haiphong_province, PASSWORD, db_session=conn
        )
    return deadlines_system, deadlines_key


def _start_intake(
    infra: Infra, intake_url: str, deadlines_system: str, log: Path
) -> tuple[subprocess.Popen[bytes], int]:
    # Intake applies the letters this module's worker issues from now on, not the ones of
    # modules before it (whose dossier codes this intake's numbering may give again).
    letters_group = f"intake-{deadlines_system}"
    start_group_at_end(infra.bootstrap_servers, letters_group, [Topic.APOLOGY_LETTERS.value])
    port = free_port()
    with log.open("wb") as out:
        intake = subprocess.Popen(
            [sys.executable, "-m", "services.intake"],
            cwd=ROOT,
            env={
                **os.environ,
                "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
                "DATABASE_URL": intake_url,
                "HTTP_PORT": str(port),
                "INBOUND_ENABLED": "false",
                # Intake applies this module's issued letters, in a group of its own.
                "APOLOGY_SYSTEM": deadlines_system,
                "INBOUND_GROUP_ID": letters_group,
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return intake, port


def _deadlines(
    worker: Worker, web: Worker, intake: str, key: str, tmp: Path, page_ports: dict[str, int]
) -> Path:
    """The worker's and the officers' web's environment; the public key of sign-in."""
    private_key, public_key = tmp / "officer-token.pem", tmp / "officer-token.pub.pem"
    write_keypair(private_key, public_key)
    worker.env |= {
        "INTAKE_URL": intake,
        "INTAKE_API_KEY": key,
        "OFFICER_TOKEN_PRIVATE_KEY_FILE": str(private_key),
        "SIGNIN_RETURN_ORIGINS": ",".join(f"http://127.0.0.1:{p}" for p in page_ports.values()),
        "PAGES_RATINGS_URL": f"http://127.0.0.1:{page_ports['ratings']}/staff",
        "PAGES_REPORTING_URL": f"http://127.0.0.1:{page_ports['reporting']}/reports",
        # Procedures a test adds are named on the board within seconds.
        "REFERENCE_REFRESH_S": "2",
    }
    web.env = {**worker.env, "HTTP_PORT": str(free_port())}
    worker.env["PAGES_BOARD_URL"] = web.env["PAGES_BOARD_URL"] = (
        f"http://127.0.0.1:{web.env['HTTP_PORT']}/board"
    )
    return public_key


@pytest.fixture(scope="module")
def platform(
    infra: Infra,
    database: Database,
    intake_url: str,
    systems: Systems,
    worker_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    # Module scope: intake's relay must not outlive these tests, or it would publish the
    # outbox rows that intake's own relay tests mean to publish themselves.
    tmp = tmp_path_factory.mktemp("platform")
    system, key = _register(intake_url, database.service_urls["deadlines"], systems)
    intake, intake_port = _start_intake(infra, intake_url, system, tmp / "intake.log")
    page_ports = {"ratings": free_port(), "reporting": free_port()}
    worker = Worker(infra, database, tmp)
    web = Worker(infra, database, tmp, module="services.deadlines.officers_web")
    intake_base = f"http://127.0.0.1:{intake_port}"
    public_key = _deadlines(worker, web, intake_base, key, tmp, page_ports)
    worker.env.update(worker_env)
    web.env.update(worker_env)  # the settings they share (the receipts' secrets, say)
    worker.start()
    web.start()
    assert worker.process is not None
    assert web.process is not None
    platform = Platform(
        intake_base,
        f"http://127.0.0.1:{web.env['HTTP_PORT']}",
        worker,
        web,
        f"http://127.0.0.1:{worker.env['HTTP_PORT']}",
        public_key,
        page_ports,
    )
    try:
        wait_until_up(platform.intake, intake, tmp / "intake.log")
        wait_until_up(platform.worker_url, worker.process, worker.log)
        wait_until_up(platform.deadlines, web.process, web.log)
        yield platform
    finally:
        for process in (intake, worker.process, web.process):
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def web(infra: Infra, database: Database) -> Iterator[str]:
    """The officers' web alone, in this process (uvicorn, as served): sign-in, the board
    and the audit trail, without intake (names fall back to codes) or a worker."""
    settings = DeadlinesSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=database.service_urls["deadlines"],
        intake_url="http://127.0.0.1:9",
    )
    with live_server(create_officers_web(settings)) as base_url:
        yield base_url


@pytest.fixture
def console(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """``manage`` commands run here as at the console, as deadlines' own role."""
    monkeypatch.setenv("DATABASE_URL", database.service_urls["deadlines"])


def officer_client(platform: Platform, username: str) -> httpx.Client:
    client = httpx.Client(base_url=platform.deadlines, timeout=20)
    response = client.post("/v1/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def board_json(client: httpx.Client, dossier_code: str) -> list[dict[str, Any]]:
    """The officer's board, narrowed to one dossier code, every page: a code is unique only
    within one intake, and other sessions' dossiers may reach the board under it."""
    items: list[dict[str, Any]] = []
    params = {"dossier_code": dossier_code, "limit": "200"}
    while True:
        response = client.get("/v1/board", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        if not body["next_cursor"]:
            return items
        params["cursor"] = body["next_cursor"]


def wait_for_item(client: httpx.Client, dossier_code: str, **expected: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        for item in board_json(client, dossier_code):
            if expected.items() <= item.items():
                return item
        time.sleep(0.3)
    pytest.fail(f"{dossier_code} never reached {expected}: {board_json(client, dossier_code)}")


def metric(platform: Platform, name: str) -> float:
    """The metric's value summed over its label sets (zero when it has none yet)."""
    text = httpx.get(f"{platform.worker_url}/metrics", timeout=5).text
    samples = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name} ", f"{name}{{"))
    ]
    if not samples and f"# TYPE {name} " not in text:
        pytest.fail(f"no metric {name}")
    return sum(samples)
