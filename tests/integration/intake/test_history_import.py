"""The history importer against the session's database: what it writes, what it refuses,
twice, after a crash, and what intake does with an imported dossier afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from motcua.contracts import History, history_of
from services.intake import manage
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


def outbox_events(intake_url: str, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each dossier's events in the outbox, in the order the relay publishes them."""
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT payload FROM outbox WHERE payload -> 'data' ->> 'dossier_code' = ANY(%s) "
            "ORDER BY id",
            (codes,),
        ).fetchall()
    events: dict[str, list[dict[str, Any]]] = {}
    for (payload,) in rows:
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
