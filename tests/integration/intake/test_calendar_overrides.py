"""An announcement recorded through intake's admin API reaches every calendar, live.

The announcement has the usual shape ("Quyết định …: Friday X is a day off, Saturday Y is
worked"), in a March of a random far-off year: no holiday there, and none of the dates
another test has in force, since every test of every session shares the compacted topic.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil
import psycopg
import pytest
from confluent_kafka import Producer
from fastapi.testclient import TestClient

from motcua.calendar import CalendarOverride, OverrideKind, WorkingCalendar, overrides_from
from motcua.calendar_feed import CalendarFeed, LiveCalendar
from motcua.contracts import decode_event
from motcua.kafka import Topic
from services.intake.app import create_app
from tests.cloudevents_sdk import structured_event
from tests.conftest import ROOT, Infra
from tests.integration.conftest import Systems, auth, parse, receive_command
from tests.integration.intake.conftest import door_group, intake_settings
from tests.integration.intake.test_inbound import _system_name
from tests.integration.kafka_log import read_to_end
from tests.live_server import free_port

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FAR_FUTURE = 80 * 366 * 86400
"""The receipts here are dated in a far-off year (see ``_swap``), which intake refuses by
default as implausible (``OCCURRED_AT_MAX_FUTURE_S``); this module's intakes accept them."""


