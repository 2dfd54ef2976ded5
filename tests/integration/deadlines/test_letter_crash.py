"""SIGKILL of deadlines' outbox relay with an issued apology letter in hand: before its
event went out, and after Kafka acknowledged the event but before the relay marked it.
After the restart the letter's event goes out under its one id, and intake applies it once.
(The officers' web answers the officer once the letter and its event are committed; here
the worker's own relay is off and the relay runs as a process of its own, ``python -m
services.deadlines.relay``, so that it dies alone.)"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
import psycopg
import pytest

from motcua.crash_points import ENVIRONMENT_VARIABLE
from motcua.kafka import Topic
from tests.conftest import ROOT, Database, Infra
from tests.integration.conftest import Systems, auth, wait_for
from tests.integration.deadlines.conftest import (
    Platform,
    officer_client,
    wait_for_item,
)
from tests.integration.deadlines.test_alerts import _read
from tests.integration.deadlines.test_spine import _late_dossier
from tests.integration.kafka_log import read_to_end


@pytest.fixture(scope="module")
def worker_env() -> dict[str, str]:
    """The worker's own relay off: the test runs deadlines' relay itself, to kill it; and
    its notice sender, so that the outbox holds only the letters' events."""
    return {"OUTBOX_RELAY_ENABLED": "false", "LETTER_NOTICES_ENABLED": "false"}


def _start_relay(platform: Platform, crash_at: str | None) -> subprocess.Popen[bytes]:
    env = platform.worker.env | {"OUTBOX_RELAY_ENABLED": "true"}
    if crash_at:
        env[ENVIRONMENT_VARIABLE] = crash_at
    with platform.worker.log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.deadlines.relay"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _versions(database: Database, dossier_id: str) -> list[tuple[int, bool]]:
    """The dossier's letter versions, each with whether its staged event was published."""
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        rows = conn.execute(
            "SELECT v.version, o.published_at IS NOT NULL FROM apology_letter_versions v "
            "JOIN apology_letters l ON l.id = v.letter_id "
            "JOIN outbox o ON o.message_key = l.dossier_id::text "
            "AND (o.payload -> 'data' ->> 'letter_version')::int = v.version "
            "WHERE l.dossier_id = %s",
            (dossier_id,),
        ).fetchall()
    return [(int(version), bool(published)) for version, published in rows]


def _nothing_unpublished(database: Database) -> bool:
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        row = conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
    return row == (0,)


def _publish_what_is_staged(platform: Platform, database: Database) -> None:
    """What earlier tests staged goes out through a relay that is then stopped."""
    relay = _start_relay(platform, None)
    try:
        wait_for(lambda: _nothing_unpublished(database), timeout_s=60, what="an empty outbox")
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=60)


def _events(infra: Infra, topic: Topic, dossier_id: str) -> list[Any]:
    """The dossier's events on ``topic`` up to its end, duplicates kept."""
    return [
        json.loads(m.value() or b"")
        for m in read_to_end(infra.bootstrap_servers, topic.value, keys=[dossier_id])
    ]


@pytest.mark.parametrize(
    ("crash_at", "sent_before_the_crash"),
    [("outbox-read", 0), ("outbox-acknowledged", 1)],
)
def test_a_letter_survives_a_sigkill_around_its_event_exactly_once(
    platform: Platform,
    systems: Systems,
    infra: Infra,
    database: Database,
    crash_at: str,
    sent_before_the_crash: int,
) -> None:
    _publish_what_is_staged(platform, database)  # so the crash lands on this letter
    relay = _start_relay(platform, crash_at)
    try:
        dossier_id, code = _late_dossier(platform, systems)
        officer = officer_client(platform, "truc.hanoi")
        wait_for_item(officer, code, dossier_id=dossier_id, status="overdue", letter_status="draft")
        answer = officer.post(
            f"/board/dossiers/{dossier_id}/letter",
            data={
                "reason": "Chờ xác minh của Công an tỉnh Quảng Ninh",
                "extension_working_days": "3",
            },
        )
        assert answer.status_code == 303, answer.text[:500]
        assert relay.wait(timeout=30) == -signal.SIGKILL, "the relay did not die at the crash point"
    finally:
        if relay.poll() is None:
            relay.kill()
            relay.wait()
    # Proven where it died: the letter committed with its event, unmarked; out or not yet.
    assert _versions(database, dossier_id) == [(1, False)]
    before = _events(infra, Topic.APOLOGY_LETTERS, dossier_id)
    assert len(before) == sent_before_the_crash

    relay = _start_relay(platform, None)
    try:
        wait_for(
            lambda: _versions(database, dossier_id) == [(1, True)],
            timeout_s=90,
            what="the letter's event published again and marked after the restart",
        )
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=60)
    after = _events(infra, Topic.APOLOGY_LETTERS, dossier_id)
    assert len(after) == 1 + sent_before_the_crash
    assert len({event["id"] for event in after}) == 1, "one letter, one event id"

    def view() -> dict[str, Any]:
        got = httpx.get(
            f"{platform.intake}/v1/dossiers/{code}", headers=auth(systems.hanoi), timeout=20
        )
        assert got.status_code == 200, got.text
        return dict(got.json())

    wait_for(lambda: bool(view()["rescheduled"]), timeout_s=60, what="intake applied it")
    # Read for ten seconds, not to the end: a second application would come after the first.
    rescheduled = [
        event
        for event in (
            json.loads(m.value())
            for m in _read(infra, Topic.DOSSIER_EVENTS.value, {dossier_id}, time.monotonic() + 10)
        )
        if event["type"].startswith("vn.motcua.dossier.rescheduled")
    ]
    assert len(rescheduled) == 1, "intake applied the letter once"
