"""The reports API as leaders and systems use it: scoped to the caller's subtree, every
figure openable to its dossiers and its formula, every table as CSV and XLSX, a closed
month frozen with late events shown as corrections beside it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import psycopg
import pytest
from fastapi.testclient import TestClient

from motcua.identity import Role, TokenIssuer
from services.reporting.access import new_api_key
from tests.conftest import Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    Province,
    Topics,
    consumer_for,
    consuming,
    sign_in,
    stored_offsets,
)
from tests.services.reporting.events import Dossier, at


def _count(infra: Infra, url: str, topics: Topics, events: list[dict[str, Any]]) -> None:
    before = stored_offsets(url, topics)
    topics.publish(events)
    with consuming(consumer_for(infra, url, topics)):
        wait_for(lambda: stored_offsets(url, topics) == before + len(events), what="stored")


@pytest.fixture
def counted(
    infra: Infra, reporting_db: str, topics: Topics, province: Province
) -> dict[str, Dossier]:
    """Two communes: one with two rated dossiers (one late), the other with one."""
    a1 = province.dossier(0, due_at=at(11, 9))
    a2 = province.dossier(0, due_at=at(11, 9), procedure_code="1.004222")
    b1 = province.dossier(1, due_at=at(11, 9))
    events = [
        a1.received(),
        a1.assigned(at(2, 10), "can-bo-a"),
        a1.completed(at(9, 9)),
        a1.rated(at(9, 10), "very_satisfied", scores={n: 2 for n in _OFFICER}),
        a2.received(),
        a2.completed(at(12, 9)),
        a2.rated(at(12, 10), "satisfied"),
        b1.received(),
        b1.completed(at(10, 9)),
        b1.rated(at(10, 10), "satisfied"),
    ]
    _count(infra, reporting_db, topics, events)
    return {"a1": a1, "a2": a2, "b1": b1}


_OFFICER = ("processing_time", "agencies_contacted", "visits", "procedure_information")
NOVEMBER = {"period": "2026-11"}
RECEIVED = "Hồ sơ tiếp nhận trong kỳ (theo thời điểm tiếp nhận)"


def test_the_drill_down_ranks_communes_and_leaves_thin_ones_unranked(
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
    province: Province,
    counted: dict[str, Dossier],
) -> None:
    sign_in(client, signer, province.code)
    units = client.get("/v1/reports/units", params=NOVEMBER).json()["rows"]
    by_unit = {row["key"]: row["counts"] for row in units}
    assert by_unit[province.communes[0]]["received"] == 2
    assert by_unit[province.communes[1]]["finished"] == 1
    ranking = client.get("/v1/reports/ranking", params=NOVEMBER).json()["rows"]
    # ranking_min_answers is 2 in the tests: the commune with one answer is not ranked.
    assert [(r["key"], r["rank"], r["ranked"]) for r in ranking] == [
        (province.communes[0], 1, True),
        (province.communes[1], None, False),
    ]
    assert ranking[1]["reason"] == "not_enough_answers"
    procedures = client.get("/v1/reports/procedures", params=NOVEMBER).json()["rows"]
    assert {r["key"]: r["counts"]["received"] for r in procedures} == {
        "1.001612": 2,
        "1.004222": 1,
    }
    commune = client.get(
        "/v1/reports/summary", params={**NOVEMBER, "unit": province.communes[0]}
    ).json()
    assert commune["counts"]["finished_late"] == 1
    officers = client.get(
        "/v1/reports/officers", params={**NOVEMBER, "unit": province.communes[0]}
    ).json()["rows"]
    # Criterion 7 was not rated on can-bo-a's dossier: no score until it is.
    assert officers[0]["handler_ref"] == "can-bo-a"
    assert officers[0]["criterion_scores"]["1"] == 2.0
    assert officers[0]["score"] is None


def test_every_figure_opens_to_its_dossiers_and_its_formula(
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
    province: Province,
    counted: dict[str, Dossier],
) -> None:
    sign_in(client, signer, province.code)
    late = client.get("/v1/reports/dossiers", params={**NOVEMBER, "measure": "finished_late"})
    assert late.json()["dossier_codes"] == [counted["a2"].code]
    satisfied = client.get(
        "/v1/reports/dossiers", params={**NOVEMBER, "measure": "ratings_satisfied"}
    ).json()["dossier_codes"]
    assert sorted(satisfied) == sorted(d.code for d in counted.values())
    unknown = client.get("/v1/reports/dossiers", params={**NOVEMBER, "measure": "secret"})
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    formulas = client.get("/v1/reports/formulas").json()
    assert "ratings_valid" in formulas["rates"]["satisfaction_rate"]
    assert formulas["measures"]["finished_late"]["counted_by"] == "finished"


def test_every_table_exports_as_csv_and_xlsx_with_the_same_rows(
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
    province: Province,
    counted: dict[str, Dossier],
) -> None:
    sign_in(client, signer, province.code)
    as_csv = client.get("/v1/reports/units.csv", params=NOVEMBER)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    # Headed for a leader: the code, the unit's name, each figure by what it means.
    assert {r["Mã"]: r[RECEIVED] for r in rows} == {
        province.communes[0]: "2",
        province.communes[1]: "1",
    }
    as_xlsx = client.get("/v1/reports/units.xlsx", params=NOVEMBER)
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    header = [cell.value for cell in sheet[1]]
    received = header.index(RECEIVED)
    assert {r[0]: r[received] for r in sheet.iter_rows(min_row=2, values_only=True)} == {
        province.communes[0]: 2,
        province.communes[1]: 1,
    }
    for table in ("summary", "procedures", "fields", "ranking", "officers", "series"):
        params = {**NOVEMBER, "from": "2026-10"} if table == "series" else NOVEMBER
        for suffix in ("csv", "xlsx"):
            answer = client.get(f"/v1/reports/{table}.{suffix}", params=params)
            assert answer.status_code == 200, (table, suffix, answer.text)
    assert client.get("/v1/reports/units.pdf", params=NOVEMBER).status_code == 404
    months = {**NOVEMBER, "from": "2026-10", "to": "2026-11"}
    series = client.get("/v1/reports/series.csv", params=months)
    kinds = list(csv.DictReader(io.StringIO(series.content.decode("utf-8-sig"))))
    # Each period by its code, and by name as a person reads it (never ISO twice).
    assert [(r["Mã"], r["Kỳ"]) for r in kinds] == [
        ("2026-10", "Tháng 10/2026"),
        ("2026-11", "Tháng 11/2026"),
    ]


def test_a_reader_sees_only_their_subtree_and_strangers_nothing(
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
    province: Province,
    counted: dict[str, Dossier],
    reporting_db: str,
) -> None:
    assert client.get("/v1/reports/summary").status_code == 401
    sign_in(client, signer, province.communes[1])
    own = client.get("/v1/reports/summary", params=NOVEMBER).json()
    assert own["counts"]["received"] == 1
    above = client.get("/v1/reports/summary", params={**NOVEMBER, "unit": province.code})
    assert above.status_code == 403
    sibling = client.get("/v1/reports/units", params={**NOVEMBER, "unit": province.communes[0]})
    assert sibling.status_code == 403
    sign_in(client, signer, province.code, Role.DUTY_OFFICER)
    assert client.get("/v1/reports/summary").status_code == 403
    client.cookies.clear()
    with psycopg.connect(reporting_db) as conn:
        key = new_api_key("cong-tinh", province.code, db_session=conn)
    by_key = client.get(
        "/v1/reports/summary", params=NOVEMBER, headers={"Authorization": f"Bearer {key}"}
    )
    assert by_key.json()["counts"]["received"] == 3
    wrong = client.get("/v1/reports/summary", headers={"Authorization": "Bearer mcr_nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [({"period": "2026-13"}, "period"), ({"from": "2026-11", "to": "2026-Q4"}, "to")],
)
def test_a_bad_period_is_a_problem_naming_the_field(
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
    province: Province,
    counted: dict[str, Dossier],
    params: dict[str, str],
    field: str,
) -> None:
    sign_in(client, signer, province.code)
    path = "/v1/reports/series" if "from" in params else "/v1/reports/summary"
    answer = client.get(path, params=params)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field


def test_a_closed_month_is_frozen_and_a_late_event_shows_as_a_correction(
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
    province: Province,
    counted: dict[str, Dossier],
) -> None:
    sign_in(client, signer, province.code)
    closed = client.post(f"/v1/reports/periods/2026-11/close?unit={province.code}")
    assert closed.status_code == 201, closed.text
    again = client.post(f"/v1/reports/periods/2026-11/close?unit={province.code}")
    assert again.status_code == 409
    assert client.post("/v1/reports/periods/2026-12/close").status_code == 409  # not over
    straggler = province.dossier(1, received_at=at(27, 15), due_at=at(30, 15))
    _count(infra, reporting_db, topics, [straggler.received()])
    summary = client.get("/v1/reports/summary", params=NOVEMBER).json()
    assert summary["counts"]["received"] == 4
    assert summary["closed"]["frozen"]["counts"]["received"] == 3
    assert summary["closed"]["corrections"]["received"] == {
        "frozen": 3,
        "now": 4,
        "difference": 1,
    }
    assert summary["closed"]["formula_version"]


def test_a_dossier_page_shows_only_the_readers_own_subtree(
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
    province: Province,
    counted: dict[str, Dossier],
) -> None:
    code = counted["a1"].code
    sign_in(client, signer, province.communes[1])
    foreign = client.get(f"/reports/dossiers/{code}")
    assert foreign.status_code == 404
    assert "Không có hồ sơ này trong phạm vi của bạn." in foreign.text
    assert code not in foreign.text
    sign_in(client, signer, province.code)
    own = client.get(f"/reports/dossiers/{code}", params={"back": "https://elsewhere.example"})
    assert own.status_code == 200
    assert 'data-step="received">Tiếp nhận hồ sơ' in own.text
    assert 'id="dossier-officer">can-bo-a' in own.text
    assert 'href="https://elsewhere.example"' not in own.text  # back stays on /reports


def test_a_bad_period_on_the_page_is_an_inline_vietnamese_error(
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
    province: Province,
    counted: dict[str, Dossier],
) -> None:
    sign_in(client, signer, province.code)
    page = client.get("/reports", params={"kind": "month", "month": "13", "year": "2026"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "Kỳ báo cáo “13/2026” không đúng" in page.text
    assert 'id="period-name">Tháng 12/2026' in page.text  # this month's report, kept
    listed = client.get("/reports/dossiers", params={"measure": "finished", "period": "2026-13"})
    assert listed.status_code == 422
    assert "Kỳ báo cáo “2026-13” không đúng" in listed.text
