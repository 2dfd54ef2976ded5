"""Exactly one invitation per dossier when the consumer's process is killed (SIGKILL) in
the middle of 500 returned dossiers and started again: whatever it had written but not
yet committed to Kafka comes again and changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

from tests.conftest import ROOT, Infra
from tests.integration.conftest import wait_for
from tests.integration.ratings.conftest import (
    INVITATIONS,
    OUTBOX,
    TOKEN_KEY,
    closed_event,
    count,
    produce,
)
from tests.live_server import free_port

DOSSIERS = 500


def _start(infra: Infra, ratings_url: str, group: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "DATABASE_URL": ratings_url,
        "HTTP_PORT": str(free_port()),
        "RATINGS_GROUP_ID": group,
        "RATINGS_TOKEN_KEY": TOKEN_KEY,
        "INVITATIONS_BATCH_SIZE": "20",
        "DELIVERY_ENABLED": "false",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.ratings"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_sigkill_in_the_middle_of_500_dossiers_leaves_one_invitation_each(
    infra: Infra, ratings_url: str, tmp_path: Path
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(DOSSIERS)]
    produce(infra, [closed_event(dossier_id) for dossier_id in ids])
    group, log = f"test-crash-{uuid.uuid4().hex[:8]}", tmp_path / "ratings.log"

    first = _start(infra, ratings_url, group, log)
    try:
        deadline = time.monotonic() + 90
        while count(ratings_url, INVITATIONS, ids) == 0:
            assert first.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = count(ratings_url, INVITATIONS, ids)
    assert 0 < at_kill < DOSSIERS, f"killed after {at_kill}: not in the middle"

    second = _start(infra, ratings_url, group, log)
    try:
        wait_for(lambda: count(ratings_url, INVITATIONS, ids) == DOSSIERS, timeout_s=120)
        time.sleep(2)  # let it finish whatever it re-read
    finally:
        second.terminate()
        second.wait(30)
    assert count(ratings_url, INVITATIONS, ids) == DOSSIERS
    assert count(ratings_url, OUTBOX, ids) == DOSSIERS, "one rating.invited event each"
    with psycopg.connect(ratings_url) as conn:
        deliveries = conn.execute(
            "SELECT count(*) FROM invitation_deliveries d JOIN rating_invitations i "
            "ON i.id = d.invitation_id WHERE i.dossier_id = ANY(%s::uuid[])",
            (ids,),
        ).fetchone()
    assert deliveries == (DOSSIERS,)
