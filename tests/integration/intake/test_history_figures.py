"""End to end at a small size: two years of a province's dossiers imported, reporting fed
the events the import published, and the province's figures of every month equal to a
recomputation from intake's own records."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from motcua.identity import Role, TokenIssuer
from services.reporting.projection import TOPICS
from tests.conftest import Database, Infra
from tests.integration.conftest import wait_for
from tests.integration.intake.test_history_import import (
    outbox_payloads,
    procedures,
    run_import,
    write_lines,
)
from tests.integration.reporting.conftest import (
    Topics,
    consumer_for,
    consuming,
    reporting_at_now,
    sign_in,
    stored_offsets,
)
from tests.services.intake.history.lines import LineUnit, history_lines

pytestmark = pytest.mark.integration

PROVINCE = "000.00.00.H04"
"""Cao Bằng's police: a province the 2025 reform kept, with pre-reform communes under it."""
FIRST, LAST = date(2024, 1, 2), date(2025, 12, 31)
MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)]

_RECOMPUTED = """
WITH mine AS (
    SELECT * FROM dossiers WHERE unit_path @> ARRAY[%(province)s] AND code = ANY(%(codes)s)
), received AS (
    SELECT to_char(received_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM') AS month,
           count(*) AS received,
           count(*) FILTER (WHERE channel = 'in_person') AS received_in_person,
           count(*) FILTER (WHERE channel = 'online') AS received_online,
           count(*) FILTER (WHERE channel = 'postal') AS received_postal
    FROM mine GROUP BY 1
), finished AS (
    SELECT to_char(completed_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM') AS month,
           count(*) AS finished,
           count(*) FILTER (WHERE completed_at > due_at) AS finished_late,
           count(*) FILTER (WHERE completed_at <= due_at AND
               (completed_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
               < (due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) AS finished_early
    FROM mine WHERE completed_at IS NOT NULL GROUP BY 1
)
SELECT coalesce(r.month, f.month), coalesce(received, 0), coalesce(received_in_person, 0),
       coalesce(received_online, 0), coalesce(received_postal, 0), coalesce(finished, 0),
       coalesce(finished_early, 0), coalesce(finished_late, 0)
FROM received r FULL JOIN finished f USING (month)
"""
FIGURES = (
    "received",
    "received_in_person",
    "received_online",
    "received_postal",
    "finished",
    "finished_early",
    "finished_late",
)


def _units(intake_url: str) -> list[LineUnit]:
    """Six of the province's communes of today and four it had before the reform."""
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "(SELECT code, retired_on FROM units WHERE parent_code = %(p)s AND level = 'commune' "
            "AND retired_on IS NULL ORDER BY code LIMIT 6) UNION ALL "
            "(SELECT code, retired_on FROM units WHERE parent_code = %(p)s AND level = 'commune' "
            "AND retired_on IS NOT NULL ORDER BY code LIMIT 4)",
            {"p": PROVINCE},
        ).fetchall()
    assert len(rows) == 10, "the seed has no pre-reform communes under Cao Bằng"
    return [LineUnit(code, retired) for code, retired in rows]


def _recomputed(intake_url: str, codes: list[str]) -> dict[str, dict[str, int]]:
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(_RECOMPUTED, {"province": PROVINCE, "codes": codes}).fetchall()
    return {row[0]: dict(zip(FIGURES, row[1:], strict=True)) for row in rows}


def _topics(infra: Infra) -> Topics:
    prefix = f"test-{uuid.uuid4().hex[:8]}-"
    names = {role: f"{prefix}{role.value}" for role in TOPICS}
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    created = admin.create_topics([NewTopic(name, 3, 1) for name in names.values()])
    for future in created.values():
        future.result(timeout=30)
    return Topics(infra, names)


def test_a_provinces_figures_after_an_import_equal_a_recomputation_from_intakes_records(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    infra: Infra,
    intake_url: str,
    database: Database,
    signer: tuple[TokenIssuer, Path],
) -> None:
    reporting_db = database.service_urls["reporting"]
    units = _units(intake_url)
    lines = list(
        history_lines(units, procedures(intake_url), 300, seed=2027, first=FIRST, last=LAST)
    )
    assert any(line["unit_code"] in {u.code for u in units if u.retired_on} for line in lines)
    source = write_lines(tmp_path / "cao-bang.jsonl", lines)
    assert run_import(monkeypatch, intake_url, str(source)) == 0
    codes = [line["dossier_code"] for line in lines]
    events = outbox_payloads(intake_url, codes)

    topics = _topics(infra)
    before = stored_offsets(reporting_db, topics)
    topics.publish(events)
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(
            lambda: stored_offsets(reporting_db, topics) == before + len(events),
            what="every imported event counted",
        )

    expected = _recomputed(intake_url, codes)
    assert sum(month["received"] for month in expected.values()) == 300
    with reporting_at_now(infra, reporting_db, signer[1]) as client:
        sign_in(client, signer, PROVINCE, Role.LEADER)
        for month in MONTHS:
            response = client.get("/v1/reports/summary", params={"period": month, "unit": PROVINCE})
            assert response.status_code == 200, response.text
            counts = response.json()["counts"]
            mine = expected.get(month, dict.fromkeys(FIGURES, 0))
            assert {name: counts[name] for name in FIGURES} == mine, month
