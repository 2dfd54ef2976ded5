"""Duty officers log in to deadlines' real officers' web process; wrong passwords and no
cookie are 401."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from services.deadlines.officers import authenticate, register_officer
from tests.conftest import ROOT, Database, Infra
from tests.live_server import free_port

PASSWORD = "mật-khẩu-trực-ban-2026"


@pytest.fixture(scope="module")
def deadlines(
    infra: Infra, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        register_officer(
            "truc.hoankiem",
            "Cán bộ trực phường Hoàn Kiếm",
            "000.00.01.H01",
            PASSWORD,
            db_session=conn,
        )
    port = free_port()
    tmp: Path = tmp_path_factory.mktemp("deadlines")
    log = (tmp / "deadlines.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.deadlines.officers_web"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "DATABASE_URL": database.service_urls["deadlines"],
            "HTTP_PORT": str(port),
            "DATA_DIR": str(tmp / "data"),
        },
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            assert time.monotonic() < deadline, (tmp / "deadlines.log").read_text()
            time.sleep(0.3)
    yield base
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=45)


def test_officer_logs_in_and_sees_their_subtree(deadlines: str) -> None:
    with httpx.Client(base_url=deadlines) as client:
        assert client.get("/v1/me").status_code == 401
        response = client.post(
            "/v1/session", json={"username": "truc.hoankiem", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        me = client.get("/v1/me")
        assert me.status_code == 200
        assert me.json()["unit_code"] == "000.00.01.H01"


def test_wrong_password_and_bad_body_are_problems(deadlines: str) -> None:
    wrong = httpx.post(
        f"{deadlines}/v1/session",
        json={"username": "truc.hoankiem", "password": "sai-mat-khau-roi"},
    )
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert "set-cookie" not in wrong.headers
    malformed = httpx.post(f"{deadlines}/v1/session", content=b"{not json")
    assert malformed.status_code == 422
    stale = httpx.get(f"{deadlines}/v1/me", cookies={"motcua_session": "forged"})
    assert stale.status_code == 401


def test_passwords_are_stored_hashed(database: Database) -> None:
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        stored = conn.execute("SELECT password_scrypt FROM officers").fetchall()
        assert all(PASSWORD.encode() not in bytes(row[0]) for row in stored)
        assert authenticate("truc.hoankiem", PASSWORD, db_session=conn) is not None
        assert authenticate("nobody", PASSWORD, db_session=conn) is None
