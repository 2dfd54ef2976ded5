"""A leader's journey through /reports in a real headless Chromium over a real server,
Kafka and PostgreSQL: the report in Vietnamese (names, the three on-time views and how
they differ, criteria with their names and maxima, "chưa có" where nothing was there to
count, no grade below the answer minimum, the change from last month, what needs attention
now), the period pickers and a bad period's inline error, a figure opened to its dossiers
and one dossier's timeline, the exports downloaded and read back, and the printable
report. Every page is checked at 1366 and 390 px (``assert_fits``) and by axe-core."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer
from services.reporting.app import create_app
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    Province,
    Topics,
    consumer_for,
    consuming,
    reporting_settings,
    stored_offsets,
)
from tests.integration.reporting.test_exactly_once import followup
from tests.live_server import live_server
from tests.services.reporting.events import Dossier, at

pytest_plugins = ["tests.browser"]

PROVINCE_NAME = "Công an tỉnh Thử Nghiệm"
COMMUNE_NAMES = ("Công an xã Tân Lập", "Công an xã Hòa Bình")
PROCEDURE_NAME = "Đăng ký thường trú (thử)"
CRITERIA_1_TO_4 = ("processing_time", "agencies_contacted", "visits", "procedure_information")


@pytest.fixture
def server(infra: Infra, reporting_db: str, signer: tuple[TokenIssuer, Path]) -> Iterator[str]:
    with live_server(create_app(reporting_settings(infra, reporting_db, signer[1]))) as url:
        yield url


def _name_the_catalogue(url: str, province: Province, procedure: str) -> None:
    """What intake's catalogue would have told reporting: the units' and procedure's names."""
    with psycopg.connect(url) as conn:
        codes = (province.code, *province.communes)
        for code, name in zip(codes, (PROVINCE_NAME, *COMMUNE_NAMES), strict=True):
            conn.execute("UPDATE units SET name = %s WHERE code = %s", (name, code))
        conn.execute(
            "INSERT INTO procedures (code, name, field, online_level) "
            "VALUES (%s, %s, 'residence', 'partial')",
            (procedure, PROCEDURE_NAME),
        )


@pytest.fixture
def november(
    infra: Infra, reporting_db: str, topics: Topics, province: Province
) -> dict[str, Dossier]:
    """Commune 0: a dossier finished late without a letter (officer can-bo-a; its rating's
    follow-up overdue) and one still
    open long past its appointment; commune 1: one finished on time. October: one received
    and finished."""
    procedure = f"9.{random.randrange(10**6):06d}"
    late = province.dossier(0, due_at=at(11, 9), procedure_code=procedure)
    rating = late.rated(at(12, 10), "very_satisfied", scores={n: 2 for n in CRITERIA_1_TO_4})
    stuck = province.dossier(0, due_at=at(5, 9), procedure_code=procedure)
    on_time = province.dossier(1, due_at=at(11, 9), procedure_code=procedure)
    october = province.dossier(1, received_at=at(20, 9, month=10), due_at=at(29, 9, month=10))
    events = [
        late.received(),
        late.assigned(at(2, 10), "can-bo-a"),
        late.completed(at(12, 9)),
        rating,
        followup(late, rating),  # opened 13/11, due 20/11, never closed
        stuck.received(),
        on_time.received(),
        on_time.completed(at(9, 9)),
        on_time.rated(at(9, 10), "satisfied"),
        october.received(),
        october.completed(at(28, 9, month=10)),
    ]
    topics.publish(events)
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == len(events), what="stored")
    _name_the_catalogue(reporting_db, province, procedure)
    return {"late": late, "stuck": stuck, "on_time": on_time}


def _signed_in(browser: Browser, signer: tuple[TokenIssuer, Path], unit: str) -> BrowserContext:
    officer = Officer("lanh.dao", "Lãnh đạo Công an tỉnh", unit, frozenset({Role.LEADER}))
    context = browser.new_context(locale="vi-VN", accept_downloads=True)
    context.add_cookies(
        [{"name": TOKEN_COOKIE, "value": signer[0].issue(officer), "url": "http://127.0.0.1"}]
    )
    return context


def _checked(page: Page, name: str) -> None:
    assert_fits(page, name)
    assert_no_serious_violation(page, name)
    body = page.locator("main").inner_text()
    for english in ("finished_", "not_enough_answers", "counts.", "Unprocessable"):
        assert english not in body, f"{name} shows {english!r}"


def _reads_the_report(page: Page, d: dict[str, Dossier]) -> None:
    expect(page.locator(".officer-unit")).to_contain_text(PROVINCE_NAME)
    expect(page.locator("#period-name")).to_have_text("Tháng 11/2026")
    views = page.locator("#on-time-views tbody tr")
    expect(views).to_have_count(3)
    expect(views.nth(0)).to_contain_text("50,00%")
    expect(views.nth(1)).to_contain_text("Cổng Dịch vụ công")
    expect(views.nth(2)).to_contain_text("Quyết định 766")
    how = page.locator("#on-time-views details p").first.text_content() or ""
    assert "Nghị định 61/2018/NĐ-CP" in how
    assert "chia cho" in how
    expect(page.locator('[data-rate="response_rate"]')).to_have_text("chưa có")
    expect(page.locator("#criteria tbody tr").first).to_contain_text(
        "1. Thời gian giải quyết hồ sơ so với thời hạn quy định"
    )
    expect(page.locator("#criteria tbody tr").first).to_contain_text("2 / 2")
    expect(page.locator("#ranking tbody tr")).to_have_count(2)
    expect(page.locator("#ranking tbody tr").first).to_contain_text("Chưa đủ phiếu (1/2)")
    expect(page.locator("#ranking .band")).to_have_count(0)
    expect(page.locator('[data-change="received"]')).to_contain_text("▲ 2")
    expect(page.locator("#attention-overdue")).to_contain_text(d["stuck"].code)
    expect(page.locator("#attention-overdue")).to_contain_text(PROCEDURE_NAME)
    expect(page.locator("#attention-letters .figure-value")).to_have_text("1")
    expect(page.locator("#attention-worst")).to_contain_text(COMMUNE_NAMES[0])
    expect(page.locator("#attention-followups li")).to_have_text(
        [f"{d['late'].code} · Hạn xử lý 20/11/2026 (quá hạn)"]
    )
    tick = "window.Chart.getChart(document.getElementById('trend-chart'))"
    assert page.evaluate(f"{tick}.options.scales.y.ticks.callback(60000)") == "60.000"
    resolved = "window.Chart.getChart(document.getElementById('trend-finished-chart'))"
    assert page.evaluate(f"{resolved}.data.datasets.map(d => d.data.at(-1))") == [2, 1]


