"""The history importer against the session's database: what it writes, what it refuses,
twice, after a crash, and what intake does with an imported dossier afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from motcua.contracts import History, history_of
from motcua.crash_points import ENVIRONMENT_VARIABLE
from motcua.dossier import LOCAL_ZONE
from services.intake import manage
from services.intake.history.run import EXIT_REFUSED_LINES, EXIT_UNREADABLE
from tests.conftest import ROOT
from tests.integration.conftest import Systems, auth, receive_command
from tests.services.intake.history.lines import LineUnit, history_lines

pytestmark = pytest.mark.integration

CLOSING = {
    "vn.motcua.dossier.completed.v1",
    "vn.motcua.dossier.returned.v1",
    "vn.motcua.dossier.rejected.v1",
    "vn.motcua.dossier.withdrawn.v1",
}


def _units(conn: psycopg.Connection, where: str, offset: int, count: int) -> list[LineUnit]:
    rows = conn.execute(
        f"SELECT code, retired_on FROM units WHERE level = 'commune' AND {where} "
        "ORDER BY code OFFSET %s LIMIT %s",
        (offset, count),
    ).fetchall()
    return [LineUnit(code, retired) for code, retired in rows]


def units_for(intake_url: str, offset: int) -> list[LineUnit]:
    """Hà Nội's communes of a test's own (by ``offset``), today's and retired ones."""
    with psycopg.connect(intake_url) as conn:
        current = _units(conn, "retired_on IS NULL AND code LIKE '%%.H01'", offset, 3)
        retired = _units(conn, "retired_on IS NOT NULL AND code LIKE '%%.99.H01'", offset, 2)
    return current + retired


def procedures(intake_url: str) -> list[str]:
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT code FROM procedures WHERE active ORDER BY code LIMIT 5"
        ).fetchall()
    return [row[0] for row in rows]


def write_lines(path: Path, lines: Iterable[dict[str, Any] | str]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False))
            out.write("\n")
    return path


