"""Publication (công khai) and reporting's audit trail, through the real PostgreSQL: a
closed month published without sign-in — its page in Vietnamese (Chromium, 1366 and 390
px, axe-core), its CSV and JSON equal to the signed-in API's figures, cached with an ETag
— and nothing else published (an open period, a unit below the level, a day); every
closing and refusal and every key registered or revoked in the audit trail, which
inspectors read in their subtree and ``manage verify-audit`` proves intact."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from motcua.identity import Role, TokenIssuer
from services.reporting import manage, reports
from services.reporting.app import create_app
from services.reporting.periods import Period
from services.reporting.publication import COUNTS, FIGURES
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Infra
from tests.integration.reporting.conftest import (
    NOW,
    Log,
    Province,
    apply,
    reporting_settings,
    sign_in,
)
from tests.live_server import live_server
from tests.services.reporting.events import Dossier, at

pytest_plugins = ["tests.browser"]


def _counted(reporting_db: str, province: Province) -> list[Dossier]:
    """Commune 0: two rated dossiers (one late); commune 1: one."""
    dossiers = [province.dossier(0), province.dossier(0), province.dossier(1)]
    log = Log()
    for number, (dossier, done) in enumerate(zip(dossiers, (9, 12, 10), strict=True)):
        log.append(
            0,
            dossier.received(),
            dossier.assigned(at(2, 10), f"can-bo-{number}"),
            dossier.completed(at(done, 9)),
            dossier.rated(at(done, 10), "satisfied"),
        )
    applied = apply(reporting_db, log, log.records)
    assert not applied.rejected, applied.rejected
    return dossiers


def _close(client: TestClient, unit: str, period: str, status: int = 201) -> None:
    closed = client.post(f"/v1/reports/periods/{period}/close?unit={unit}")
    assert closed.status_code == status, closed.text


def _csv(text: str) -> dict[str, str]:
    header, row = list(csv.reader(io.StringIO(text)))
    return dict(zip(header, row, strict=True))


def _same(published: str, api: Any) -> bool:
    return published == ("" if api is None else str(api))


def test_a_closed_month_is_published_without_sign_in_as_the_api_counts_it(
    client: TestClient, reporting_db: str, province: Province, signer: tuple[TokenIssuer, Path]
) -> None:
    dossiers = _counted(reporting_db, province)
    commune = province.communes[0]
    sign_in(client, signer, province.code)
    for unit in (province.code, *province.communes):
        _close(client, unit, "2026-11")
    for month in ("2026-07", "2026-08", "2026-09"):
        _close(client, commune, month)
    api = client.get(f"/v1/reports/summary?unit={commune}&period=2026-11").json()
    quarter_api = client.get(f"/v1/reports/summary?unit={commune}&period=2026-Q3").json()
    client.cookies.clear()

    data = client.get(f"/cong-khai/{commune}/2026-11.json").json()
    table = _csv(client.get(f"/cong-khai/{commune}/2026-11.csv").text)
    for source in (api, api["closed"]["frozen"]):
        assert data["counts"] == {n: source["counts"][n] for n in COUNTS}
        assert data["figures"] == {n: source["figures"][n] for n in FIGURES}
        assert all(_same(table[n], source["counts"][n]) for n in COUNTS), table
        assert all(_same(table[n], source["figures"][n]) for n in FIGURES), table
    assert data["counts"]["received"] == 2
    assert data["figures"]["on_time_rate"] == 0.5
    assert data["rank"] == {"rank": 1, "of": 1, "among": province.code, "min_answers": 2}
    assert _csv(client.get(f"/cong-khai/{province.communes[1]}/2026-11.csv").text)["rank"] == ""
    quarter = client.get(f"/cong-khai/{commune}/2026-Q3.json").json()
    assert quarter["figures"] == {n: quarter_api["figures"][n] for n in FIGURES}
    listed = {u["code"]: u["periods"] for u in client.get("/cong-khai.json").json()["units"]}
    assert listed[commune] == ["2026-11", "2026-Q3", "2026-09", "2026-08", "2026-07"]

    page = client.get(f"/cong-khai/{commune}/2026-11")
    assert page.status_code == 200
    assert "Tỷ lệ đúng hạn" in page.text
    for answer in (page, client.get(f"/cong-khai/{commune}/2026-11.csv"), client.get("/cong-khai")):
        assert answer.headers["cache-control"] == "public, max-age=3600"
        again = client.get(answer.url, headers={"If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert not [d.code for d in dossiers if d.code in answer.text + str(data)]

    for missing in ("2026-10", "2026-12", "2026-Q4", "2026", "2026-11-05", "cuoi-nam"):
        assert client.get(f"/cong-khai/{commune}/{missing}.json").status_code == 404, missing
        refused = client.get(f"/cong-khai/{commune}/{missing}")
        assert refused.status_code == 404
        assert "Không có số liệu công khai" in refused.text
    ctx = client.app.state.reporting  # type: ignore[attr-defined]
    shallow = ctx.settings.model_copy(update={"publish_deepest_level": 2})
    client.app.state.reporting = replace(ctx, settings=shallow)  # type: ignore[attr-defined]
    below = client.get(f"/cong-khai/{commune}/2026-11.csv")
    assert below.status_code == 404
    assert below.headers["content-type"] == "application/problem+json"
    assert client.get(f"/cong-khai/{province.code}/2026-11.json").status_code == 200
    assert commune not in client.get("/cong-khai").text


def _entries(client: TestClient, **query: str) -> list[dict[str, Any]]:
    answer = client.get("/v1/audit", params=query)
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


def test_closings_and_keys_are_in_the_audit_trail_inspectors_read_in_their_subtree(
    client: TestClient,
    reporting_db: str,
    province: Province,
    signer: tuple[TokenIssuer, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _counted(reporting_db, province)
    leader = sign_in(client, signer, province.code)
    _close(client, province.code, "2026-11")
    _close(client, province.code, "2026-11", 409)
    assert client.get("/v1/audit").status_code == 403
    refused_page = client.get("/reports/audit")
    assert refused_page.status_code == 403
    assert refused_page.headers["content-type"].startswith("text/html")
    assert 'href="/reports/audit"' not in client.get("/reports").text  # inspectors' link only
    monkeypatch.setenv("DATABASE_URL", reporting_db)
    key_name = f"cong-thong-tin-{uuid.uuid4().hex[:6]}"
    assert manage.main(["create-key", key_name, province.code]) == 0
    assert manage.main(["revoke-key", key_name]) == 0
    assert manage.main(["revoke-key", key_name]) == 1

    sign_in(client, signer, province.code, Role.INSPECTOR)
    closings = _entries(client, action="period.closed", record_id=f"{province.code}/2026-11")
    assert [(e["outcome"], e["actor"], e["actor_kind"]) for e in closings] == [
        ("refused", leader.username, "officer"),
        ("ok", leader.username, "officer"),
    ]
    assert closings[0]["details"]["reason"] == f"2026-11 is already closed for {province.code}"
    assert closings[1]["unit_path"][-2:] == [province.path()[0], province.code]
    keys = _entries(client, action="key.", record_id=key_name)
    assert [(e["action"], e["actor_kind"]) for e in keys] == [
        ("key.revoked", "admin"),
        ("key.registered", "admin"),
    ]
    page = client.get("/reports/audit", params={"record_id": key_name})
    assert page.status_code == 200
    download = client.get("/v1/audit", params={"record_id": key_name, "format": "csv"})
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0][:6] == [
        "Số thứ tự",
        "Thời điểm (UTC)",
        "Người thực hiện",
        "Loại người thực hiện",
        "Mã thao tác",
        "Thao tác",
    ]
    assert [(row[4], row[5], row[7]) for row in rows[1:]] == [
        ("key.revoked", "Thu hồi khoá hệ thống", key_name),
        ("key.registered", "Cấp khoá hệ thống", key_name),
    ]
    client.cookies.clear()
    anonymous = client.get("/reports/audit", follow_redirects=False)
    assert anonymous.status_code == 303
    assert "/auth/continue" in anonymous.headers["location"]
    sign_in(client, signer, province.code, Role.INSPECTOR)
    assert 'href="/reports/audit"' in page.text
    sign_in(client, signer, Province.new().code, Role.INSPECTOR)
    assert _entries(client, record_id=f"{province.code}/2026-11") == []

    capsys.readouterr()
    assert manage.main(["verify-audit"]) == 0
    assert "reporting: audit log intact" in capsys.readouterr().out


def test_the_published_page_reads_in_vietnamese_without_sign_in(
    browser: Browser, infra: Infra, reporting_db: str, province: Province, signer: Any
) -> None:
    _counted(reporting_db, province)
    commune = province.communes[0]
    with psycopg.connect(reporting_db) as conn:
        for code in (province.code, commune):
            unit = reports.unit_in_subtree(code, code, db_session=conn)
            reports.close_month(
                unit, Period.parse("2026-11"), closed_by="Lãnh đạo", now=NOW, db_session=conn
            )
    settings = reporting_settings(infra, reporting_db, signer[1])
    with live_server(create_app(settings)) as url:
        context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        page = context.new_page()
        page.goto(f"{url}/cong-khai")
        page.get_by_role("link", name=f"Tháng 11/2026 · {commune}").click()
        expect(page.locator("#public-figures-heading")).to_contain_text("Tháng 11/2026")
        expect(page.locator("#public-received")).to_have_text("2")
        expect(page.locator("#public-on-time-rate")).to_have_text("50,00%")
        expect(page.locator("#public-rank")).to_have_text("Hạng 1/1")
        assert_fits(page, "public-month")
        assert_no_serious_violation(page, "public month")
        page.goto(f"{url}/cong-khai")
        assert_fits(page, "public-index")
        assert_no_serious_violation(page, "public index")
        page.goto(f"{url}/cong-khai/{commune}/2026-10")
        expect(page.locator("#message-heading")).to_have_text("Không có số liệu công khai")
        assert_no_serious_violation(page, "public not found")
        context.close()
