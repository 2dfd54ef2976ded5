"""The unit's head walks the follow-ups in a real headless Chromium, with JavaScript on
and off: decides on a comment first (a complaint), narrows the list to a district by its
name, opens a follow-up, closes it and reads the confirmation on the list. Every page is
checked at 1366 and 390 px (nothing overflowing or cut off: on a phone the tables become
cards) and by axe-core; the screenshots go to ``.test-artifacts/screenshots/followups-*``."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect

from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer
from services.ratings.app import create_app
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Infra
from tests.integration.ratings.conftest import settings_for
from tests.integration.ratings.test_staff_followups import (
    PROCEDURE_NAME,
    World,
    use_reference,
    world,
)
from tests.live_server import live_server

pytest_plugins = ["tests.browser"]

Signer = tuple[TokenIssuer, Path]
ENGLISH = ("Please", "Filter", "Close", "Unit", "Status", "open", "due_soon", "overdue")
"""Words that would betray an untranslated text or a raw code on the page."""


@pytest.fixture
def app(infra: Infra, ratings_db: str, signer: Signer) -> FastAPI:
    return create_app(settings_for(infra, ratings_db, signer[1]))


def _check(page: Page, name: str, javascript: bool) -> None:
    """No English word, nothing cut off at either width, and (with scripts) axe clean."""
    text = page.locator("main").inner_text()
    assert not [word for word in ENGLISH if f" {word} " in f" {text} "], text
    assert_fits(page, f"followups-{name}-{'js' if javascript else 'nojs'}")
    if javascript:  # axe is a script; the pages are the same HTML without it
        assert_no_serious_violation(page, name)


def _cards_on_a_phone(page: Page) -> None:
    """At 390 px each row is a card: no header row, the cells one under the other."""
    page.set_viewport_size({"width": 390, "height": 900})
    try:
        expect(page.locator("#followup-rows thead")).to_be_hidden()
        first, second = (
            page.locator("#followup-rows tbody tr").first.locator("td").nth(i) for i in (0, 1)
        )
        top, below = first.bounding_box(), second.bounding_box()
        assert top is not None
        assert below is not None
        assert below["y"] >= top["y"] + top["height"] - 1, (top, below)
    finally:
        page.set_viewport_size({"width": 1366, "height": 900})


def _walk(page: Page, server: str, w: World, javascript: bool) -> None:
    page.goto(f"{server}/staff/followups")
    triage = page.locator("section.triage")
    expect(triage).to_contain_text("Nên niêm yết lệ phí ở cửa")
    expect(page.locator("h2").first).to_contain_text("Ý kiến cần quyết định")
    expect(page.locator("#followup-rows")).to_contain_text("Công an huyện Đông")
    expect(page.locator("#followup-rows")).to_contain_text(PROCEDURE_NAME)
    expect(page.locator("#count-overdue .count")).to_have_text("1")
    _check(page, "list", javascript)
    _cards_on_a_phone(page)

    triage.get_by_role("button", name="Ý kiến là phản ánh, kiến nghị").click()
    expect(page.locator("#followup-heading")).to_contain_text(w.commented.dossier_code)
    expect(page.locator("#unit")).to_have_text("Công an huyện Tây")
    expect(page.locator("#procedure")).to_have_text(PROCEDURE_NAME)
    _check(page, "complaint", javascript)

    page.get_by_role("link", name="Về danh sách ý kiến").click()
    expect(page.locator("section.triage")).to_have_count(0)
    page.get_by_label("Đơn vị").select_option(label="Công an huyện Đông")
    page.get_by_role("button", name="Lọc", exact=True).click()
    rows = page.locator("#followup-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#followup-rows")).not_to_contain_text("Công an huyện Tây")
    _check(page, "filtered", javascript)

    page.get_by_role("link", name=w.overdue.dossier_code).click()
    expect(page.locator("#standing")).to_have_text("Quá hạn")
    _check(page, "detail", javascript)
    page.get_by_label("Kết quả xử lý (đã làm gì)").fill("Đã gọi điện xin lỗi, nhắc nhở cán bộ")
    page.get_by_role("button", name="Đóng, đã xử lý").click()
    notice = page.locator("#closed-notice")
    expect(notice).to_contain_text(f"Đã đóng phản ánh về hồ sơ {w.overdue.dossier_code}")
    expect(page.locator("#followup-rows")).not_to_contain_text(w.overdue.dossier_code)
    _check(page, "closed", javascript)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_head_decides_narrows_and_closes_on_any_screen(
    browser: Browser, app: FastAPI, ratings_db: str, signer: Signer, javascript: bool
) -> None:
    w = world(ratings_db)
    head = Officer(
        "truong.tinh",
        "Nguyễn Văn Trưởng",
        w.units.province,
        frozenset({Role.UNIT_HEAD, Role.STAFF_ENTRY}),
    )
    with live_server(app) as server:
        use_reference(app, w.units)
        context = browser.new_context(
            viewport={"width": 1366, "height": 900},
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            java_script_enabled=javascript,
        )
        context.add_cookies([{"name": TOKEN_COOKIE, "value": signer[0].issue(head), "url": server}])
        try:
            _walk(context.new_page(), server, w, javascript)
        finally:
            context.close()