def run_import(monkeypatch: pytest.MonkeyPatch, intake_url: str, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", intake_url)
    return manage.main(["import-dossiers", *args, "--quiet"])


def snapshot(intake_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row an import writes (the outbox without its publication state)."""
    queries = {
        "dossiers": "SELECT * FROM dossiers ORDER BY id",
        "events": "SELECT * FROM dossier_events ORDER BY id",
        "outbox": "SELECT event_id, topic, message_key, payload FROM outbox ORDER BY event_id",
        "applicants": "SELECT * FROM applicants ORDER BY ref",
        "counters": "SELECT * FROM dossier_code_counters ORDER BY unit_code, day",
        "imported": "SELECT * FROM history_dossiers ORDER BY dossier_code",
    }
    with psycopg.connect(intake_url) as conn:
        return {name: conn.execute(query).fetchall() for name, query in queries.items()}


def outbox_payloads(intake_url: str, codes: list[str]) -> list[dict[str, Any]]:
    """The dossiers' events in the outbox, in the order the relay publishes them."""
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT payload FROM outbox WHERE payload -> 'data' ->> 'dossier_code' = ANY(%s) "
            "ORDER BY id",
            (codes,),
        ).fetchall()
    return [row[0] for row in rows]


def outbox_events(intake_url: str, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each dossier's events in the outbox, in the order the relay publishes them."""
    events: dict[str, list[dict[str, Any]]] = {}
    for payload in outbox_payloads(intake_url, codes):
        events.setdefault(payload["data"]["dossier_code"], []).append(payload)
    return events


def test_an_import_publishes_each_dossiers_events_in_order_marked_as_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, intake_url: str
) -> None:
    lines = list(history_lines(units_for(intake_url, 0), procedures(intake_url), 120, seed=1))
    source = write_lines(tmp_path / "history.jsonl", lines)

    assert run_import(monkeypatch, intake_url, str(source)) == 0

    codes = [line["dossier_code"] for line in lines]
    events = outbox_events(intake_url, codes)
    assert set(events) == set(codes)
    text = json.dumps(events, ensure_ascii=False)
    for line in lines:
        mine = events[line["dossier_code"]]
        assert [e["data"]["sequence"] for e in mine] == list(range(1, len(mine) + 1))
        assert mine[0]["type"] == "vn.motcua.dossier.received.v1"
        assert mine[0]["time"] == line["received_at"]
        times = [datetime.fromisoformat(e["time"]) for e in mine]
        assert times == sorted(times)
        expected = History.CLOSED if line["outcome"] else History.OPEN
        assert {history_of(e) for e in mine} == {expected}
        assert (mine[-1]["type"] in CLOSING) == (line["outcome"] is not None)
        assert mine[-1]["data"]["clock"]["closed"] == (line["outcome"] is not None)
        assert line["applicant"]["name"] not in text
        assert line["applicant"]["id_number"] not in text
    with psycopg.connect(intake_url) as conn:
        stored = conn.execute(
            "SELECT count(*), count(DISTINCT applicant_ref) FROM dossiers WHERE code = ANY(%s)",
            (codes,),
        ).fetchone()
        names = conn.execute(
            "SELECT count(*) FROM applicants a JOIN dossiers d ON d.applicant_ref = a.ref "
            "WHERE d.code = ANY(%s) AND a.full_name LIKE 'Nguyễn Văn %%'",
            (codes,),
        ).fetchone()
    assert stored == (120, 120)
    assert names == (120,)


def expected_events(line: dict[str, Any]) -> int:
    """How many events intake records for a line's history."""
    facts = (
        1 + {"returned": 2, "completed": 1, "rejected": 1, "withdrawn": 1, None: 0}[line["outcome"]]
    )
    for supplement in line.get("supplements", []):
        facts += 1 if supplement["received_at"] is None else 2
    for pause in line.get("pauses", []):
        facts += 1 if pause["to"] is None else 2
    return facts


def test_running_the_same_file_twice_adds_nothing_the_second_time(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    intake_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = list(history_lines(units_for(intake_url, 3), procedures(intake_url), 150, seed=2))
    source = write_lines(tmp_path / "twice.jsonl", lines)
    assert run_import(monkeypatch, intake_url, str(source)) == 0
    assert capsys.readouterr().out.startswith("150 imported, 0 already there, 0 refused")
    before = snapshot(intake_url)

    assert run_import(monkeypatch, intake_url, str(source)) == 0

    assert capsys.readouterr().out.startswith("0 imported, 150 already there, 0 refused")
    assert snapshot(intake_url) == before
    with psycopg.connect(intake_url) as conn:
        runs = conn.execute(
            "SELECT details FROM audit_log WHERE action = 'history.imported' "
            "AND details ->> 'file' = 'twice.jsonl' ORDER BY seq"
        ).fetchall()
    assert [(r[0]["imported"], r[0]["already"], r[0]["lines"]) for r in runs][-2:] == [
        (150, 0, 150),
        (0, 150, 150),
    ]


def _bad_lines(
    good: list[dict[str, Any]], retired: LineUnit
) -> list[tuple[str | dict[str, Any], str]]:
    """Refused lines, each with the field its refusal names."""
    first = good[0]
    missing = {k: v for k, v in first.items() if k != "procedure_code"}
    waiting = {
        "supplements": [
            {"requested_at": "2025-03-03T09:00:00+07:00", "received_at": None, "reason": "Thiếu"}
        ],
        "outcome": "completed",
        "completed_at": "2025-03-10T09:00:00+07:00",
    }
    late_at_retired = first | {
        "unit_code": retired.code,
        "dossier_code": f"{retired.code}-250801-0001",
        "received_at": "2025-08-01T09:00:00+07:00",
    }
    early = first | {"dossier_code": first["dossier_code"][:-4] + "9001"}
    return [
        ("{not json", ""),
        (missing, "procedure_code"),
        (
            first | {"unit_code": "999.99.99.H99", "dossier_code": "999.99.99.H99-250303-0001"},
            "unit_code",
        ),
        (early | {"procedure_code": "9.999999"}, "procedure_code"),
        (first | {"applicant": first["applicant"] | {"name": "Người khác"}}, "dossier_code"),
        (
            early
            | {
                "supplements": [
                    {
                        "requested_at": first["received_at"],
                        "received_at": "2020-01-01T09:00:00+07:00",
                        "reason": "Thiếu",
                    }
                ]
            },
            "supplements.0.received_at",
        ),
        (
            early | {"outcome": "completed", "completed_at": None, "returned_at": None},
            "completed_at",
        ),
        (late_at_retired, "unit_code"),
        (
            early
            | {
                "received_at": "2025-03-03T08:00:00+07:00",
                "dossier_code": early["dossier_code"][:14] + "250303-9002",
                "returned_at": None,
                "outcome_at": None,
                "outcome_reason": None,
            }
            | waiting,
            "completed_at",
        ),
    ]


def test_refused_lines_go_to_the_error_file_and_change_nothing_while_the_rest_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, intake_url: str
) -> None:
    units = units_for(intake_url, 6)
    good = list(history_lines(units, procedures(intake_url), 40, seed=3))
    bad = _bad_lines(good, units[-1])
    source = write_lines(tmp_path / "bad.jsonl", [*good, *(line for line, _ in bad)])
    before = snapshot(intake_url)

    assert run_import(monkeypatch, intake_url, str(source), "--batch", "7") == EXIT_REFUSED_LINES

    errors = [json.loads(row) for row in (tmp_path / "bad.jsonl.errors.jsonl").open()]
    assert [(e["line"], e["field"]) for e in errors] == [
        (len(good) + i, field) for i, (_, field) in enumerate(bad, start=1)
    ]
    assert all(e["reason"] for e in errors)
    assert errors[0]["text"] == "{not json"
    after = snapshot(intake_url)
    added = {name: len(after[name]) - len(before[name]) for name in after}
    events = sum(expected_events(line) for line in good)
    assert added == {
        "dossiers": len(good),
        "events": events,
        "outbox": events,
        "applicants": len(good),
        "counters": added["counters"],
        "imported": len(good),
    }
    assert {row[1] for row in after["dossiers"]} - {row[1] for row in before["dossiers"]} == {
        line["dossier_code"] for line in good
    }


def test_an_unreadable_file_exits_2_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    intake_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = snapshot(intake_url)
    latin = tmp_path / "latin1.jsonl"
    latin.write_bytes(b'{"dossier_code": "H\xe0 N\xf4i"}\n' * 3)

    assert run_import(monkeypatch, intake_url, str(tmp_path / "missing.jsonl")) == EXIT_UNREADABLE
    assert "cannot read" in capsys.readouterr().err
    assert run_import(monkeypatch, intake_url, str(latin)) == EXIT_UNREADABLE
    assert "not UTF-8" in capsys.readouterr().err

    assert snapshot(intake_url) == before
    assert not list(tmp_path.glob("*.errors.jsonl"))


def _crashing_import(intake_url: str, source: Path, crash_at: str) -> int:
    env = {**os.environ, "DATABASE_URL": intake_url, "PYTHONPATH": str(ROOT)}
    env[ENVIRONMENT_VARIABLE] = crash_at
    command = [sys.executable, "-m", "services.intake.manage", "import-dossiers", str(source)]
    finished = subprocess.run(
        [*command, "--batch", "50", "--quiet"], cwd=ROOT, env=env, capture_output=True, check=False
    )
    return finished.returncode


def _imported(intake_url: str, codes: list[str]) -> tuple[int, int]:
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM dossiers WHERE code = ANY(%s)), "
            "(SELECT count(*) FROM outbox WHERE payload -> 'data' ->> 'dossier_code' = ANY(%s))",
            (codes, codes),
        ).fetchone()
    assert row
    return row[0], row[1]


