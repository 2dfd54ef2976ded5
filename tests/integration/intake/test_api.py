"""Intake's HTTP API on the real PostgreSQL, publishing to the real Kafka."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from motcua.calendar import default_calendar
from services.intake.app import create_app
from tests.conftest import Infra
from tests.integration.conftest import (
    Systems,
    auth,
    parse,
    procedure_code,
    read_events,
    receive_command,
    table_counts,
)
from tests.integration.intake.conftest import intake_settings

PROBLEM = "application/problem+json"


def test_receive_returns_code_and_legal_due_date_and_publishes_the_event(
    client: TestClient, systems: Systems, infra: Infra
) -> None:
    command = receive_command(systems.hanoi_commune)
    response = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["dossier_code"].startswith(f"{systems.hanoi_commune}-250421-")
    received = parse(command["occurred_at"])
    assert parse(body["due_at"]) == default_calendar().add_working_days(received, 7)

    [event] = read_events(infra, {body["dossier_id"]}, expect=1)
    assert event["type"] == "vn.motcua.dossier.received.v1"
    assert event["id"] == body["event_id"]
    assert event["time"] == "2025-04-21T09:30:00+07:00"
    assert event["data"]["dossier_code"] == body["dossier_code"]
    assert event["data"]["applicant_ref"].startswith("apl_")


def test_replay_returns_the_original_outcome_and_writes_nothing(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    command = receive_command(systems.hanoi_commune)
    first = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert first.status_code == 201
    before = table_counts(intake_url)
    again = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert table_counts(intake_url) == before


def test_no_credentials_is_401_problem(client: TestClient, systems: Systems) -> None:
    response = client.post("/v1/dossiers", json=receive_command(systems.hanoi_commune))
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.post(
        "/v1/dossiers", json=receive_command(systems.hanoi_commune), headers=auth("mck_nope")
    )
    assert wrong.status_code == 401


def test_unit_outside_the_callers_subtree_is_403_and_writes_nothing(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    before = table_counts(intake_url)
    response = client.post(
        "/v1/dossiers", json=receive_command(systems.haiphong_commune), headers=auth(systems.hanoi)
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert table_counts(intake_url) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"procedure_code": "9.999999"}, "procedure_code"),
        ({"unit_code": "999.99.99.Z99"}, "unit_code"),
        ({"occurred_at": "2025-04-21T09:30:00"}, "occurred_at"),
        ({"channel": "fax"}, "channel"),
        ({"applicant": {"full_name": ""}}, "applicant.full_name"),
        ({"citizen_secret": "x"}, "citizen_secret"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, systems: Systems, intake_url: str, overrides: dict[str, object], field: str
) -> None:
    before = table_counts(intake_url)
    response = client.post(
        "/v1/dossiers",
        json=receive_command(systems.hanoi_commune, **overrides),
        headers=auth(systems.hanoi),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert field in [error["field"] for error in response.json()["errors"]]
    assert table_counts(intake_url) == before


def test_illegal_transition_is_409_naming_state_and_allowed(
    client: TestClient, systems: Systems
) -> None:
    created = client.post(
        "/v1/dossiers", json=receive_command(systems.hanoi_commune), headers=auth(systems.hanoi)
    ).json()
    response = client.post(
        f"/v1/dossiers/{created['dossier_code']}/events",
        json={
            "event_id": str(uuid.uuid4()),
            "occurred_at": "2025-04-22T09:00:00+07:00",
            "transition": "resume",
        },
        headers=auth(systems.hanoi),
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["current_state"] == "received"
    assert "assign" in problem["allowed_transitions"]
    assert "resume" not in problem["allowed_transitions"]


def _step(client: TestClient, key: str, code: str, at: str, **fields: object) -> dict[str, object]:
    response = client.post(
        f"/v1/dossiers/{code}/events",
        json={"event_id": str(uuid.uuid4()), "occurred_at": at, **fields},
        headers=auth(key),
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_full_lifecycle_follows_the_legal_clock_and_keeps_a_timeline(
    client: TestClient, systems: Systems, infra: Infra
) -> None:
    calendar = default_calendar()
    key = systems.hanoi
    command = receive_command(systems.hanoi_commune, procedure_code=procedure_code("residence", 3))
    created = client.post("/v1/dossiers", json=command, headers=auth(key)).json()
    code = created["dossier_code"]
    _step(
        client,
        key,
        code,
        "2025-04-21T10:00:00+07:00",
        transition="assign",
        to_unit_code=systems.hanoi_commune,
    )
    _step(
        client,
        key,
        code,
        "2025-04-21T11:00:00+07:00",
        transition="request_supplement",
        reason="Thiếu bản sao giấy tờ chứng minh chỗ ở hợp pháp",
    )
    restarted = _step(
        client, key, code, "2025-05-05T09:00:00+07:00", transition="receive_supplement"
    )
    # Counted again from zero (Nghị định 61 Điều 19 khoản 4), not from what was left.
    expected = calendar.add_working_days(parse("2025-05-05T09:00:00+07:00"), 3)
    assert parse(str(restarted["due_at"])) == expected
    _step(
        client,
        key,
        code,
        "2025-05-06T09:00:00+07:00",
        transition="pause",
        reason_code="other_agency",
    )
    resumed = _step(client, key, code, "2025-05-07T09:00:00+07:00", transition="resume")
    # The remaining time continues: one working day of pause pushes the due date one day.
    assert parse(str(resumed["due_at"])) == calendar.add_working_days(expected, 1)
    _step(client, key, code, "2025-05-08T15:00:00+07:00", transition="complete", outcome="granted")
    done = _step(
        client,
        key,
        code,
        "2025-05-09T08:30:00+07:00",
        transition="return_result",
        channel="counter",
    )
    assert done["state"] == "returned"
    assert done["allowed_transitions"] == []

    view = client.get(f"/v1/dossiers/{code}", headers=auth(key)).json()
    assert [entry["transition"] for entry in view["timeline"]] == [
        "receive",
        "assign",
        "request_supplement",
        "receive_supplement",
        "pause",
        "resume",
        "complete",
        "return_result",
    ]
    assert view["supplement_count"] == 1
    assert view["overdue"] is False
    events = read_events(infra, {created["dossier_id"]}, expect=8)
    assert [e["data"]["sequence"] for e in events] == list(range(1, 9))
    assert events[-1]["type"] == "vn.motcua.dossier.returned.v1"


def test_other_systems_cannot_see_a_dossier_outside_their_subtree(
    client: TestClient, systems: Systems
) -> None:
    created = client.post(
        "/v1/dossiers", json=receive_command(systems.hanoi_commune), headers=auth(systems.hanoi)
    ).json()
    path = f"/v1/dossiers/{created['dossier_code']}"
    assert client.get(path, headers=auth(systems.hanoi)).status_code == 200
    assert client.get(path, headers=auth(systems.haiphong)).status_code == 404
    assert client.get(path, headers=auth(systems.admin)).status_code == 200


def test_batch_reports_each_item_and_partial_success_changes_only_the_good_items(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    good = receive_command(systems.hanoi_commune)
    items = [
        {"kind": "receive", **good},
        {"kind": "receive", **receive_command(systems.haiphong_commune)},
        {"kind": "receive", **receive_command(systems.hanoi_commune, procedure_code="9.999999")},
        {
            "kind": "transition",
            "dossier_code": "000.00.00.H01-250101-0001",
            "event_id": "x1",
            "occurred_at": "2025-04-21T10:00:00+07:00",
            "transition": "assign",
            "to_unit_code": systems.hanoi_commune,
        },
        {"kind": "mystery"},
        {"kind": "receive", **good},
    ]
    before = table_counts(intake_url)
    response = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [201, 403, 422, 404, 422, 201]
    assert (body["accepted"], body["replayed"], body["refused"]) == (1, 1, 4)
    assert body["results"][5]["body"] == body["results"][0]["body"]
    after = table_counts(intake_url)
    assert after[0] == before[0] + 1
    assert after[2] == before[2] + 1


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_batch_with_refusals_stays_set_based_and_loses_no_number(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    """Refused items change nothing: the accepted ones around them take consecutive
    numbers, and only what committed is counted."""
    paths = "motcua_intake_batch_paths_total"
    received = (
        "motcua_intake_dossiers_received_total",
        {"channel": "in_person", "unit_level": "commune"},
    )
    clean = [{"kind": "receive", **receive_command(systems.hanoi_commune)} for _ in range(5)]
    set_based, counted = _sample(paths, path="set_based"), _sample(received[0], **received[1])
    before = table_counts(intake_url)
    response = client.post("/v1/events:batch", json={"items": clean}, headers=auth(systems.hanoi))
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == [201] * 5
    assert _sample(paths, path="set_based") == set_based + 1
    assert _sample(received[0], **received[1]) == counted + 5
    codes = [r["body"]["dossier_code"] for r in response.json()["results"]]
    sequences = [int(code.rsplit("-", 1)[1]) for code in codes]
    assert sequences == list(range(sequences[0], sequences[0] + 5)), "gapless, in order"

    refused = receive_command(systems.hanoi_commune, procedure_code="9.999999")
    mixed = [
        {"kind": "receive", **receive_command(systems.hanoi_commune)},
        {"kind": "receive", **refused},
        {"kind": "receive", **receive_command(systems.hanoi_commune)},
    ]
    counted = _sample(received[0], **received[1])
    response = client.post("/v1/events:batch", json={"items": mixed}, headers=auth(systems.hanoi))
    assert [r["status"] for r in response.json()["results"]] == [201, 422, 201]
    assert _sample(paths, path="set_based") == set_based + 2
    assert _sample(received[0], **received[1]) == counted + 2
    after = table_counts(intake_url)
    assert after[0] == before[0] + 7
    codes = [response.json()["results"][i]["body"]["dossier_code"] for i in (0, 2)]
    first, last = (int(code.rsplit("-", 1)[1]) for code in codes)
    assert (first, last) == (sequences[-1] + 1, sequences[-1] + 2), "no number lost to the refusal"


def test_an_event_id_twice_in_one_batch_goes_item_by_item_and_the_second_replays(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    paths = "motcua_intake_batch_paths_total"
    twice = {"kind": "receive", **receive_command(systems.hanoi_commune)}
    other = {"kind": "receive", **receive_command(systems.hanoi_commune)}
    by_item = _sample(paths, path="item_by_item")
    before = table_counts(intake_url)
    response = client.post(
        "/v1/events:batch", json={"items": [twice, other, twice]}, headers=auth(systems.hanoi)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [201, 201, 201]
    assert [r["replayed"] for r in body["results"]] == [False, False, True]
    assert body["results"][2]["body"] == body["results"][0]["body"]
    assert _sample(paths, path="item_by_item") == by_item + 1
    assert table_counts(intake_url)[0] == before[0] + 2


def _transitions_of(receipt: dict[str, Any]) -> Callable[..., dict[str, str]]:
    """Batch items for the receipt's dossier, each with its own event id."""

    def transition(name: str, **fields: str) -> dict[str, str]:
        return {
            "kind": "transition",
            "dossier_code": receipt["dossier_code"],
            "event_id": str(uuid.uuid4()),
            "occurred_at": receipt["received_at"],
            "transition": name,
            **fields,
        }

    return transition


