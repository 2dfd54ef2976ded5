"""The outbox relay under SIGKILL mid-publication: every committed event reaches Kafka, in
each dossier's order, none under a new id.

Each dossier has several events, so order under a kill is at stake. The kill is not left
to timing: the relay is frozen (SIGSTOP) as soon as the table shows some events marked
published, the table is read while it is frozen — some published, not all, so the kill
lands mid-publication by observation — and only then killed (SIGKILL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from services.intake.app import create_app
from tests.conftest import ROOT, Infra
from tests.integration.conftest import Systems, auth, read_events, receive_command
from tests.integration.intake.conftest import intake_settings

DOSSIERS = 80
# After the receipt: every dossier's events, in order (the receipt is sequence 1).
STEPS: list[dict[str, Any]] = [
    {"transition": "assign", "occurred_at": "2025-04-21T10:00:00+07:00"},
    {
        "transition": "request_supplement",
        "occurred_at": "2025-04-21T11:00:00+07:00",
        "reason": "Thiếu bản sao giấy tờ chứng minh chỗ ở hợp pháp",
    },
    {"transition": "receive_supplement", "occurred_at": "2025-04-22T09:00:00+07:00"},
    {
        "transition": "pause",
        "occurred_at": "2025-04-22T10:00:00+07:00",
        "reason_code": "other_agency",
    },
    {"transition": "resume", "occurred_at": "2025-04-23T09:00:00+07:00"},
]
EVENTS = DOSSIERS * (1 + len(STEPS))


def _published(intake_url: str, ids: set[str]) -> tuple[int, int]:
    """(published, unpublished) outbox rows of ``ids``."""
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE published_at IS NOT NULL), "
            "count(*) FILTER (WHERE published_at IS NULL) FROM outbox "
            "WHERE message_key = ANY(%s)",
            (list(ids),),
        ).fetchone()
    assert row
    return int(row[0]), int(row[1])


def _wait_until_the_server_is_done_with_what_it_sent(intake_url: str) -> None:
    """A frozen client's last statements (a mark and its COMMIT, pipelined) may still be
    running on the server: the table stops moving once none of intake's other sessions is
    active. Intake's app is closed here, so those sessions are the relay's."""
    deadline = time.monotonic() + 10
    with psycopg.connect(intake_url, autocommit=True) as conn:
        while conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = current_user "
            "AND pid <> pg_backend_pid() AND state = 'active'"
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the server never finished the relay's work"
            time.sleep(0.01)


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


def _commit_events(client: TestClient, systems: Systems) -> dict[str, str]:
    """Receive ``DOSSIERS`` dossiers, then move each through ``STEPS`` in a batch of its own:
    a dossier's transitions sit next to each other in the outbox, so one relay batch holds
    several events of one dossier. Returns id → code."""
    receipts = [
        {"kind": "receive", **receive_command(systems.hanoi_commune)} for _ in range(DOSSIERS)
    ]
    results = client.post(
        "/v1/events:batch", json={"items": receipts}, headers=auth(systems.hanoi)
    ).json()["results"]
    codes = {r["body"]["dossier_id"]: r["body"]["dossier_code"] for r in results}
    assert len(codes) == DOSSIERS, results[:3]
    for code in codes.values():
        items = [
            {"kind": "transition", "dossier_code": code, "event_id": f"up-{uuid.uuid4()}", **step}
            for step in STEPS
        ]
        items[0]["to_unit_code"] = systems.hanoi_commune  # assign
        batch = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
        statuses = [r["status"] for r in batch.json()["results"]]
        assert statuses == [200] * len(STEPS), batch.json()["results"]
    return codes


def test_relay_killed_mid_publication_loses_nothing_and_keeps_each_dossiers_order(
    infra: Infra, intake_url: str, systems: Systems, tmp_path: Path
) -> None:
    settings = intake_settings(infra, intake_url, outbox_relay_enabled=False, inbound_enabled=False)
    with TestClient(create_app(settings)) as client:
        dossier_ids = set(_commit_events(client, systems))
    with psycopg.connect(intake_url) as conn:
        committed = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                "SELECT event_id, message_key, (payload->'data'->>'sequence')::int FROM outbox "
                "WHERE message_key = ANY(%s)",
                (list(dossier_ids),),
            )
        }
    assert len(committed) == EVENTS
    assert _published(intake_url, dossier_ids) == (0, EVENTS)

    log = tmp_path / "relay.log"
    relay = _start_relay(infra, intake_url, log)
    deadline = time.monotonic() + 60
    while _published(intake_url, dossier_ids)[0] == 0:
        assert relay.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"relay published nothing:\n{log.read_text()}"
        time.sleep(0.005)
    relay.send_signal(signal.SIGSTOP)  # frozen: it sends nothing more
    _wait_until_the_server_is_done_with_what_it_sent(intake_url)
    published, unpublished = _published(intake_url, dossier_ids)
    relay.send_signal(signal.SIGKILL)
    relay.wait()
    assert published > 0, "something was published before the kill"
    assert unpublished > 0, "not everything: the kill landed mid-publication"
    assert _published(intake_url, dossier_ids) == (published, unpublished)

    relay = _start_relay(infra, intake_url, log)
    try:
        deadline = time.monotonic() + 90
        while _published(intake_url, dossier_ids)[1] > 0:
            assert relay.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=30) == 0

    events = read_events(infra, dossier_ids, expect=EVENTS, timeout_s=60)
    # Every committed event arrived, under the id it was committed with.
    assert {event["id"] for event in events} == set(committed)
    for event in events:
        assert committed[event["id"]] == (event["subject"], event["data"]["sequence"])
    # Per dossier, in Kafka's order: a redelivery repeats an event under its own id, which
    # consumers skip; what they keep — each id's first arrival — is in committed order.
    sequences: dict[str, list[int]] = defaultdict(list)
    seen_ids: set[str] = set()
    redelivered = 0
    for event in events:
        if event["id"] in seen_ids:
            redelivered += 1
            continue
        seen_ids.add(event["id"])
        sequences[event["subject"]].append(event["data"]["sequence"])
    assert set(sequences) == dossier_ids
    for dossier_id, kept in sequences.items():
        assert kept == list(range(1, len(STEPS) + 2)), (dossier_id, kept)
    print(f"{published} of {EVENTS} marked at the kill; {redelivered} redelivered")
