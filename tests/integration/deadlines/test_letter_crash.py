"""SIGKILL of deadlines' officers' web (which issues and publishes the letters) between an
apology letter's database commit and its Kafka event, and between the event and its
``published`` mark: after the restart the letter's event goes out under its one id, and
intake applies it once."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

import httpx
import psycopg
import pytest

from motcua.crash_points import ENVIRONMENT_VARIABLE
from motcua.kafka import Topic
from tests.conftest import Database, Infra
from tests.integration.conftest import Systems, auth, wait_for
from tests.integration.deadlines.conftest import (
    Platform,
    officer_client,
    wait_for_item,
    wait_until_up,
)
from tests.integration.deadlines.test_alerts import _read
from tests.integration.deadlines.test_spine import _late_dossier
from tests.integration.kafka_log import read_to_end


def _restart(platform: Platform, crash_at: str | None) -> None:
    worker = platform.web
    assert worker.process is not None
    if worker.process.poll() is None:
        worker.stop(signal.SIGTERM)
    worker.env.pop(ENVIRONMENT_VARIABLE, None)
    worker.env["LETTER_REPUBLISH_AFTER_S"] = "3"
    if crash_at:
        worker.env[ENVIRONMENT_VARIABLE] = crash_at
    worker.start()
    assert worker.process is not None
    wait_until_up(platform.deadlines, worker.process, worker.log)


def _versions(database: Database, dossier_id: str) -> list[tuple[int, bool]]:
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        rows = conn.execute(
            "SELECT v.version, v.published_at IS NOT NULL FROM apology_letter_versions v "
            "JOIN apology_letters l ON l.id = v.letter_id WHERE l.dossier_id = %s",
            (dossier_id,),
        ).fetchall()
    return [(int(version), bool(published)) for version, published in rows]


def _events(infra: Infra, topic: Topic, dossier_id: str) -> list[Any]:
    """The dossier's events on ``topic`` up to its end, duplicates kept."""
    return [
        json.loads(m.value() or b"")
        for m in read_to_end(infra.bootstrap_servers, topic.value, keys=[dossier_id])
    ]


def _issue_and_die(platform: Platform, officer: httpx.Client, dossier_id: str) -> None:
    """Issue the dossier's letter; the officers' web dies at its crash point answering."""
    try:
        answer = officer.post(
            f"/board/dossiers/{dossier_id}/letter",
            data={
                "reason": "Chờ xác minh của Công an tỉnh Quảng Ninh",
                "extension_working_days": "3",
            },
        )
    except httpx.TransportError:
        pass  # the web died answering
    else:
        pytest.fail(f"the web answered {answer.status_code}: {answer.text[:500]}")
    web = platform.web.process
    assert web is not None
    assert web.wait(timeout=30) == -signal.SIGKILL, "it did not die at the crash point"


@pytest.mark.parametrize(
    ("crash_at", "sent_before_the_crash"),
    [("letter-committed", 0), ("letter-sent", 1)],
)
def test_a_letter_survives_a_sigkill_around_its_event_exactly_once(
    platform: Platform,
    systems: Systems,
    infra: Infra,
    database: Database,
    crash_at: str,
    sent_before_the_crash: int,
) -> None:
    _restart(platform, crash_at)
    dossier_id, code = _late_dossier(platform, systems)
    officer = officer_client(platform, "truc.hanoi")
    wait_for_item(officer, code, dossier_id=dossier_id, status="overdue", letter_status="draft")

    _issue_and_die(platform, officer, dossier_id)
    # Proven where it died: the letter committed, unmarked; its event out or not yet.
    assert _versions(database, dossier_id) == [(1, False)]
    before = _events(infra, Topic.APOLOGY_LETTERS, dossier_id)
    assert len(before) == sent_before_the_crash

    _restart(platform, None)
    wait_for(
        lambda: _versions(database, dossier_id) == [(1, True)],
        timeout_s=90,
        what="the letter's event republished and marked after the restart",
    )
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