def test_a_crash_part_way_then_a_rerun_finishes_the_file_with_no_duplicate_and_nothing_missing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    intake_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = list(history_lines(units_for(intake_url, 9), procedures(intake_url), 200, seed=4))
    source = write_lines(tmp_path / "crash.jsonl", lines)
    codes = [line["dossier_code"] for line in lines]
    first_batch = sum(expected_events(line) for line in lines[:50])

    assert _crashing_import(intake_url, source, "history-batch-committed") == -9
    assert _imported(intake_url, codes) == (50, first_batch)
    assert _crashing_import(intake_url, source, "history-batch-written") == -9
    assert _imported(intake_url, codes) == (50, first_batch)

    assert run_import(monkeypatch, intake_url, str(source), "--batch", "50") == 0

    assert "200 imported, 0 already there" in capsys.readouterr().out
    assert _imported(intake_url, codes) == (200, sum(expected_events(line) for line in lines))
    events = outbox_events(intake_url, codes)
    for line in lines:
        mine = events[line["dossier_code"]]
        assert [e["data"]["sequence"] for e in mine] == list(range(1, expected_events(line) + 1))


def _comparable(event: dict[str, Any]) -> dict[str, Any]:
    """An event without what differs between two dossiers of the same history."""
    data = {
        k: v
        for k, v in event["data"].items()
        if k not in ("dossier_id", "dossier_code", "applicant_ref")
    }
    return {"type": event["type"], "time": event["time"], "data": data}


def _step(client: TestClient, key: str, code: str, at: datetime, **fields: object) -> None:
    body = {"event_id": f"up-{code}-{at.isoformat()}", "occurred_at": at.isoformat(), **fields}
    response = client.post(f"/v1/dossiers/{code}/events", json=body, headers=auth(key))
    assert response.status_code == 200, response.text


