"""The spine end to end (intake and a deadlines worker as real processes): the officer's
apology letter moves the appointment in intake, and what intake does next — a pause and a
resume — counts from the new date in both services; no "overdue again" before it."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from motcua.contracts import format_instant
from motcua.kafka import Topic
from tests.conftest import Database, Infra
from tests.integration.conftest import Systems, auth, new_procedure, parse, receive_command
from tests.integration.deadlines.conftest import (
    Platform,
    board_json,
    officer_client,
    wait_for_item,
)
from tests.integration.kafka_log import read_to_end


def _wait(predicate: Any, what: str, timeout_s: float = 45) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := predicate():
            return found
        time.sleep(0.3)
    pytest.fail(f"never: {what}")


def _transition(platform: Platform, key: str, code: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{platform.intake}/v1/dossiers/{code}/events",
        json={
            "event_id": f"up-{uuid.uuid4()}",
            "occurred_at": format_instant(datetime.now(UTC)),
            **fields,
        },
        headers=auth(key),
        timeout=20,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_letter_reschedules_in_intake_and_a_later_pause_counts_from_the_new_date(
    platform: Platform, systems: Systems, infra: Infra, database: Database
) -> None:
    received = httpx.post(
        f"{platform.intake}/v1/dossiers",
        json=receive_command(systems.hanoi_commune),  # received in 2025: long overdue
        headers=auth(systems.hanoi),
        timeout=20,
    )
    assert received.status_code == 201, received.text
    dossier_id, code = received.json()["dossier_id"], received.json()["dossier_code"]
    legal_due = parse(received.json()["due_at"])

    officer = officer_client(platform, "truc.hanoi")
    wait_for_item(officer, code, dossier_id=dossier_id, status="overdue", letter_status="draft")
    issued = officer.post(
        f"/board/dossiers/{dossier_id}/letter",
        data={
            "reason": "Chờ kết quả xác minh của Công an tỉnh Quảng Ninh",
            "extension_working_days": "3",
        },
    )
    assert issued.status_code == 303, issued.text

    def view() -> dict[str, Any]:
        got = httpx.get(
            f"{platform.intake}/v1/dossiers/{code}", headers=auth(systems.hanoi), timeout=20
        )
        assert got.status_code == 200, got.text
        return dict(got.json())

    rescheduled = _wait(lambda: (v := view())["rescheduled"] and v, "intake applied the letter")
    new_due = parse(rescheduled["due_at"])
    assert new_due > datetime.now(UTC)
    assert parse(rescheduled["original_due_at"]) == legal_due
    assert rescheduled["overdue"] is False

    _transition(platform, systems.hanoi, code, transition="pause", reason_code="other_agency")
    resumed = _transition(platform, systems.hanoi, code, transition="resume")
    due_after_resume = parse(resumed["due_at"])
    # From the letter's date, not the legal one of 2025; intake keeps a paused clock's
    # remaining working time in whole seconds (remaining_seconds), so up to a second less.
    assert due_after_resume > new_due - timedelta(seconds=1)
    assert due_after_resume - new_due < timedelta(minutes=1)

    def watched() -> tuple[str, datetime, int] | None:
        with psycopg.connect(database.service_urls["deadlines"]) as conn:
            row = conn.execute(
                "SELECT status, due_at, episode FROM watched_dossiers WHERE dossier_id = %s",
                (dossier_id,),
            ).fetchone()
        running_again = row is not None and row[0] != "stopped"
        return (row[0], row[1], row[2]) if row and running_again else None

    status, due, episode = _wait(watched, "deadlines follows the resumed clock")
    assert (status, due, episode) == ("rescheduled", due_after_resume, 2)
    alerts = [
        json.loads(m.value() or b"")
        for m in read_to_end(
            infra.bootstrap_servers, Topic.DEADLINE_ALERTS.value, keys=[dossier_id]
        )
    ]
    overdue = [a for a in alerts if a["type"].endswith("overdue.v1")]
    assert [a["data"]["episode"] for a in overdue] == [1], "overdue again before the new date"


def _late_dossier(platform: Platform, systems: Systems, **overrides: Any) -> tuple[str, str]:
    received = httpx.post(
        f"{platform.intake}/v1/dossiers",
        json=receive_command(systems.hanoi_commune, **overrides),
        headers=auth(systems.hanoi),
        timeout=20,
    )
    assert received.status_code == 201, received.text
    return received.json()["dossier_id"], received.json()["dossier_code"]


def _watched_status(database: Database, dossier_id: str) -> str | None:
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        row = conn.execute(
            "SELECT status FROM watched_dossiers WHERE dossier_id = %s", (dossier_id,)
        ).fetchone()
    return str(row[0]) if row else None


def test_a_letter_while_a_supplement_is_awaited_leaves_the_clock_stopped_in_deadlines(
    platform: Platform, systems: Systems, database: Database
) -> None:
    dossier_id, code = _late_dossier(platform, systems)
    officer = officer_client(platform, "truc.hanoi")
    wait_for_item(officer, code, dossier_id=dossier_id, status="overdue", letter_status="draft")
    _transition(
        platform,
        systems.hanoi,
        code,
        transition="request_supplement",
        reason="Thiếu bản sao sổ hộ khẩu",
    )
    _wait(lambda: _watched_status(database, dossier_id) == "stopped", "the clock stopped")
    issued = officer.post(
        f"/board/dossiers/{dossier_id}/letter",
        data={"reason": "Chờ công dân bổ sung hồ sơ", "extension_working_days": "5"},
    )
    assert issued.status_code == 303, issued.text

    def rescheduled() -> bool:
        got = httpx.get(
            f"{platform.intake}/v1/dossiers/{code}", headers=auth(systems.hanoi), timeout=20
        )
        return bool(got.json()["rescheduled"])

    _wait(rescheduled, "intake applied the letter")

    def followed() -> bool:  # deadlines has read dossier.rescheduled
        with psycopg.connect(database.service_urls["deadlines"]) as conn:
            row = conn.execute(
                "SELECT rescheduled FROM watched_dossiers WHERE dossier_id = %s", (dossier_id,)
            ).fetchone()
        return bool(row and row[0])

    _wait(followed, "deadlines read the rescheduled event")
    assert _watched_status(database, dossier_id) == "stopped"
    assert all(i["dossier_id"] != dossier_id for i in board_json(officer, code))


def test_a_pause_that_keeps_the_clock_running_keeps_the_dossier_overdue_on_the_board(
    platform: Platform, systems: Systems
) -> None:
    body = new_procedure(pause_policy="clock_runs")
    procedure = body["code"]
    created = httpx.put(
        f"{platform.intake}/v1/procedures/{procedure}",
        json=body,
        headers=auth(systems.admin),
        timeout=20,
    )
    assert created.status_code in (200, 201), created.text
    dossier_id, code = _late_dossier(platform, systems, procedure_code=procedure)
    officer = officer_client(platform, "truc.hanoi")
    wait_for_item(officer, code, dossier_id=dossier_id, status="overdue")
    paused = _transition(platform, systems.hanoi, code, transition="pause", reason_code="other")
    assert paused["clock"]["running"] is True
    view = httpx.get(
        f"{platform.intake}/v1/dossiers/{code}", headers=auth(systems.hanoi), timeout=20
    ).json()
    assert view["state"] == "paused"
    assert view["overdue"] is True
    # A stopped clock would take it off the board within a second; it must stay on it.
    until = time.monotonic() + 5
    while time.monotonic() < until:
        [item] = [i for i in board_json(officer, code) if i["dossier_id"] == dossier_id]
        assert item["status"] == "overdue"
        time.sleep(0.5)