def _picks_periods(page: Page, server: str, unit: str) -> None:
    page.select_option("#kind", "quarter")
    page.select_option("#quarter", "4")
    page.fill("#year", "2026")
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#period-name")).to_have_text("Quý IV/2026")
    page.select_option("#kind", "year")
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#period-name")).to_have_text("Năm 2026")
    page.select_option("#kind", "quarter")
    page.get_by_role("button", name="Lọc").click()
    answer = page.goto(f"{server}/reports?unit={unit}&period=11/2026&shown=2026-Q4")
    assert answer is not None
    assert answer.status == 422
    expect(page.locator("#period-error")).to_contain_text("Kỳ báo cáo “11/2026” không đúng")
    expect(page.locator("#period-name")).to_have_text("Quý IV/2026")  # the report is kept
    expect(page.locator('[data-measure="received"]').first).to_have_text("4")  # Q4: Oct + Nov
    _checked(page, "reports-bad-period")


def _opens_a_dossier(page: Page, late: Dossier) -> None:
    page.locator('a.figure-link:has([data-measure="finished_late"])').first.click()
    row = page.locator(f'#dossier-list tr[data-code="{late.code}"]')
    expect(row).to_contain_text(PROCEDURE_NAME)
    expect(row.locator('[data-label="Hạn giải quyết"]')).to_have_text("11/11/2026")
    expect(row.locator(".days-late")).to_have_text("1")
    expect(row.locator(".letter")).to_have_text("Chưa ban hành")
    expect(row).to_contain_text("can-bo-a")
    _checked(page, "reports-dossiers")
    row.locator("a.code").click()
    expect(page.locator("#dossier-procedure")).to_have_text(PROCEDURE_NAME)
    expect(page.locator("#timeline [data-step]")).to_have_text(
        [
            "Tiếp nhận hồ sơ",
            "Giao xử lý",
            "Có kết quả giải quyết",
            "Công dân đánh giá",
            "Mở phản ánh cần xử lý",
        ]
    )
    _checked(page, "reports-dossier")


def _download(page: Page, link: str) -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        page.locator(f'a[href^="{link}"]').first.click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    return download.suggested_filename, list(csv.reader(io.StringIO(text)))


def _exports(page: Page, province: Province) -> None:
    name, rows = _download(page, "/v1/reports/summary.csv")
    assert name == "bao-cao_cong-an-tinh-thu-nghiem_2026-11.csv"
    assert rows[0] == ["Chỉ tiêu", "Giá trị"]
    values = dict((r[0], r[1]) for r in rows[1:])
    assert values["Đơn vị"] == PROVINCE_NAME
    assert values["Tỷ lệ đúng hạn (theo quy định)"] == "50,00%"
    assert values["Tỷ lệ phản hồi"] == "chưa có"
    name, rows = _download(page, "/v1/reports/ranking.csv")
    assert name == "xep-hang_cong-an-tinh-thu-nghiem_2026-11.csv"
    assert {r[2]: r[3] for r in rows[1:]} == {n: "Chưa đủ phiếu (1/2)" for n in COMMUNE_NAMES}
    name, rows = _download(page, "/v1/reports/officers.csv")
    assert name == "diem-can-bo_cong-an-tinh-thu-nghiem_2026-11.csv"
    assert rows[0][0] == "Cán bộ xử lý"
    assert [r[0] for r in rows[1:]] == ["can-bo-a"]
    name, rows = _download(page, "/v1/reports/units.csv")
    assert rows[0][:3] == ["Mã", "Đơn vị", "Hồ sơ tiếp nhận trong kỳ (theo thời điểm tiếp nhận)"]
    assert {r[1] for r in rows[1:]} == set(COMMUNE_NAMES)


def test_a_leader_reads_acts_on_and_forwards_a_month(
    browser: Browser,
    server: str,
    province: Province,
    november: dict[str, Dossier],
    signer: tuple[TokenIssuer, Path],
) -> None:
    context = _signed_in(browser, signer, province.code)
    try:
        page = context.new_page()
        page.goto(f"{server}/reports?period=2026-11")
        _reads_the_report(page, november)
        _checked(page, "reports")
        _exports(page, province)
        page.locator('a[href^="/reports/print"]').first.click()
        expect(page.locator(".print-scope")).to_have_text(
            f"{PROVINCE_NAME} · Tháng 11/2026 · Theo đơn vị hiện nay (đã gộp đơn vị sáp nhập)"
        )
        page.emulate_media(media="print")
        expect(page.locator(".site-header nav")).to_be_hidden()
        page.emulate_media(media="screen")
        _checked(page, "reports-print")
        page.goto(f"{server}/reports?period=2026-11")
        _opens_a_dossier(page, november["late"])
        page.goto(f"{server}/reports?period=2026-11")
        _picks_periods(page, server, province.code)
    finally:
        context.close()
