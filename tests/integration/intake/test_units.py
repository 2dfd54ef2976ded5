"""The unit tree over HTTP: ``GET /v1/units`` pages through the national tree by code; a
unit a merger retired takes no new dossier on any door, naming its successor."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from motcua.dossier import LOCAL_ZONE
from motcua.http import PROBLEM_JSON
from motcua.kafka import Topic
from services.intake.app import create_app
from services.intake.reference.models import Unit, UnitLevel
from services.intake.reference.service import list_units, upsert_units
from tests.conftest import Infra
from tests.integration.conftest import Systems, auth, dead_letter, receive_command, table_counts
from tests.integration.intake.conftest import door_group, intake_settings, wait_until_handled
from tests.integration.kafka_log import produce_where, read_to_end

AFTER_THE_REFORM = "2025-09-15T09:30:00+07:00"
NEXT = re.compile(r'^<(/v1/units\?[^>]+)>; rel="next"$')


def _walk(client: TestClient, key: str, first: str) -> tuple[list[dict[str, Any]], int]:
    """Every unit of every page from ``first``, following ``rel="next"``; and the pages."""
    units: list[dict[str, Any]] = []
    target: str | None = first
    pages = 0
    while target is not None:
        response = client.get(target, headers=auth(key))
        assert response.status_code == 200, response.text
        units += response.json()
        pages += 1
        link = response.headers.get("link")
        found = NEXT.match(link) if link else None
        assert link is None or found, link
        target = found.group(1) if found else None
    return units, pages


def _codes(intake_url: str, *, retired: bool) -> list[str]:
    """Every unit's code, or only those in service on Vietnam's today (another test of the
    session may have retired one of its own units today)."""
    today = datetime.now(LOCAL_ZONE).date()
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT code FROM units WHERE %s OR retired_on IS NULL OR retired_on > %s "
            "ORDER BY code",
            (retired, today),
        )
        return [row[0] for row in rows]


def test_the_whole_tree_is_walked_page_by_page_each_unit_once(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    units, pages = _walk(client, systems.admin, "/v1/units?include_retired=true&limit=1000")
    codes = [unit["code"] for unit in units]
    assert len(codes) > 13_000
    assert pages == -(-len(codes) // 1000)
    assert codes == sorted(set(codes)), "in code order, none twice"
    assert set(codes) == set(_codes(intake_url, retired=True)), "none missing"
    retired = {u["code"]: u for u in units if u["retired_on"] is not None}
    assert retired["000.04.99.H01"]["successor"] == "000.04.00.H01"
    assert retired["000.04.99.H01"]["retired_on"] == "2025-07-01"

    current, _ = _walk(client, systems.admin, "/v1/units?limit=5000")
    assert [u["code"] for u in current] == _codes(intake_url, retired=False)
    assert len(current) >= 3 + 34 * 5 + 3321
    assert all(unit["successor"] is None for unit in current)


def test_a_unit_leaves_the_list_in_service_at_vietnams_midnight_not_utcs(
    intake_url: str,
) -> None:
    """From 17:00 to 24:00 UTC Vietnam is a day ahead; a unit retired on Vietnam's today has
    stopped taking dossiers then, so it is no longer listed as in service."""
    province = f"U{uuid.uuid4().int % 100:02d}"
    police, gone, going = (
        f"000.00.00.{province}",
        f"001.01.00.{province}",
        f"001.02.00.{province}",
    )
    today = date(2026, 12, 7)
    with psycopg.connect(intake_url) as conn:
        ministry = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert ministry
        upsert_units(
            [
                Unit(
                    code=police,
                    name="Công an tỉnh Thử",
                    level=UnitLevel.PROVINCE,
                    parent=ministry[0],
                ),
                Unit(code=going, name="Công an xã Hai", level=UnitLevel.COMMUNE, parent=police),
                Unit(
                    code=gone,
                    name="Công an xã Một",
                    level=UnitLevel.COMMUNE,
                    parent=police,
                    successor=going,
                    retired_on=today,
                ),
            ],
            db_session=conn,
        )

        def listed(day: date, *, include_retired: bool = False) -> list[str]:
            units, more = list_units(
                police,
                limit=10,
                after=None,
                include_retired=include_retired,
                today=day,
                db_session=conn,
            )
            assert not more
            return [unit["code"] for unit in units]

        assert listed(today - timedelta(days=1)) == [police, gone, going]
        assert listed(today) == [police, going]
        assert listed(today, include_retired=True) == [police, gone, going]


def test_a_page_says_where_the_next_one_starts_and_stays_in_the_callers_subtree(
    client: TestClient, systems: Systems
) -> None:
    first = client.get("/v1/units?limit=2", headers=auth(systems.hanoi))
    assert first.status_code == 200, first.text
    codes = [unit["code"] for unit in first.json()]
    assert first.headers["link"] == f'</v1/units?after={codes[-1]}&limit=2>; rel="next"'
    units, _ = _walk(client, systems.hanoi, "/v1/units?limit=500")
    assert len(units) > 100
    assert all(systems.hanoi_province in unit["path"] for unit in units)
    assert len(units) == len(client.get("/v1/units", headers=auth(systems.hanoi)).json())
    default = client.get("/v1/units", headers=auth(systems.admin))
    assert len(default.json()) == 1000
    assert "limit=1000" in default.headers["link"]
    last = client.get(f"/v1/units?after={units[-1]['code']}", headers=auth(systems.hanoi))
    assert last.json() == []
    assert "link" not in last.headers


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=5001", "limit"),
        ("limit=ten", "limit"),
        ("after=Hà%20Nội", "after"),
        ("after=000.00.00.H01%00", "after"),
        ("include_retired=maybe", "include_retired"),
    ],
)
def test_a_bad_page_request_is_a_422_problem_naming_the_parameter(
    client: TestClient, systems: Systems, query: str, field: str
) -> None:
    response = client.get(f"/v1/units?{query}", headers=auth(systems.hanoi))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [error["field"] for error in response.json()["errors"]] == [field]


def _retired_unit(intake_url: str, province: str) -> tuple[str, str]:
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT code, successor_code FROM units WHERE retired_on IS NOT NULL "
            "AND successor_code IS NOT NULL AND path @> ARRAY[%s]::text[] ORDER BY code LIMIT 1",
            (province,),
        ).fetchone()
    assert row
    return row[0], row[1]


def test_a_retired_unit_refuses_a_new_dossier_naming_its_successor_on_rest_and_batch(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    retired, successor = _retired_unit(intake_url, systems.hanoi_province)
    before = table_counts(intake_url)
    command = receive_command(retired, occurred_at=AFTER_THE_REFORM)
    single = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert single.status_code == 422, single.text
    assert single.headers["content-type"] == PROBLEM_JSON
    [error] = single.json()["errors"]
    assert error["field"] == "unit_code"
    assert (
        error["message"]
        == f"unit {retired} was retired on 2025-07-01; its work goes to {successor}"
    )
    batch = client.post(
        "/v1/events:batch",
        json={"items": [{"kind": "receive", **command}]},
        headers=auth(systems.hanoi),
    )
    [result] = batch.json()["results"]
    assert result["status"] == 422
    assert [e["field"] for e in result["body"]["errors"]] == ["unit_code"]
    assert table_counts(intake_url) == before
    moved = client.post(
        "/v1/dossiers", json={**command, "unit_code": successor}, headers=auth(systems.hanoi)
    )
    assert moved.status_code == 201, moved.text


def test_a_dossier_received_before_the_unit_retired_is_still_its_own(
    client: TestClient, systems: Systems, intake_url: str
) -> None:
    """A desk recording late what the old commune received before the reform."""
    retired, _ = _retired_unit(intake_url, systems.hanoi_province)
    command = receive_command(retired, occurred_at="2025-06-30T15:00:00+07:00")
    response = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert response.status_code == 201, response.text


def test_a_retired_unit_refuses_a_new_dossier_on_the_kafka_door(
    infra: Infra, intake_url: str, systems: Systems
) -> None:
    retired, successor = _retired_unit(intake_url, systems.hanoi_province)
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT name FROM upstream_systems WHERE unit_code = %s AND name LIKE 'hanoi-%%'",
            (systems.hanoi_province,),
        ).fetchone()
    assert row
    key = f"upstream-{uuid.uuid4()}".encode()
    command = {"kind": "receive", **receive_command(retired, occurred_at=AFTER_THE_REFORM)}
    group = door_group(infra)
    [(partition, offset)] = produce_where(
        infra.bootstrap_servers,
        Topic.INTAKE_COMMANDS.value,
        [(key, json.dumps(command).encode(), [("motcua-system", row[0].encode())])],
    )
    settings = intake_settings(
        infra, intake_url, outbox_relay_enabled=False, inbound_group_id=group
    )
    with TestClient(create_app(settings)):
        wait_until_handled(infra, group, Topic.INTAKE_COMMANDS, partition, offset)
    [letter] = [
        dead_letter(message)
        for message in read_to_end(infra.bootstrap_servers, Topic.DLQ_INTAKE.value, keys=[key])
    ]
    assert letter["motcua-dlq-reason"] == b"retired_unit_code"
    assert successor.encode() in letter["motcua-dlq-detail"]
