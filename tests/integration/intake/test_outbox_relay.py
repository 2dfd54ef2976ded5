"""The outbox relay under SIGKILL: every committed event reaches Kafka, none under a new id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from services.intake.app import create_app
from tests.conftest import ROOT, Infra
from tests.integration.conftest import Systems, auth, read_events, receive_command
from tests.integration.intake.conftest import intake_settings


def _unpublished(intake_url: str, ids: set[str]) -> int:
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL AND message_key = ANY(%s)",
            (list(ids),),
        ).fetchone()
    return int(row[0]) if row else 0


def _start_relay(infra: Infra, intake_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "DATABASE_URL": intake_url,
        "OUTBOX_BATCH_SIZE": "25",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.intake.relay"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_relay_killed_mid_stream_loses_nothing_and_never_renames_an_event(
    infra: Infra, intake_url: str, systems: Systems, tmp_path: Path
) -> None:
    settings = intake_settings(infra, intake_url, outbox_relay_enabled=False, inbound_enabled=False)
    dossier_ids: set[str] = set()
    with TestClient(create_app(settings)) as client:
        items = [{"kind": "receive", **receive_command(systems.hanoi_commune)} for _ in range(400)]
        for start in range(0, len(items), 200):
            batch = client.post(
                "/v1/events:batch",
                json={"items": items[start : start + 200]},
                headers=auth(systems.hanoi),
            ).json()
            dossier_ids |= {r["body"]["dossier_id"] for r in batch["results"]}
    assert len(dossier_ids) == 400
    with psycopg.connect(intake_url) as conn:
        committed = {
            row[0]: row[1]
            for row in conn.execute(
                "SELECT event_id, message_key FROM outbox WHERE message_key = ANY(%s)",
                (list(dossier_ids),),
            )
        }
    assert len(committed) == 400

    log = tmp_path / "relay.log"
    relay = _start_relay(infra, intake_url, log)
    deadline = time.monotonic() + 60
    while _unpublished(intake_url, dossier_ids) > 300:
        assert relay.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"relay published nothing:\n{log.read_text()}"
        time.sleep(0.01)
    relay.send_signal(signal.SIGKILL)
    relay.wait()
    left = _unpublished(intake_url, dossier_ids)
    assert 0 < left < 400, "the kill must land mid-stream"

    relay = _start_relay(infra, intake_url, log)
    try:
        deadline = time.monotonic() + 60
        while _unpublished(intake_url, dossier_ids) > 0:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=30) == 0

    events = read_events(infra, dossier_ids, expect=400)
    ids_by_dossier: dict[str, set[str]] = defaultdict(set)
    for event in events:
        ids_by_dossier[event["subject"]].add(event["id"])
    # Every committed event arrived; a dossier's receipt never went out under a second id.
    assert {event["id"] for event in events} == set(committed)
    assert all(len(ids) == 1 for ids in ids_by_dossier.values())
    assert set(ids_by_dossier) == dossier_ids