def test_a_transition_twice_in_one_batch_is_replayed_not_refused(
    client: TestClient, systems: Systems
) -> None:
    """A message delivered twice (an outbox publishing again after a crash) can land in one
    batch: the copy is the first's replay, not a transition the state now refuses (the
    chaos run saw an apology letter's copy dead-lettered as `already_rescheduled`)."""
    receipt = client.post(
        "/v1/dossiers", json=receive_command(systems.hanoi_commune), headers=auth(systems.hanoi)
    )
    assert receipt.status_code == 201, receipt.text
    transition = _transitions_of(receipt.json())
    complete = transition("complete", outcome="granted")
    items = [transition("assign", to_unit_code=systems.hanoi_commune), complete, complete]
    response = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 200, 200], results
    assert [r["replayed"] for r in results] == [False, False, True]


def test_transitions_in_a_batch_see_the_ones_before_them(
    client: TestClient, systems: Systems
) -> None:
    """Two transitions of one dossier in one batch: the second is decided on the state the
    first left, and an illegal third is refused alone."""
    receipt = client.post(
        "/v1/dossiers", json=receive_command(systems.hanoi_commune), headers=auth(systems.hanoi)
    )
    assert receipt.status_code == 201, receipt.text
    code = receipt.json()["dossier_code"]
    transition = _transitions_of(receipt.json())
    items = [
        transition("assign", to_unit_code=systems.hanoi_commune),
        transition("request_supplement", reason="Thiếu ảnh"),
        transition("complete", outcome="granted"),
    ]
    response = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 200, 409], results
    assert [r["body"].get("sequence") for r in results[:2]] == [2, 3]
    assert results[1]["body"]["state"] == "awaiting_supplement"
    assert results[2]["body"]["current_state"] == "awaiting_supplement"
    dossier = client.get(f"/v1/dossiers/{code}", headers=auth(systems.hanoi)).json()
    assert dossier["state"] == "awaiting_supplement"
    assert dossier["supplement_count"] == 1
    assert [entry["transition"] for entry in dossier["timeline"]] == [
        "receive",
        "assign",
        "request_supplement",
    ]


