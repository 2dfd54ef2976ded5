"""Each service as the real process ``make up`` starts: endpoints, readiness, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, Database, Infra

SERVICES = ("intake", "deadlines", "ratings", "reporting")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read(), response.headers["content-type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["content-type"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_process_serves_health_readiness_metrics_and_stops_on_sigterm(
    service: str, infra: Infra, database: Database, tmp_path: Path
) -> None:
    port = _free_port()
    log = tmp_path / f"{service}.log"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "DATABASE_URL": database.service_urls[service],
        "HTTP_PORT": str(port),
        "DATA_DIR": str(tmp_path / "data"),
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
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body, _ = _get(f"{base}/healthz")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"no /healthz in 60s:\n{log.read_text()}"
                time.sleep(0.2)
        assert status == 200
        assert json.loads(body)["status"] == "ok"

        status, body, _ = _get(f"{base}/readyz")
        assert status == 200, body
        # Faust runs the deadlines worker's agents; the others' loops are supervised.
        loops = {} if service == "deadlines" else {"loops": "ok"}
        assert json.loads(body)["checks"] == {"kafka": "ok", "postgres": "ok", **loops}

        status, body, content_type = _get(f"{base}/metrics")
        assert status == 200
        assert content_type.startswith("text/plain")
        assert b'motcua_dependency_up{dependency="kafka"} 1.0' in body
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=45)
    assert code == 0, log.read_text()[-3000:]
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert records, "the service wrote no JSON log lines"
    assert all(record["service"] == service for record in records)
