"""Intake owns every due date: issued apology letters reschedule through its Kafka door,
and every clock rule holds on real sequences of events (real PostgreSQL and Kafka)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer
from fastapi.testclient import TestClient

from motcua.calendar import default_calendar
from motcua.contracts import EventType, encode_event, format_instant, new_event
from motcua.dossier import finished_late, is_overdue, local_instant
from motcua.kafka import Topic
from services.intake.app import create_app
from services.intake.auth import Scope, register_system
from tests.conftest import Infra
from tests.integration.conftest import (
    Systems,
    auth,
    new_procedure,
    parse,
    read_dead_letters,
    read_events,
    receive_command,
)
from tests.integration.intake.conftest import intake_settings
from tests.integration.kafka_log import start_group_at_end

CALENDAR = default_calendar()


@pytest.fixture(scope="module")
def deadlines_system(intake_url: str) -> str:
    """The system whose issued letters this module's intake applies."""
    name = f"deadlines-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(intake_url) as conn:
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        register_system(name, root[0], [Scope.READ, Scope.RESCHEDULE], db_session=conn)
    return name


@pytest.fixture(scope="module")
def door(infra: Infra, intake_url: str, deadlines_system: str) -> Iterator[TestClient]:
    """Intake applying the letters published from now on: the letters topic is shared by
    every test and run on the broker, and their dossier codes repeat across databases."""
    group = f"test-{deadlines_system}"
    start_group_at_end(infra.bootstrap_servers, group, [Topic.APOLOGY_LETTERS.value])
    settings = intake_settings(
        infra,
        intake_url,
        inbound_enabled=False,
        apology_letters_enabled=True,
        apology_system=deadlines_system,
        inbound_group_id=group,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _receive(client: TestClient, systems: Systems, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/dossiers",
        json=receive_command(systems.hanoi_commune, **overrides),
        headers=auth(systems.hanoi),
    )
    assert response.status_code == 201, response.text
    return _view(client, systems, response.json()["dossier_code"])


def _step(
    client: TestClient, systems: Systems, code: str, at: str, **fields: Any
) -> dict[str, Any]:
    response = client.post(
        f"/v1/dossiers/{code}/events",
        json={"event_id": f"up-{uuid.uuid4()}", "occurred_at": at, **fields},
        headers=auth(systems.hanoi),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _assign_on_the_next_day(client: TestClient, systems: Systems, code: str) -> None:
    """Handled the day after the receipt: a letter issued before the due date comes after."""
    _step(
        client,
        systems,
        code,
        "2025-04-22T08:30:00+07:00",
        transition="assign",
        to_unit_code=systems.hanoi_commune,
    )


def _view(client: TestClient, systems: Systems, code: str) -> dict[str, Any]:
    response = client.get(f"/v1/dossiers/{code}", headers=auth(systems.hanoi))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _letter(
    dossier: dict[str, Any],
    new_due: datetime,
    issued_at: datetime,
    *,
    number: str = "7/PXL",
    version: int = 1,
    event_id: str | None = None,
) -> tuple[bytes, bytes]:
    """An ``apology issued`` event as deadlines publishes it."""
    event = new_event(
        EventType.APOLOGY_ISSUED,
        source="/motcua/deadlines",
        subject=dossier["dossier_id"],
        time=issued_at,
        event_id=event_id or str(uuid.uuid4()),
        data={
            "dossier_id": dossier["dossier_id"],
            "dossier_code": dossier["dossier_code"],
            "unit_code": dossier["unit_code"],
            "unit_path": dossier["unit_path"],
            "procedure_code": dossier["procedure_code"],
            "episode": 1,
            "letter_number": number,
            "letter_version": version,
            "original_due_at": format_instant(parse(dossier["due_at"])),
            "new_due_at": format_instant(new_due),
            "reason": "Chờ kết quả xác minh của Công an tỉnh Quảng Ninh",
            "issued_at": format_instant(issued_at),
        },
    )
    return dossier["dossier_id"].encode(), encode_event(event)


def _publish(infra: Infra, *letters: tuple[bytes, bytes]) -> None:
    producer = Producer(
        {"bootstrap.servers": infra.bootstrap_servers, "partitioner": "murmur2_random"}
    )
    for key, value in letters:
        producer.produce(Topic.APOLOGY_LETTERS.value, key=key, value=value)
    assert producer.flush(10) == 0


def _wait_rescheduled(client: TestClient, systems: Systems, code: str) -> dict[str, Any]:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        view = _view(client, systems, code)
        if view["rescheduled"]:
            return view
        time.sleep(0.2)
    pytest.fail(f"{code} was never rescheduled")


def _outbox_types(intake_url: str, dossier_id: str) -> list[str]:
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT payload->>'type' FROM outbox WHERE message_key = %s ORDER BY id",
            (dossier_id,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def test_an_issued_letter_moves_the_appointment_once_and_every_read_shows_it(
    door: TestClient, systems: Systems, infra: Infra, intake_url: str
) -> None:
    dossier = _receive(door, systems)
    code, legal_due = dossier["dossier_code"], parse(dossier["due_at"])
    _assign_on_the_next_day(door, systems, code)
    new_due = CALENDAR.add_working_days(legal_due, 5)
    issued_at = CALENDAR.subtract_working_time(legal_due, timedelta(hours=10))
    first = _letter(dossier, new_due, issued_at)
    _publish(infra, first)

    view = _wait_rescheduled(door, systems, code)
    assert parse(view["due_at"]) == new_due
    assert parse(view["original_due_at"]) == legal_due
    assert view["timeline"][-1]["transition"] == "reschedule"
    assert view["timeline"][-1]["details"] == {"letter_number": "7/PXL"}
    # Every page of the commune's overdue list, since other tests' dossiers share it.
    listed: list[dict[str, Any]] = []
    params = {"unit": systems.hanoi_commune, "overdue": "true", "limit": "500"}
    while True:
        page = door.get("/v1/dossiers", params=params, headers=auth(systems.hanoi)).json()
        listed += page["items"]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    [item] = [i for i in listed if i["dossier_code"] == code]  # long past even the new date
    assert parse(item["due_at"]) == new_due

    # Redelivered, corrected (version 2, same date) and a second letter: only the first counts.
    second = _letter(dossier, CALENDAR.add_working_days(new_due, 5), issued_at, number="8/PXL")
    _publish(infra, first, _letter(dossier, new_due, issued_at, version=2), second)
    [refused] = read_dead_letters(infra, Topic.DLQ_INTAKE, first[0], expect=1)
    assert refused["motcua-dlq-reason"] == b"already_rescheduled"
    assert refused["motcua-dlq-topic"] == Topic.APOLOGY_LETTERS.value.encode()
    assert (
        _outbox_types(intake_url, dossier["dossier_id"]).count(EventType.DOSSIER_RESCHEDULED.value)
        == 1
    )
    assert parse(_view(door, systems, code)["due_at"]) == new_due

    events = read_events(infra, {dossier["dossier_id"]}, expect=3)
    [moved] = [e for e in events if e["type"] == EventType.DOSSIER_RESCHEDULED.value]
    assert moved["data"]["previous_due_at"] == local_instant(legal_due)
    assert moved["data"]["clock"] == {
        "running": True,
        "due_at": local_instant(new_due),
        "original_due_at": local_instant(legal_due),
        "rescheduled": True,
        "closed": False,
    }


def test_a_letter_for_another_dossier_bearing_the_same_code_moves_nothing(
    door: TestClient, systems: Systems, infra: Infra, intake_url: str
) -> None:
    """A letter names its dossier by id and code; a code alone (another intake's dossier,
    a database restored under reused codes) must not move this citizen's appointment."""
    dossier = _receive(door, systems)
    code, legal_due = dossier["dossier_code"], parse(dossier["due_at"])
    _assign_on_the_next_day(door, systems, code)
    stranger = {**dossier, "dossier_id": str(uuid.uuid4())}
    # The letter the first test sees applied, but for another dossier id.
    issued_at = CALENDAR.subtract_working_time(legal_due, timedelta(hours=10))
    foreign = _letter(stranger, CALENDAR.add_working_days(legal_due, 5), issued_at)
    _publish(infra, foreign)

    refused = read_dead_letters(infra, Topic.DLQ_INTAKE, foreign[0], expect=1)
    view = _view(door, systems, code)
    assert [(r["motcua-dlq-reason"], r["motcua-dlq-topic"]) for r in refused] == [
        (b"not_found", Topic.APOLOGY_LETTERS.value.encode())
    ], view["timeline"][-1]
    assert (view["rescheduled"], parse(view["due_at"])) == (False, legal_due)
    assert EventType.DOSSIER_RESCHEDULED.value not in _outbox_types(
        intake_url, dossier["dossier_id"]
    )


def test_a_letter_for_a_dossier_finished_before_it_arrived_moves_nothing_and_is_no_poison(
    door: TestClient, systems: Systems, infra: Infra, intake_url: str
) -> None:
    """Issued after the result was given: the apology stands, there is no appointment
    left to move. Nothing is written, nothing dead-lettered, and it is counted; the letter
    after it on the same partition (for a dossier intake does not have) still is."""
    dossier = _receive(door, systems)
    code, legal_due = dossier["dossier_code"], parse(dossier["due_at"])
    _assign_on_the_next_day(door, systems, code)
    finished_at = CALENDAR.add_working_days(legal_due, 2)
    _step(
        door, systems, code, format_instant(finished_at), transition="complete", outcome="granted"
    )
    before = _view(door, systems, code)
    counted = _letters_for_finished(door)
    issued_at = finished_at + timedelta(hours=1)
    late_letter = _letter(dossier, CALENDAR.add_working_days(legal_due, 5), issued_at)
    stranger = _letter({**dossier, "dossier_id": str(uuid.uuid4())}, legal_due, issued_at)
    _publish(infra, late_letter, (late_letter[0], stranger[1]))  # one key: one partition, in order

    [first] = read_dead_letters(infra, Topic.DLQ_INTAKE, late_letter[0], expect=1)
    assert first["motcua-dlq-reason"] == b"not_found", "the finished dossier's letter was refused"
    assert _view(door, systems, code)["timeline"] == before["timeline"]
    assert EventType.DOSSIER_RESCHEDULED.value not in _outbox_types(
        intake_url, dossier["dossier_id"]
    )
    assert _letters_for_finished(door) == counted + 1


def _letters_for_finished(client: TestClient) -> float:
    found = re.search(
        r"^motcua_intake_letters_for_finished_dossiers_total (\S+)$",
        client.get("/metrics").text,
        re.MULTILINE,
    )
    assert found, "the counter is exported"
    return float(found.group(1))


def test_a_pause_after_the_letter_counts_from_the_new_date(
    door: TestClient, systems: Systems, infra: Infra
) -> None:
    dossier = _receive(door, systems)
    code, legal_due = dossier["dossier_code"], parse(dossier["due_at"])
    new_due = CALENDAR.add_working_days(legal_due, 4)
    issued_at = CALENDAR.subtract_working_time(legal_due, timedelta(hours=9))
    _publish(infra, _letter(dossier, new_due, issued_at))
    _wait_rescheduled(door, systems, code)

    paused_at = CALENDAR.add_working_time(legal_due, timedelta(hours=1))
    resumed_at = CALENDAR.add_working_days(paused_at, 10)
    _step(
        door,
        systems,
        code,
        format_instant(paused_at),
        transition="pause",
        reason_code="other_agency",
    )
    resumed = _step(door, systems, code, format_instant(resumed_at), transition="resume")
    left = CALENDAR.working_time_between(paused_at, new_due)
    assert parse(resumed["due_at"]) == CALENDAR.add_working_time(resumed_at, left)
    assert resumed["clock"]["rescheduled"] is True


def test_a_letter_while_a_supplement_is_awaited_leaves_the_clock_stopped(
    door: TestClient, systems: Systems, infra: Infra
) -> None:
    dossier = _receive(door, systems)
    code, legal_due = dossier["dossier_code"], parse(dossier["due_at"])
    requested_at = CALENDAR.subtract_working_time(legal_due, timedelta(hours=12))
    _step(
        door,
        systems,
        code,
        format_instant(requested_at),
        transition="request_supplement",
        reason="Thiếu bản sao giấy khai sinh",
    )
    new_due = CALENDAR.add_working_days(legal_due, 20)
    _publish(infra, _letter(dossier, new_due, requested_at + timedelta(hours=1)))
    view = _wait_rescheduled(door, systems, code)
    assert view["clock_running"] is False
    assert view["overdue"] is False
    [moved] = [
        e
        for e in read_events(infra, {dossier["dossier_id"]}, expect=3)
        if e["type"] == EventType.DOSSIER_RESCHEDULED.value
    ]
    assert moved["data"]["clock"]["running"] is False
    assert moved["data"]["clock"]["due_at"] is None

    # Back in two days: counted again from zero (7 days), but not before the letter's date.
    back = CALENDAR.add_working_days(requested_at, 2)
    restarted = _step(door, systems, code, format_instant(back), transition="receive_supplement")
    assert CALENDAR.add_working_days(back, 7) < new_due
    assert parse(restarted["due_at"]) == new_due
    assert restarted["clock"]["running"] is True


def test_a_letter_signed_before_the_desks_last_step_still_moves_the_appointment(
    door: TestClient, systems: Systems, infra: Infra
) -> None:
    """The desk assigned the dossier after the officer signed the letter but before intake
    read it (found by the chaos run): the letter still moves the date, recorded after the
    assignment so the timeline stays in order, and a desk step dated before it is refused."""
    dossier = _receive(door, systems)
    code, legal_due = dossier["dossier_code"], parse(dossier["due_at"])
    signed_at = datetime.fromisoformat("2025-04-21T15:00:00+07:00")
    _assign_on_the_next_day(door, systems, code)
    new_due = CALENDAR.add_working_days(legal_due, 5)
    _publish(infra, _letter(dossier, new_due, signed_at))

    view = _wait_rescheduled(door, systems, code)
    assert parse(view["due_at"]) == new_due
    assign, moved = view["timeline"][-2:]
    assert (assign["transition"], moved["transition"]) == ("assign", "reschedule")
    assert parse(moved["occurred_at"]) == parse(assign["occurred_at"])
    late_step = door.post(
        f"/v1/dossiers/{code}/events",
        json={
            "event_id": f"up-{uuid.uuid4()}",
            "occurred_at": "2025-04-22T08:00:00+07:00",
            "transition": "complete",
            "outcome": "granted",
        },
        headers=auth(systems.hanoi),
    )
    assert late_step.status_code == 409, late_step.text
    assert late_step.json()["reason"] == "out_of_order"


def test_an_event_before_the_last_recorded_one_is_refused_naming_both(
    door: TestClient, systems: Systems, intake_url: str
) -> None:
    dossier = _receive(door, systems)
    code = dossier["dossier_code"]
    _step(
        door,
        systems,
        code,
        "2025-04-23T10:00:00+07:00",
        transition="pause",
        reason_code="external_verification",
    )
    before = _outbox_types(intake_url, dossier["dossier_id"])
    response = door.post(
        f"/v1/dossiers/{code}/events",
        json={
            "event_id": f"up-{uuid.uuid4()}",
            "occurred_at": "2025-04-23T09:59:00+07:00",
            "transition": "resume",
        },
        headers=auth(systems.hanoi),
    )
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["occurred_at"] == "2025-04-23T09:59:00+07:00"
    assert problem["last_event_at"] == "2025-04-23T10:00:00+07:00"
    assert _view(door, systems, code)["state"] == "paused"
    assert _outbox_types(intake_url, dossier["dossier_id"]) == before


def _procedure(client: TestClient, systems: Systems, **changes: Any) -> str:
    procedure = new_procedure(**changes)
    path = f"/v1/procedures/{procedure['code']}"
    response = client.put(path, json=procedure, headers=auth(systems.admin))
    assert response.status_code in (200, 201), response.text
    return str(procedure["code"])


def test_the_overdue_filter_and_each_items_overdue_field_agree(
    door: TestClient, systems: Systems
) -> None:
    running_pause = _procedure(door, systems, pause_policy="clock_runs")
    late, stopped, on_time, completed_late = (
        _receive(door, systems, procedure_code=running_pause) for _ in range(4)
    )
    # Paused, but this procedure's pauses keep the clock running: overdue all the same.
    _step(
        door,
        systems,
        late["dossier_code"],
        "2025-04-22T09:00:00+07:00",
        transition="pause",
        reason_code="other",
    )
    _step(
        door,
        systems,
        stopped["dossier_code"],
        "2025-04-22T09:00:00+07:00",
        transition="request_supplement",
        reason="Thiếu tờ khai",
    )
    _step(
        door,
        systems,
        on_time["dossier_code"],
        "2025-04-22T09:00:00+07:00",
        transition="complete",
        outcome="granted",
    )
    _step(
        door,
        systems,
        completed_late["dossier_code"],
        "2025-05-20T09:00:00+07:00",
        transition="complete",
        outcome="granted",
    )
    expected = {
        late["dossier_code"]: True,
        stopped["dossier_code"]: False,
        on_time["dossier_code"]: False,
        completed_late["dossier_code"]: True,
    }
    for code, overdue in expected.items():
        view = _view(door, systems, code)
        assert view["overdue"] is overdue, code
        # The SQL behind the field is the shared package's definition.
        due = parse(view["due_at"])
        pure = (
            finished_late(due_at=due, finished_at=parse(view["completed_at"]))
            if view["completed_at"]
            else is_overdue(running=view["clock_running"], due_at=due, now=datetime.now(UTC))
        )
        assert pure is overdue, code
    for flag in (True, False):
        listed = door.get(
            "/v1/dossiers",
            params={"procedure": running_pause, "overdue": str(flag).lower()},
            headers=auth(systems.hanoi),
        ).json()["items"]
        assert {i["dossier_code"] for i in listed} == {c for c, o in expected.items() if o is flag}
        assert all(i["overdue"] is flag for i in listed)


def test_a_pause_of_a_calendar_day_procedure_resumes_by_the_civil_code(
    door: TestClient, systems: Systems
) -> None:
    procedure = _procedure(door, systems, processing_time={"amount": 10, "unit": "calendar_days"})
    dossier = _receive(door, systems, procedure_code=procedure)
    # Received Monday 21/4/2025: ten days end on Thursday 1/5, a holiday; 2/5 was given off
    # and then comes the weekend, so the period ends at the close of Monday 5/5.
    assert parse(dossier["due_at"]) == parse("2025-05-05T17:00:00+07:00")
    code = dossier["dossier_code"]
    _step(
        door,
        systems,
        code,
        "2025-04-25T10:00:00+07:00",
        transition="pause",
        reason_code="other_agency",
    )
    resumed = _step(door, systems, code, "2025-05-14T09:00:00+07:00", transition="resume")
    # Ten whole days were left; from Wednesday 14/5 they end on Saturday 24/5, so at the
    # close of Monday 26/5 (Bộ luật Dân sự Điều 148 khoản 5), not on the Saturday.
    assert parse(resumed["due_at"]) == parse("2025-05-26T17:00:00+07:00")


def test_every_dossier_event_states_the_clock(
    door: TestClient, systems: Systems, infra: Infra
) -> None:
    dossier = _receive(door, systems)
    code = dossier["dossier_code"]
    _step(door, systems, code, "2025-04-22T09:00:00+07:00", transition="pause", reason_code="other")
    _step(door, systems, code, "2025-04-24T09:00:00+07:00", transition="resume")
    _step(
        door, systems, code, "2025-04-25T09:00:00+07:00", transition="complete", outcome="refused"
    )
    events = read_events(infra, {dossier["dossier_id"]}, expect=4)
    clocks = {e["type"].split(".")[3]: e["data"]["clock"] for e in events}
    assert clocks["received"]["running"] is True
    assert clocks["paused"] == {**clocks["received"], "running": False, "due_at": None}
    assert clocks["resumed"]["running"] is True
    assert parse(clocks["resumed"]["due_at"]) > parse(clocks["received"]["due_at"])
    assert clocks["completed"]["closed"] is True
    assert clocks["completed"]["due_at"] == clocks["resumed"]["due_at"]