def test_a_transition_naming_the_dossier_its_batch_receives_sees_it(
    client: TestClient, systems: Systems
) -> None:
    """Item by item, an earlier receipt's dossier exists for a later transition (its code
    guessed); the set-based path numbers dossiers only as it writes them, so it hands
    such a batch to the item-by-item path rather than answer 404."""
    at = "2024-04-09T10:00:00+07:00"  # a day no other test receives on: this is 0001
    code = f"{systems.hanoi_commune}-240409-0001"
    items = [
        {"kind": "receive", **receive_command(systems.hanoi_commune, occurred_at=at)},
        {
            "kind": "transition",
            "dossier_code": code,
            "event_id": str(uuid.uuid4()),
            "occurred_at": at,
            "transition": "assign",
            "to_unit_code": systems.hanoi_commune,
        },
    ]
    by_item = _sample("motcua_intake_batch_paths_total", path="item_by_item")
    response = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 200], results
    assert results[0]["body"]["dossier_code"] == code
    assert _sample("motcua_intake_batch_paths_total", path="item_by_item") == by_item + 1


def test_a_day_out_of_numbers_refuses_only_the_receipts_past_9999(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    """The counter's check constraint is the limit: the batch's commit fails, the batch
    goes item by item, the last number is given once and the rest are refused (409)."""
    day = "2024-02-07"  # a day no other test receives on
    with psycopg.connect(intake_url) as conn:
        conn.execute(
            "INSERT INTO dossier_code_counters (unit_code, day, last) VALUES (%s, %s, 9998) "
            "ON CONFLICT (unit_code, day) DO UPDATE SET last = 9998",
            (systems.hanoi_commune, day),
        )
    at = f"{day}T10:00:00+07:00"
    items = [
        {"kind": "receive", **receive_command(systems.hanoi_commune, occurred_at=at)}
        for _ in range(3)
    ]
    before = table_counts(intake_url)
    response = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 409, 409]
    assert results[0]["body"]["dossier_code"] == f"{systems.hanoi_commune}-240207-9999"
    assert {r["body"]["title"] for r in results[1:]} == {"Daily sequence exhausted"}
    single = client.post(
        "/v1/dossiers",
        json=receive_command(systems.hanoi_commune, occurred_at=at),
        headers=auth(systems.hanoi),
    )
    assert single.status_code == 409, single.text
    assert single.json()["title"] == "Daily sequence exhausted"
    assert table_counts(intake_url)[0] == before[0] + 1
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT last FROM dossier_code_counters WHERE unit_code = %s AND day = %s",
            (systems.hanoi_commune, day),
        ).fetchone()
    assert row == (9999,)