@pytest.fixture
def client(infra: Infra, intake_url: str) -> Iterator[TestClient]:
    settings = intake_settings(
        infra, intake_url, inbound_enabled=False, occurred_at_max_future_s=FAR_FUTURE
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _years_in_use(infra: Infra) -> set[int]:
    """Years with an announcement in force on the shared topic: another session's test
    running now, or one that died before withdrawing its own."""
    latest: dict[str, str] = {}
    for message in read_to_end(infra.bootstrap_servers, Topic.CALENDAR_OVERRIDES.value):
        latest[(message.key() or b"").decode()] = decode_event(message.value() or b"")["data"][
            "status"
        ]
    return {int(day[:4]) for day, status in latest.items() if status == "in_force"}


def _swap(infra: Infra) -> tuple[date, date]:
    """A Friday and the Saturday after next, in March of a random year nobody announced
    anything for."""
    year = random.choice(sorted(set(range(2040, 2096)) - _years_in_use(infra)))
    friday = date(year, 3, 9)
    friday += timedelta(days=(4 - friday.weekday()) % 7)
    return friday, friday + timedelta(days=8)


def _wait_for(predicate: Callable[[], Any], what: str, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.1)
    pytest.fail(f"never: {what}")


@pytest.fixture
def swap(client: TestClient, systems: Systems, infra: Infra) -> Iterator[tuple[date, date]]:
    friday, saturday = _swap(infra)
    yield friday, saturday
    for day in (friday, saturday):  # the session's other tests must see a normal calendar
        client.delete(f"/v1/calendar/overrides/{day}", headers=auth(systems.admin))


def _receive(client: TestClient, systems: Systems, received: datetime) -> dict[str, Any]:
    command = receive_command(systems.hanoi_commune, occurred_at=received.isoformat())
    response = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_only_an_admin_records_an_announcement_and_bad_ones_are_named(
    client: TestClient, systems: Systems, swap: tuple[date, date]
) -> None:
    friday, _ = swap
    url = f"/v1/calendar/overrides/{friday}"
    # No admin scope: 403 before the body is even looked at.
    bodies: list[dict[str, Any]] = [
        {"kind": "day_off", "legal_basis": "QĐ 1"},
        {"kind": "nonsense"},
    ]
    for body in bodies:
        refused = client.put(url, json=body, headers=auth(systems.hanoi))
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.delete(url, headers=auth(systems.hanoi)).status_code == 403

    for path, invalid_body, field in (
        (url, {"kind": "holiday", "legal_basis": "QĐ 1"}, "kind"),
        (url, {"kind": "day_off"}, "legal_basis"),
        (url, {"kind": "day_off", "legal_basis": "QĐ 1", "extra": 1}, "extra"),
        ("/v1/calendar/overrides/2041-02-30", {"kind": "day_off", "legal_basis": "QĐ 1"}, "date"),
        ("/v1/calendar/overrides/20410301", {"kind": "day_off", "legal_basis": "QĐ 1"}, "date"),
        # A Sunday "off" changes nothing: a mistyped date, most likely.
        (
            f"/v1/calendar/overrides/{friday + timedelta(days=2)}",
            {"kind": "day_off", "legal_basis": "QĐ 1"},
            "kind",
        ),
    ):
        invalid = client.put(path, json=invalid_body, headers=auth(systems.admin))
        assert invalid.status_code == 422, (invalid_body, invalid.text)
        assert invalid.headers["content-type"].startswith("application/problem+json")
        assert field in {error["field"] for error in invalid.json()["errors"]}, invalid.text
    listed = client.get("/v1/calendar/overrides", headers=auth(systems.hanoi)).json()
    assert str(friday) not in {item["date"] for item in listed}
    assert client.delete(url, headers=auth(systems.admin)).status_code == 404


def test_an_announced_swap_changes_new_receipts_without_a_restart_and_reaches_the_feed(
    client: TestClient, systems: Systems, infra: Infra, swap: tuple[date, date], intake_url: str
) -> None:
    friday, saturday = swap
    basis = f"Quyết định {random.randint(100, 999)}/QĐ-TTg"
    announced = overrides_from(
        [
            CalendarOverride(friday, OverrideKind.DAY_OFF, basis),
            CalendarOverride(saturday, OverrideKind.WORKING_DAY, basis),
        ]
    )
    plain, swapped = WorkingCalendar(), WorkingCalendar(overrides=announced)
    # Receipts a week before the Friday (7 working days cross it) and on the Friday before
    # the Saturday (one more working day lands on it).
    week_before = datetime.combine(friday - timedelta(days=7), datetime.min.time(), VN)
    week_before = week_before.replace(hour=10)
    friday_after = week_before + timedelta(days=14)
    before = _receive(client, systems, week_before)
    assert parse(before["due_at"]) == plain.add_working_days(week_before, 7)

    # A feed of this test's own: what deadlines (or any other process) runs.
    feed_calendar = LiveCalendar()
    feed = CalendarFeed(infra.bootstrap_servers, feed_calendar)
    feed.start()
    try:
        assert feed.wait_caught_up(30)
        recorded = []
        for day, kind in ((friday, "day_off"), (saturday, "working_day")):
            response = client.put(
                f"/v1/calendar/overrides/{day}",
                json={"kind": kind, "legal_basis": basis, "note": "Hoán đổi ngày làm việc"},
                headers=auth(systems.admin),
            )
            assert response.status_code == 201, response.text
            recorded.append(response.json())
        assert [r["status"] for r in recorded] == ["in_force", "in_force"]
        again = client.put(
            f"/v1/calendar/overrides/{friday}",
            json={"kind": "day_off", "legal_basis": basis, "note": "Hoán đổi ngày làm việc"},
            headers=auth(systems.admin),
        )
        assert again.status_code == 200  # the same announcement again: nothing new
        assert again.json()["revision"] == 1
        listed = client.get("/v1/calendar/overrides", headers=auth(systems.hanoi)).json()
        assert {(i["date"], i["kind"], i["legal_basis"]) for i in listed} >= {
            (str(friday), "day_off", basis),
            (str(saturday), "working_day", basis),
        }

        # Intake itself, same process, no restart: once its calendar has both days (they
        # are two records, which it may apply apart), the next receipts use the swap.
        def previewed(received_at: datetime) -> datetime:
            preview = client.get(
                "/v1/appointments/preview",
                params={
                    "procedure": receive_command(systems.hanoi_commune)["procedure_code"],
                    "unit": systems.hanoi_commune,
                    "received_at": received_at.isoformat(),
                },
                headers=auth(systems.hanoi),
            )
            assert preview.status_code == 200, preview.text
            return parse(preview.json()["due_at"])

        _wait_for(
            lambda: (
                previewed(week_before) != parse(before["due_at"])  # the Friday off
                and previewed(friday_after) != plain.add_working_days(friday_after, 7)
            ),  # Saturday
            "intake's calendar has both days of the swap",
        )
        after = _receive(client, systems, week_before)
        assert parse(after["due_at"]) == swapped.add_working_days(week_before, 7)
        assert parse(after["due_at"]) == parse(before["due_at"]) + timedelta(days=1)
        on_saturday = _receive(client, systems, friday_after)
        assert parse(on_saturday["due_at"]) == swapped.add_working_days(friday_after, 7)
        assert parse(on_saturday["due_at"]) != plain.add_working_days(friday_after, 7)
        assert previewed(week_before) == parse(after["due_at"])
        # Receipts already given keep their date.
        stored = client.get(f"/v1/dossiers/{before['dossier_code']}", headers=auth(systems.hanoi))
        assert parse(stored.json()["due_at"]) == parse(before["due_at"])

        # The shared feed, as any other process has it.
        _wait_for(
            lambda: feed_calendar.snapshot().overrides.extra_days_off >= {friday},
            "the feed sees the day off",
        )
        assert saturday in feed_calendar.overrides.extra_working_days
        assert feed_calendar.add_working_days(week_before, 7) == parse(after["due_at"])

        # Withdrawn: an explicit record on the topic, and the calendar is plain again.
        withdrawn = client.delete(f"/v1/calendar/overrides/{friday}", headers=auth(systems.admin))
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["status"] == "withdrawn"
        assert withdrawn.json()["revision"] == 2
        _wait_for(
            lambda: friday not in feed_calendar.overrides.extra_days_off,
            "the feed sees the withdrawal",
        )
    finally:
        feed.stop()

    _assert_on_topic(infra, friday, [("in_force", 1), ("withdrawn", 2)])
    with psycopg.connect(intake_url) as conn:
        audited = conn.execute(
            "SELECT details ->> 'status', (details ->> 'revision')::int FROM audit_log "
            "WHERE action = 'calendar.announced' AND record_id = %s ORDER BY seq",
            (str(friday),),
        ).fetchall()
    assert audited == [("in_force", 1), ("withdrawn", 2)]  # the same one again: not recorded


def _assert_on_topic(infra: Infra, day: date, expected: list[tuple[str, int]]) -> None:
    """The compacted topic holds the date's records under the date as key, in order, each
    a CloudEvent in the Kafka binding's structured mode. Only the latest are this test's:
    a run before it may have announced and withdrawn the same date."""
    messages = read_to_end(infra.bootstrap_servers, Topic.CALENDAR_OVERRIDES.value, keys=[str(day)])
    found = []
    for message in messages[-len(expected) :]:
        event = structured_event(message.headers(), message.key(), message.value() or b"")
        decode_event(message.value() or b"")
        found.append((event["data"]["status"], event["data"]["revision"]))
    assert found == expected


def test_the_kafka_door_counts_with_the_announcement_too(
    infra: Infra, intake_url: str, systems: Systems
) -> None:
    friday, _ = _swap(infra)
    announced = overrides_from([CalendarOverride(friday, OverrideKind.DAY_OFF, "QĐ 77/QĐ-TTg")])
    received = datetime.combine(friday - timedelta(days=7), datetime.min.time(), VN)
    received = received.replace(hour=10)
    expected = WorkingCalendar(overrides=announced).add_working_days(received, 7)
    assert expected != WorkingCalendar().add_working_days(received, 7)
    # Relay and Kafka door in this process, the door in a group of the test's own.
    settings = intake_settings(
        infra,
        intake_url,
        occurred_at_max_future_s=FAR_FUTURE,
        inbound_group_id=door_group(infra),
    )
    with TestClient(create_app(settings)) as client:
        url = f"/v1/calendar/overrides/{friday}"
        body = {"kind": "day_off", "legal_basis": "QĐ 77/QĐ-TTg"}
        assert client.put(url, json=body, headers=auth(systems.admin)).status_code == 201
        try:
            # Once this process's calendar has it (the preview shows it)…
            def previewed() -> bool:
                preview = client.get(
                    "/v1/appointments/preview",
                    params={
                        "procedure": receive_command(systems.hanoi_commune)["procedure_code"],
                        "unit": systems.hanoi_commune,
                        "received_at": received.isoformat(),
                    },
                    headers=auth(systems.hanoi),
                )
                return parse(preview.json()["due_at"]) == expected

            _wait_for(previewed, "the preview reflects the announcement")
            # …a receipt through the Kafka door counts with it as well.
            command = {
                "kind": "receive",
                **receive_command(systems.hanoi_commune, occurred_at=received.isoformat()),
            }
            system = _system_name(intake_url, systems.hanoi_province)
            producer = Producer({"bootstrap.servers": infra.bootstrap_servers})
            producer.produce(
                Topic.INTAKE_COMMANDS.value,
                key=f"upstream-{uuid.uuid4()}".encode(),
                value=json.dumps(command).encode(),
                headers=[("motcua-system", system.encode())],
            )
            assert producer.flush(10) == 0

            def stored_due() -> datetime | None:
                with psycopg.connect(intake_url) as conn:
                    row = conn.execute(
                        "SELECT d.due_at FROM dossiers d JOIN dossier_events e "
                        "ON e.dossier_id = d.id WHERE e.upstream_event_id = %s",
                        (command["event_id"],),
                    ).fetchone()
                return row[0] if row else None

            assert _wait_for(stored_due, "the Kafka door received the dossier") == expected
        finally:
            client.delete(url, headers=auth(systems.admin))


def _workers(server_pid: int, port: int) -> set[int]:
    """The HTTP worker processes: the server's children listening on its port."""
    return {
        child.pid
        for child in psutil.Process(server_pid).children()
        if any(
            held.status == psutil.CONN_LISTEN and held.laddr.port == port
            for held in child.net_connections(kind="tcp")
        )
    }


def _accepting_worker(workers: set[int], port: int, peer_port: int) -> int:
    """The worker holding the server's end of the connection from ``peer_port``."""
    [worker] = [
        pid
        for pid in workers
        for held in psutil.Process(pid).net_connections(kind="tcp")
        if held.laddr.port == port and held.raddr and held.raddr.port == peer_port
    ]
    return worker


def test_every_http_worker_process_takes_the_announcement_without_a_restart(
    infra: Infra, intake_url: str, systems: Systems, tmp_path: Path
) -> None:
    friday, _ = _swap(infra)
    received = datetime.combine(friday - timedelta(days=7), datetime.min.time(), VN)
    received = received.replace(hour=10)
    announced = overrides_from([CalendarOverride(friday, OverrideKind.DAY_OFF, "QĐ 88/QĐ-TTg")])
    expected = WorkingCalendar(overrides=announced).add_working_days(received, 7)
    workers_wanted = 2
    port, log = free_port(), tmp_path / "intake.log"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
        "DATABASE_URL": intake_url,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "HTTP_WORKERS": str(workers_wanted),
        "INBOUND_ENABLED": "false",
        "LOG_LEVEL": "INFO",
        "OCCURRED_AT_MAX_FUTURE_S": str(FAR_FUTURE),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.intake"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    preview_path = "/v1/appointments/preview?" + urllib.parse.urlencode(
        {
            "procedure": receive_command(systems.hanoi_commune)["procedure_code"],
            "unit": systems.hanoi_commune,
            "received_at": received.isoformat(),
        }
    )

    def due_and_worker(workers: set[int]) -> tuple[datetime, int]:
        """The preview's due date on a new connection, and the worker that accepted it
        (the one holding the server's end of the connection, still open after the
        answer: HTTP/1.1 keeps it alive)."""
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            connection.request("GET", preview_path, headers=auth(systems.hanoi))
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200, body
            assert connection.sock is not None
            worker = _accepting_worker(workers, port, connection.sock.getsockname()[1])
        finally:
            connection.close()
        return parse(json.loads(body)["due_at"]), worker

    def lines(message: str) -> int:
        return log.read_text().count(f'"{message}"')

    try:
        _wait_for(lambda: lines("calendar overrides loaded") == workers_wanted, "workers up", 90)
        workers = _workers(process.pid, port)
        assert len(workers) == workers_wanted, workers
        url = f"{base}/v1/calendar/overrides/{friday}"
        body = {"kind": "day_off", "legal_basis": "QĐ 88/QĐ-TTg"}
        created = httpx.put(url, json=body, headers=auth(systems.admin), timeout=20)
        assert created.status_code == 201, created.text
        try:
            # New connections until each worker has given the new date: both accept from
            # the one listening socket, and which one does is the kernel's choice.
            latest: dict[int, datetime] = {}
            deadline = time.monotonic() + 60
            while set(latest) != workers or set(latest.values()) != {expected}:
                assert time.monotonic() < deadline, f"workers' latest due dates: {latest}"
                due, worker = due_and_worker(workers)
                if latest.get(worker) == expected:
                    assert due == expected, f"worker {worker} went back to the old date"
                latest[worker] = due
                time.sleep(0.05)
        finally:
            httpx.delete(url, headers=auth(systems.admin), timeout=20)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
