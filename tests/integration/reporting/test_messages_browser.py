"""The leaders' pages not walked by the journey, in a real headless Chromium over a real
server, Kafka and PostgreSQL: a month closed (its confirmation) and then corrected by a
late event (the corrections beside the frozen figures), a second closing refused, and the
messages for a role the reports are not for, an unknown dossier, a bad period on the
printable report and a service without its sign-in key. Every page is checked at 1366 and
390 px (``assert_fits``), by axe-core, for English and for ISO periods; the screenshots go
to ``.test-artifacts/screenshots/reports-*``."""

from __future__ import annotations

import re
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
from tests.live_server import live_server
from tests.services.reporting.events import at

pytest_plugins = ["tests.browser"]

Signer = tuple[TokenIssuer, Path]
PROVINCE_NAME = "Công an tỉnh Chốt Số"
ENGLISH = ("Forbidden", "Not Found", "Unprocessable", "Error", "None", "counts.", "2026-11")
"""What would betray an untranslated text, a raw key or an ISO period on the page."""


@pytest.fixture
def server(infra: Infra, reporting_db: str, signer: Signer) -> Iterator[str]:
    with live_server(create_app(reporting_settings(infra, reporting_db, signer[1]))) as url:
        yield url


def _context(browser: Browser, signer: Signer, officer: Officer | None) -> BrowserContext:
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    if officer is not None:
        token = signer[0].issue(officer)
        context.add_cookies([{"name": TOKEN_COOKIE, "value": token, "url": "http://127.0.0.1"}])
    return context


def _checked(page: Page, name: str) -> None:
    text = page.locator("main").inner_text()
    assert not [word for word in ENGLISH if word in text], text
    assert_fits(page, name)
    assert_no_serious_violation(page, name)


def _leader(unit: str) -> Officer:
    return Officer("lanh.dao", "Lãnh đạo Công an tỉnh", unit, frozenset({Role.LEADER}))


def test_a_month_closed_then_corrected_and_closed_twice_reads_in_vietnamese(
    browser: Browser,
    server: str,
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    signer: Signer,
) -> None:
    topics.publish([province.dossier(i % 2, due_at=at(20, 9)).received() for i in range(2)])
    consumer = consumer_for(infra, reporting_db, topics)
    with consuming(consumer):
        wait_for(lambda: stored_offsets(reporting_db, topics) == 2, what="stored")
        with psycopg.connect(reporting_db) as conn:
            conn.execute(
                "UPDATE units SET name = %s WHERE code = %s", (PROVINCE_NAME, province.code)
            )
        context = _context(browser, signer, _leader(province.code))
        try:
            page, late_tab = context.new_page(), context.new_page()
            for tab in (page, late_tab):
                tab.goto(f"{server}/reports?period=2026-11")
            page.get_by_role("button", name="Chốt số liệu tháng 11/2026").click()
            expect(page.locator("#closed-notice")).to_have_text(
                re.compile(r"^Đã chốt số liệu tháng 11/2026 lúc \d{2}:\d{2} \d{2}/\d{2}/\d{4}\.$")
            )
            _checked(page, "reports-closed")

            late_tab.get_by_role("button", name="Chốt số liệu tháng 11/2026").click()
            expect(late_tab.locator("#message-heading")).to_have_text(
                "Báo cáo kết quả giải quyết hồ sơ"
            )
            expect(late_tab.locator("#message")).to_contain_text("mỗi tháng chỉ chốt một lần")
            _checked(late_tab, "reports-close-refused")
            late_tab.get_by_role("link", name="← Về báo cáo").click()
            expect(late_tab.locator("#closed-heading")).to_be_visible()

            topics.publish([province.dossier(0, due_at=at(20, 9)).received()])  # late for Nov
            wait_for(lambda: stored_offsets(reporting_db, topics) == 3, what="the late event")
            page.goto(f"{server}/reports?period=2026-11")
            corrections = page.locator("#corrections tbody tr")
            expect(corrections.first).to_contain_text("+1")
            expect(page.locator("#closed-notice")).not_to_have_attribute("role", "status")
            _checked(page, "reports-corrections")
        finally:
            context.close()


def test_refusals_are_pages_in_vietnamese_with_a_way_back(
    browser: Browser, server: str, province: Province, signer: Signer
) -> None:
    duty = Officer("truc.ban", "Lê Văn Trực", province.code, frozenset({Role.DUTY_OFFICER}))
    context = _context(browser, signer, duty)
    try:
        page = context.new_page()
        assert (answer := page.goto(f"{server}/reports")) is not None
        assert answer.status == 403
        expect(page.locator("#message-heading")).to_have_text("Không có quyền")
        expect(page.locator("#message")).to_have_text(
            "Trang này dành cho lãnh đạo và thủ trưởng đơn vị."
        )
        _checked(page, "reports-forbidden")
    finally:
        context.close()
    context = _context(browser, signer, _leader(province.code))
    try:
        page = context.new_page()
        for name, path, status, says in (
            ("reports-no-dossier", "/reports/dossiers/KHONG-CO-0001", 404, ""),
            ("reports-print-bad-period", "/reports/print?period=13/2026", 422, "Kỳ báo cáo"),
        ):
            assert (answer := page.goto(f"{server}{path}")) is not None
            assert answer.status == status
            expect(page.locator("#message")).to_contain_text(says)
            expect(page.locator("#back")).to_have_attribute("href", "/reports")
            _checked(page, name)
    finally:
        context.close()


def test_a_service_without_its_sign_in_key_says_so_in_vietnamese(
    browser: Browser, infra: Infra, reporting_db: str, signer: Signer
) -> None:
    settings = reporting_settings(infra, reporting_db, signer[1], officer_token_public_key_file="")
    keyless = create_app(settings)
    with live_server(keyless) as server:
        context = _context(browser, signer, None)
        try:
            page = context.new_page()
            assert (answer := page.goto(f"{server}/reports")) is not None
            assert answer.status == 503
            expect(page.locator("#message")).to_contain_text("Dịch vụ chưa có khóa công khai")
            expect(page.locator("#back")).to_have_count(0)
            _checked(page, "reports-signin-unavailable")
        finally:
            context.close()