def test_an_imported_history_publishes_the_events_intake_published_for_the_same_history(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    intake_url: str,
    client: TestClient,
    systems: Systems,
) -> None:
    unit = units_for(intake_url, 12)[0].code
    procedure = procedures(intake_url)[0]
    day = datetime.now(LOCAL_ZONE).date() - timedelta(days=30)
    at = [
        datetime.combine(day + timedelta(days=i), datetime.min.time(), LOCAL_ZONE)
        + timedelta(hours=9)
        for i in range(7)
    ]
    command = receive_command(
        unit, occurred_at=at[0].isoformat(), procedure_code=procedure, documents=[]
    )
    received = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert received.status_code == 201, received.text
    today = received.json()["dossier_code"]
    _step(
        client, systems.hanoi, today, at[1], transition="request_supplement", reason="Thiếu tờ khai"
    )
    _step(client, systems.hanoi, today, at[2], transition="receive_supplement")
    _step(
        client,
        systems.hanoi,
        today,
        at[3],
        transition="pause",
        reason_code="other_agency",
        reason="Xác minh",
    )
    _step(client, systems.hanoi, today, at[4], transition="resume")
    _step(client, systems.hanoi, today, at[5], transition="complete", outcome="granted")
    _step(client, systems.hanoi, today, at[6], transition="return_result", channel="counter")
    applicant = command["applicant"]
    imported = f"{unit}-{day:%y%m%d}-0900"
    line = {
        "dossier_code": imported,
        "procedure_code": procedure,
        "unit_code": unit,
        "received_channel": "in_person",
        "received_at": at[0].isoformat(),
        "due_rule": "law",
        "contact_preference": "sms",
        "supplements": [
            {
                "requested_at": at[1].isoformat(),
                "received_at": at[2].isoformat(),
                "reason": "Thiếu tờ khai",
            }
        ],
        "pauses": [
            {
                "from": at[3].isoformat(),
                "to": at[4].isoformat(),
                "reason_code": "other_agency",
                "reason": "Xác minh",
            }
        ],
        "outcome": "returned",
        "completed_at": at[5].isoformat(),
        "returned_at": at[6].isoformat(),
        "applicant": {
            "name": applicant["full_name"],
            "id_number": applicant["id_number"],
            "phone": applicant["phone"],
        },
    }
    assert (
        run_import(monkeypatch, intake_url, str(write_lines(tmp_path / "same.jsonl", [line]))) == 0
    )

    events = outbox_events(intake_url, [today, imported])
    assert [_comparable(e) for e in events[imported]] == [_comparable(e) for e in events[today]]
    assert {history_of(e) for e in events[imported]} == {History.CLOSED}
    assert {history_of(e) for e in events[today]} == {None}

    again = client.post(
        "/v1/dossiers", json=command | {"event_id": f"up-{imported}"}, headers=auth(systems.hanoi)
    )
    assert again.status_code == 201, again.text
    assert again.json()["dossier_code"] == f"{unit}-{day:%y%m%d}-0901"


def test_an_open_imported_dossier_takes_todays_transitions_afterwards(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    intake_url: str,
    client: TestClient,
    systems: Systems,
) -> None:
    unit = units_for(intake_url, 15)[0].code
    received = datetime.now(LOCAL_ZONE) - timedelta(days=3)
    code = f"{unit}-{received:%y%m%d}-0700"
    line = {
        "dossier_code": code,
        "procedure_code": procedures(intake_url)[0],
        "unit_code": unit,
        "received_channel": "online",
        "received_at": received.isoformat(),
        "due_rule": "recorded",
        "due_at": (received + timedelta(days=20)).isoformat(),
        "outcome": None,
        "applicant": {"name": "Trần Thị Bình"},
    }
    assert (
        run_import(monkeypatch, intake_url, str(write_lines(tmp_path / "open.jsonl", [line]))) == 0
    )

    now = datetime.now(LOCAL_ZONE)
    _step(
        client,
        systems.hanoi,
        code,
        now - timedelta(minutes=2),
        transition="complete",
        outcome="granted",
    )
    _step(
        client,
        systems.hanoi,
        code,
        now - timedelta(minutes=1),
        transition="return_result",
        channel="online",
    )

    events = outbox_events(intake_url, [code])[code]
    assert [e["data"]["sequence"] for e in events] == [1, 2, 3]
    assert [history_of(e) for e in events] == [History.OPEN, None, None]
    assert events[0]["data"]["clock"]["due_at"] == line["due_at"]
    assert events[1]["data"]["late"] is False
