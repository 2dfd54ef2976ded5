"""Bad input never reaches a 500: each is a specific 4xx problem that changes nothing.

Found by fuzzing intake's OpenAPI (tests/integration/test_openapi_fuzz.py keeps doing so);
these pin each finding down on the REST and batch doors (the Kafka door: test_inbound.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from services.intake.app import create_app
from services.intake.auth import Scope, register_system
from tests.conftest import Infra
from tests.integration.conftest import Systems, auth, receive_command, table_counts
from tests.integration.intake.conftest import intake_settings

PROBLEM = "application/problem+json"
NUL = "\x00"


def _fields(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem["errors"]]


def _receive(client: TestClient, key: str, command: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/dossiers", json=command, headers=auth(key))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _transition(code: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "occurred_at": "2025-04-22T09:00:00+07:00",
        **fields,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_id": f"up-{uuid.uuid4()}{NUL}"}, "event_id"),
        ({"applicant": {"full_name": f"Nguyễn{NUL}Văn"}}, "applicant.full_name"),
        ({"applicant": {"full_name": "A", "address": f"12{NUL}"}}, "applicant.address"),
        ({"documents": ["CT01", f"CT{NUL}02"]}, "documents"),
        ({"unit_code": f"000.00.00.H01{NUL}"}, "unit_code"),
    ],
)
def test_a_nul_character_in_a_receipt_is_422_naming_the_field_on_rest_and_batch(
    client: TestClient,
    systems: Systems,
    intake_url: str,
    overrides: dict[str, Any],
    field: str,
) -> None:
    before = table_counts(intake_url)
    command = receive_command(systems.hanoi_commune, **overrides)
    single = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert single.status_code == 422, single.text
    assert single.headers["content-type"] == PROBLEM
    assert field in _fields(single.json())
    batch = client.post(
        "/v1/events:batch",
        json={"items": [{"kind": "receive", **command}]},
        headers=auth(systems.hanoi),
    )
    assert batch.status_code == 200, batch.text
    [result] = batch.json()["results"]
    assert result["status"] == 422
    assert field in _fields(result["body"])
    assert table_counts(intake_url) == before


def test_a_nul_character_in_a_transition_or_its_dossier_code_is_422(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    code = _receive(client, systems.hanoi, receive_command(systems.hanoi_commune))["dossier_code"]
    before = table_counts(intake_url)
    reject = _transition(code, transition="reject", reason=f"thiếu{NUL}giấy tờ")
    single = client.post(f"/v1/dossiers/{code}/events", json=reject, headers=auth(systems.hanoi))
    assert single.status_code == 422, single.text
    assert _fields(single.json()) == ["reject.reason"]  # the union names its branch
    items = [
        {"kind": "transition", "dossier_code": code, **reject},
        {
            "kind": "transition",
            "dossier_code": f"{code}{NUL}",
            **_transition(code, transition="resume"),
        },
        {
            "kind": "transition",
            "dossier_code": code,
            **{**reject, "event_id": f"x{NUL}", "reason": "r"},
        },
    ]
    batch = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["status"] for r in results] == [422, 422, 422]
    assert [_fields(r["body"]) for r in results] == [
        ["reject.reason"],
        ["dossier_code"],
        ["reject.event_id"],
    ]
    path = client.get(f"/v1/dossiers/{code}%00", headers=auth(systems.hanoi))
    assert path.status_code == 422, path.text
    assert _fields(path.json()) == ["code"]
    assert table_counts(intake_url) == before


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0143-06-01T09:00:00+07:00",  # the fuzzer's: the calendar raised outside 1901–2100
        "1990-01-01T09:00:00+07:00",
        (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "2999-01-01T09:00:00+07:00",
    ],
    ids=["year-143", "year-1990", "an-hour-ahead", "year-2999"],  # the same on every worker
)
def test_an_implausible_occurred_at_is_422_on_every_rest_door(
    client: TestClient, systems: Systems, intake_url: str, occurred_at: str
) -> None:
    code = _receive(client, systems.hanoi, receive_command(systems.hanoi_commune))["dossier_code"]
    before = table_counts(intake_url)
    command = receive_command(systems.hanoi_commune, occurred_at=occurred_at)
    single = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert single.status_code == 422, single.text
    assert _fields(single.json()) == ["occurred_at"]
    assert single.json()["reason"] == "implausible_time"
    step = _transition(code, transition="reject", reason="r", occurred_at=occurred_at)
    moved = client.post(f"/v1/dossiers/{code}/events", json=step, headers=auth(systems.hanoi))
    assert moved.status_code == 422, moved.text
    assert _fields(moved.json()) == ["occurred_at"]
    items = [
        {"kind": "receive", **command},
        {"kind": "transition", "dossier_code": code, **step},
    ]
    batch = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert [r["status"] for r in batch.json()["results"]] == [422, 422]
    assert table_counts(intake_url) == before


def test_a_preview_may_look_ahead_but_not_to_an_implausible_year(
    client: TestClient, systems: Systems
) -> None:
    def preview(received_at: str) -> Any:
        return client.get(
            "/v1/appointments/preview",
            params={
                "procedure": receive_command(systems.hanoi_commune)["procedure_code"],
                "unit": systems.hanoi_commune,
                "received_at": received_at,
            },
            headers=auth(systems.hanoi),
        )

    next_week = preview((datetime.now(UTC) + timedelta(days=7)).isoformat())
    assert next_week.status_code == 200, next_week.text  # "if I bring it next week?"
    for implausible in ("0143-06-01T09:00:00+07:00", "2999-01-01T09:00:00+07:00"):
        refused = preview(implausible)
        assert refused.status_code == 422, refused.text
        assert _fields(refused.json()) == ["received_at"]


def test_the_occurred_at_window_is_configurable(
    infra: Infra, intake_url: str, systems: Systems
) -> None:
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    in_a_minute = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    narrow = intake_settings(
        infra,
        intake_url,
        inbound_enabled=False,
        occurred_at_max_past_days=1,
        occurred_at_max_future_s=0,
    )
    with TestClient(create_app(narrow)) as client:
        for at in (two_days_ago, in_a_minute):
            command = receive_command(systems.hanoi_commune, occurred_at=at)
            refused = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
            assert refused.status_code == 422, refused.text
    default = intake_settings(infra, intake_url, inbound_enabled=False)
    with TestClient(create_app(default)) as client:
        for at in (two_days_ago, in_a_minute):
            command = receive_command(systems.hanoi_commune, occurred_at=at)
            accepted = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
            assert accepted.status_code == 201, accepted.text


def test_an_event_id_reused_for_a_different_receipt_is_refused_naming_the_original(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    first = receive_command(systems.hanoi_commune)
    created = _receive(client, systems.hanoi, first)
    before = table_counts(intake_url)
    other = receive_command(
        systems.hanoi_commune, event_id=first["event_id"], applicant={"full_name": "Người Khác"}
    )
    for response in (
        client.post("/v1/dossiers", json=other, headers=auth(systems.hanoi)),
        client.post(
            "/v1/events:batch",
            json={"items": [{"kind": "receive", **other}]},
            headers=auth(systems.hanoi),
        ).json()["results"][0],
    ):
        problem = response.json() if hasattr(response, "json") else response["body"]
        status = response.status_code if hasattr(response, "status_code") else response["status"]
        assert status == 422, problem
        assert problem["title"] == "Event id reused"
        assert _fields(problem) == ["event_id"]
        assert problem["original"] == {
            "transition": "receive",
            "dossier_code": created["dossier_code"],
            "event_id": created["event_id"],
        }
    # The same receipt again — the same instant written with another offset, the default
    # contact preference spelled out — is the same request: a replay.
    same = {
        **first,
        "occurred_at": "2025-04-21T02:30:00+00:00",
    }
    assert same["contact_preference"] == "sms"
    again = client.post("/v1/dossiers", json=same, headers=auth(systems.hanoi))
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["dossier_code"] == created["dossier_code"]
    assert table_counts(intake_url) == before


def test_an_event_id_reused_for_a_different_transition_or_dossier_is_refused(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    key = systems.hanoi
    code = _receive(client, key, receive_command(systems.hanoi_commune))["dossier_code"]
    other = _receive(client, key, receive_command(systems.hanoi_commune))["dossier_code"]
    assign = _transition(code, transition="assign", to_unit_code=systems.hanoi_commune)
    done = client.post(f"/v1/dossiers/{code}/events", json=assign, headers=auth(key))
    assert done.status_code == 200, done.text
    before = table_counts(intake_url)
    transfer = {**assign, "transition": "transfer"}
    attempts = [
        client.post(f"/v1/dossiers/{code}/events", json=transfer, headers=auth(key)),
        client.post(f"/v1/dossiers/{other}/events", json=assign, headers=auth(key)),
    ]
    for refused in attempts:
        assert refused.status_code == 422, refused.text
        assert refused.json()["original"]["transition"] == "assign"
        assert refused.json()["original"]["dossier_code"] == code
    items = [
        {"kind": "transition", "dossier_code": code, **transfer},
        {"kind": "receive", **receive_command(systems.hanoi_commune, event_id=assign["event_id"])},
        {"kind": "transition", "dossier_code": code, **assign},
    ]
    batch = client.post("/v1/events:batch", json={"items": items}, headers=auth(key)).json()
    assert [r["status"] for r in batch["results"]] == [422, 422, 200]
    assert batch["results"][2]["replayed"] is True
    assert batch["results"][2]["body"] == done.json()
    assert table_counts(intake_url) == before


def test_two_items_of_one_batch_with_one_event_id_apply_once_and_refuse_the_other(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    first = receive_command(systems.hanoi_commune)
    other = receive_command(systems.hanoi_commune, event_id=first["event_id"], channel="postal")
    before = table_counts(intake_url)
    items = [{"kind": "receive", **first}, {"kind": "receive", **other}]
    batch = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["status"] for r in results] == [201, 422]
    assert results[1]["body"]["original"]["dossier_code"] == results[0]["body"]["dossier_code"]
    after = table_counts(intake_url)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_a_missing_scope_is_403_before_the_body_is_validated(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    with psycopg.connect(intake_url) as conn:
        reader = register_system(
            f"reader-{uuid.uuid4().hex[:6]}",
            systems.hanoi_province,
            [Scope.READ],
            db_session=conn,
        )[1]
    bad_procedure = {"code": "not a code", "name": ""}
    put = client.put("/v1/procedures/1.000001", json=bad_procedure, headers=auth(systems.hanoi))
    assert put.status_code == 403, put.text
    assert put.headers["content-type"] == PROBLEM
    for path in (
        "/v1/dossiers",
        "/v1/events:batch",
        "/v1/dossiers/000.00.00.H01-250101-0001/events",
    ):
        refused = client.post(path, json={"nonsense": True}, headers=auth(reader))
        assert refused.status_code == 403, (path, refused.text)
    assert (
        client.put(
            "/v1/procedures/1.000001", json=bad_procedure, headers=auth(systems.admin)
        ).status_code
        == 422
    )


def test_a_transition_on_another_subtrees_dossier_is_404_like_a_read(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    code = _receive(client, systems.hanoi, receive_command(systems.hanoi_commune))["dossier_code"]
    before = table_counts(intake_url)
    step = _transition(code, transition="reject", reason="r")
    theirs = client.post(f"/v1/dossiers/{code}/events", json=step, headers=auth(systems.haiphong))
    missing = client.post(
        f"/v1/dossiers/{systems.hanoi_commune}-250101-9999/events",
        json={**step, "event_id": str(uuid.uuid4())},
        headers=auth(systems.haiphong),
    )
    read = client.get(f"/v1/dossiers/{code}", headers=auth(systems.haiphong))
    assert theirs.status_code == missing.status_code == read.status_code == 404
    assert theirs.json()["title"] == missing.json()["title"] == "No such dossier"
    assert table_counts(intake_url) == before
