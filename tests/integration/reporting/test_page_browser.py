"""The leaders' page in a real headless Chromium over a real server, Kafka and PostgreSQL:
the figures, the chart drawn by the vendored Chart.js, a figure opened to its dossiers,
the figures moving as events arrive (no reload), a month closed; readable without
JavaScript, on a phone, with no serious axe-core violation.

Screenshots go to ``.test-artifacts/screenshots/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer
from services.reporting.app import create_app
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits, screenshot
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

PHONE: ViewportSize = {"width": 390, "height": 844}
CLOSED_AT = re.compile(r"^Đã chốt số liệu tháng 11/2026 lúc \d{2}:\d{2} \d{2}/\d{2}/\d{4}\.$")
"""The confirmation after closing November: the period and the time a person reads."""


@pytest.fixture
def server(infra: Infra, reporting_db: str, signer: tuple[TokenIssuer, Path]) -> Iterator[str]:
    with live_server(create_app(reporting_settings(infra, reporting_db, signer[1]))) as url:
        yield url


def _signed_in(browser: Browser, signer: tuple[TokenIssuer, Path], unit: str, **options: object):  # type: ignore[no-untyped-def]
    officer = Officer("lanh.dao", "Lãnh đạo Công an tỉnh", unit, frozenset({Role.LEADER}))
    context = browser.new_context(locale="vi-VN", **options)  # type: ignore[arg-type]
    context.add_cookies(
        [{"name": TOKEN_COOKIE, "value": signer[0].issue(officer), "url": "http://127.0.0.1"}]
    )
    return context


def test_a_leader_reads_opens_and_watches_the_figures_move(
    browser: Browser,
    server: str,
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    signer: tuple[TokenIssuer, Path],
) -> None:
    dossiers = [province.dossier(i % 2, due_at=at(11, 9)) for i in range(3)]
    events = [d.received() for d in dossiers] + [dossiers[0].completed(at(12, 9))]
    topics.publish(events)
    consumer = consumer_for(infra, reporting_db, topics)
    with consuming(consumer):
        wait_for(lambda: stored_offsets(reporting_db, topics) == 4, what="stored")
        context = _signed_in(browser, signer, province.code)
        try:
            page = context.new_page()
            page.goto(f"{server}/reports?period=2026-11")
            received = page.locator('#timeliness-heading ~ dl [data-measure="received"]').first
            expect(received).to_have_text("3")
            expect(page.locator('[data-measure="finished_late"]').first).to_have_text("1")
            expect(page.locator("#units tbody tr")).to_have_count(2)
            assert page.evaluate("typeof window.Chart") == "function"
            assert page.evaluate(
                "window.Chart.getChart(document.getElementById('trend-chart')) !== undefined"
            )
            assert_no_serious_violation(page, "reports page")
            screenshot(page, "reports-desktop")

            late = province.dossier(1, due_at=at(11, 9))
            topics.publish([late.received()])
            expect(received).to_have_text("4", timeout=20_000)  # refreshed without a reload

            page.locator('a.figure-link:has([data-measure="finished_late"])').first.click()
            expect(page.locator("#dossier-list a.code")).to_have_text([dossiers[0].code])
            assert_no_serious_violation(page, "dossiers behind a figure")

            page.goto(f"{server}/reports?period=2026-11")
            page.get_by_role("button", name="Chốt số liệu tháng 11/2026").click()
            expect(page.locator("#closed-heading")).to_be_visible()
            expect(page.locator("#closed-heading")).to_have_text("Số liệu tháng này đã chốt")
            notice = page.locator("#closed-notice")
            expect(notice).to_have_attribute("role", "status")
            expect(notice).to_have_text(CLOSED_AT)
            expect(page.locator("#closed-heading ~ p").nth(1)).to_contain_text(
                "Chốt bởi Lãnh đạo Công an tỉnh"
            )
            assert "2026-11" not in page.locator("main").inner_text()
        finally:
            context.close()


def test_the_page_reads_on_a_phone_without_javascript(
    browser: Browser,
    server: str,
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    signer: tuple[TokenIssuer, Path],
) -> None:
    dossier = province.dossier()
    topics.publish([dossier.received()])
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == 1, what="stored")
    context = _signed_in(
        browser, signer, province.code, viewport=PHONE, is_mobile=True, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(f"{server}/reports?period=2026-11")
        expect(page.locator('[data-measure="received"]').first).to_have_text("1")
        expect(page.locator("#trend tbody tr")).to_have_count(12)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
        screenshot(page, "reports-phone-nojs")
        assert_fits(page, "reports-nojs")  # 1366 and 390 px, tables as cards on the phone
    finally:
        context.close()