def test_batch_over_the_limit_is_413(client: TestClient, systems: Systems) -> None:
    items = [{"kind": "receive", **receive_command(systems.hanoi_commune)}] * 1001
    response = client.post("/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_list_filters_by_subtree_and_paginates_with_a_cursor(
    client: TestClient, systems: Systems
) -> None:
    procedure = procedure_code("identity", 7)
    codes = set()
    for _ in range(5):
        created = client.post(
            "/v1/dossiers",
            json=receive_command(
                systems.hanoi_commune,
                procedure_code=procedure,
                occurred_at="2024-02-05T09:00:00+07:00",
            ),
            headers=auth(systems.hanoi),
        ).json()
        codes.add(created["dossier_code"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"procedure": procedure, "limit": 2, "received_to": "2024-02-06T00:00:00+07:00"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/dossiers", params=params, headers=auth(systems.hanoi)).json()
        seen += [item["dossier_code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(seen) == codes
    assert len(seen) == len(codes)
    other = client.get(
        "/v1/dossiers",
        params={"procedure": procedure, "received_to": "2024-02-06T00:00:00+07:00"},
        headers=auth(systems.haiphong),
    ).json()
    assert other["items"] == []
    bad = client.get("/v1/dossiers", params={"cursor": "!!"}, headers=auth(systems.hanoi))
    assert bad.status_code == 422


def test_preview_gives_the_appointment_without_writing(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    before = table_counts(intake_url)
    # Paper, 16:00 on Tuesday 29/4/2025: after the cut-off, and 30/4–1/5 are holidays and
    # 2/5 a day off, so the clock starts on Monday 5/5.
    response = client.get(
        "/v1/appointments/preview",
        params={
            "procedure": procedure_code("residence", 3),
            "unit": systems.hanoi_commune,
            "received_at": "2025-04-29T16:00:00+07:00",
        },
        headers=auth(systems.hanoi),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert parse(body["clock_starts_at"]).date().isoformat() == "2025-05-05"
    assert table_counts(intake_url) == before


def test_personal_data_reaches_neither_kafka_nor_the_logs(
    client: TestClient, systems: Systems, infra: Infra, caplog: pytest.LogCaptureFixture
) -> None:
    applicant = {
        "full_name": "Trần Văn Bí Mật",
        "id_number": "079088001122",
        "phone": "0987654321",
        "email": "bimat@example.vn",
        "address": "99 đường Bí Mật, phường Hải Châu",
    }
    with caplog.at_level(logging.DEBUG):
        created = client.post(
            "/v1/dossiers",
            json=receive_command(systems.hanoi_commune, applicant=applicant),
            headers=auth(systems.hanoi),
        ).json()
        [event] = read_events(infra, {created["dossier_id"]}, expect=1)
    raw = str(event)
    for value in applicant.values():
        assert value not in raw
        assert value not in caplog.text


def test_admin_scope_is_needed_to_change_the_catalogue(
    client: TestClient, systems: Systems
) -> None:
    procedures = client.get("/v1/procedures", headers=auth(systems.hanoi)).json()
    procedure = {
        k: procedures[0][k]
        for k in (
            "code",
            "name",
            "field",
            "online_level",
            "result_channels",
            "pause_policy",
            "basis",
            "unconfirmed",
        )
    }
    procedure["processing_time"] = {
        "amount": procedures[0]["processing_amount"],
        "unit": procedures[0]["processing_unit"],
    }
    path = f"/v1/procedures/{procedure['code']}"
    assert client.put(path, json=procedure, headers=auth(systems.hanoi)).status_code == 403
    changed = client.put(path, json=procedure, headers=auth(systems.admin))
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] >= 2


def test_dates_come_from_occurred_at_not_arrival(client: TestClient, systems: Systems) -> None:
    long_ago = "2024-01-08T09:00:00+07:00"
    created = client.post(
        "/v1/dossiers",
        json=receive_command(systems.hanoi_commune, occurred_at=long_ago),
        headers=auth(systems.hanoi),
    ).json()
    assert parse(created["received_at"]) == parse(long_ago)
    assert parse(created["due_at"]) < datetime.now(UTC)
    view = client.get(f"/v1/dossiers/{created['dossier_code']}", headers=auth(systems.hanoi))
    assert view.json()["overdue"] is True


def test_receipt_is_returned_as_json_and_as_pdf_on_request(
    client: TestClient, systems: Systems
) -> None:
    import io
    import unicodedata

    from pypdf import PdfReader

    command = receive_command(systems.hanoi_commune)
    created = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi)).json()
    receipt = created["receipt"]
    stored = client.get(
        f"/v1/dossiers/{created['dossier_code']}/receipt", headers=auth(systems.hanoi)
    )
    assert stored.json()["receipt"] == receipt, "built from the request as read from the tables"
    replayed = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["receipt"] == receipt
    assert receipt["dossier_code"] == created["dossier_code"]
    assert receipt["applicant_name"] == command["applicant"]["full_name"]
    assert receipt["contact_preference"] == command["contact_preference"]
    assert receipt["agency"].startswith("Công an phường")
    assert receipt["documents"] == command["documents"]

    pdf = client.get(
        f"/v1/dossiers/{created['dossier_code']}/receipt",
        headers={**auth(systems.hanoi), "Accept": "application/pdf"},
    )
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = unicodedata.normalize(
        "NFC", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    )
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert created["dossier_code"] in text
    assert command["applicant"]["full_name"] in text

    direct = client.post(
        "/v1/dossiers",
        json=receive_command(systems.hanoi_commune),
        headers={**auth(systems.hanoi), "Accept": "application/pdf"},
    )
    assert direct.status_code == 201
    assert direct.content.startswith(b"%PDF-")
    assert direct.headers["Location"].startswith("/v1/dossiers/")


def _batch_aborts(error: str) -> float:
    return REGISTRY.get_sample_value("motcua_intake_batch_aborts_total", {"error": error}) or 0.0


def test_concurrent_batches_over_the_same_units_do_not_deadlock(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    """Opposite item orders over the same daily counters: without the global lock order
    the two transactions deadlock, PostgreSQL aborts one, and the batch retry hides it
    from the statuses; the abort counter does not."""
    from concurrent.futures import ThreadPoolExecutor

    with psycopg.connect(intake_url) as conn:
        units = [
            row[0]
            for row in conn.execute(
                "SELECT code FROM units WHERE path @> ARRAY[%s]::text[] "
                "AND retired_on IS NULL ORDER BY code LIMIT 10",
                (systems.hanoi_province,),
            )
        ]
    days = [f"2024-03-{day:02d}T09:00:00+07:00" for day in range(4, 9)]
    items = [
        {"kind": "receive", **receive_command(unit, occurred_at=day)}
        for unit in units
        for day in days
    ]

    def send(order: list[dict[str, object]]) -> list[int]:
        fresh = [{**item, "event_id": str(uuid.uuid4())} for item in order]
        response = client.post(
            "/v1/events:batch", json={"items": fresh}, headers=auth(systems.hanoi)
        )
        assert response.status_code == 200, response.text
        return [result["status"] for result in response.json()["results"]]

    deadlocks_before = _batch_aborts("deadlock")
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(3):
            forward, backward = pool.map(send, [items, items[::-1]])
            assert set(forward) == {201}
            assert set(backward) == {201}
    assert _batch_aborts("deadlock") == deadlocks_before, "a batch deadlocked and was retried"


def test_single_receipts_and_a_batch_for_the_same_applicants_do_not_deadlock(
    infra: Infra, systems: Systems, intake_url: str
) -> None:
    """Stable applicant pseudonyms (a key) make the applicant's row a lock two writers
    share. A batch takes its counters first and then each item's applicant; single
    receipts for the batch's last applicants, on its counters, sent while it runs, take the
    same locks: in the other order (applicant, then counter) they deadlock with it."""
    from concurrent.futures import ThreadPoolExecutor

    settings = intake_settings(
        infra, intake_url, inbound_enabled=False, applicant_ref_key=secrets.token_hex(16)
    )
    with psycopg.connect(intake_url) as conn:
        units = [
            row[0]
            for row in conn.execute(
                "SELECT code FROM units WHERE path @> ARRAY[%s]::text[] ORDER BY code LIMIT 5",
                (systems.hanoi_province,),
            )
        ]
    day = "2024-05-06T09:00:00+07:00"
    people = [f"0011900{n:05d}" for n in range(300)]

    def receipt(n: int, person: str) -> dict[str, Any]:
        applicant = {"full_name": "Trần Văn Ba", "id_number": person, "phone": "0912345678"}
        return receive_command(units[n % len(units)], occurred_at=day, applicant=applicant)

    batch_items = [receipt(n, person) for n, person in enumerate(people)]
    singles = [receipt(n, person) for n, person in enumerate(people[-40:])]
    with TestClient(create_app(settings)) as client:

        def batch() -> list[int]:
            items = [{"kind": "receive", **item} for item in batch_items]
            response = client.post(
                "/v1/events:batch", json={"items": items}, headers=auth(systems.hanoi)
            )
            assert response.status_code == 200, response.text
            return [result["status"] for result in response.json()["results"]]

        def single(command: dict[str, Any]) -> int:
            response = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
            return response.status_code

        deadlocks_before = _batch_aborts("deadlock")
        with ThreadPoolExecutor(max_workers=4) as pool:
            batched = pool.submit(batch)
            time.sleep(0.05)  # the batch holds its counters and works through its items
            statuses = list(pool.map(single, singles))
            assert set(batched.result()) == {201}
        assert set(statuses) == {201}
    assert _batch_aborts("deadlock") == deadlocks_before, "a receipt deadlocked with the batch"
