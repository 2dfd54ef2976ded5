"""The citizen's form in a real headless Chromium over a real server and PostgreSQL:
filled and sent with JavaScript disabled and with it, on a phone-sized screen, by
keyboard; every page passes an axe-core audit (no serious or critical violation).

Screenshots go to ``.test-artifacts/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from motcua.identity import TOKEN_COOKIE, Role, TokenIssuer
from services.ratings.app import create_app
from services.ratings.criteria import criteria_for
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import screenshot
from tests.conftest import Infra
from tests.integration.ratings.conftest import PROVINCE, invite, settings_for
from tests.live_server import live_server

pytest_plugins = ["tests.browser"]

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def server(infra: Infra, ratings_db: str, signer: tuple[TokenIssuer, Path]) -> Iterator[str]:
    with live_server(create_app(settings_for(infra, ratings_db, signer[1]))) as url:
        yield url


def _fill(page: Page, online: bool, level: str) -> None:
    for criterion in criteria_for(online):
        page.check(f"#{criterion.value}-{level}")
    page.check(f"#overall-{level}")


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_citizen_fills_and_sends_the_form_on_a_phone(
    browser: Browser, server: str, ratings_db: str, javascript: bool
) -> None:
    invited = invite(ratings_db, online=True)
    context = browser.new_context(
        viewport=PHONE, locale="vi-VN", java_script_enabled=javascript, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto(f"{server}/r/{invited.token}")
        expect(page.locator("h2#rate-heading")).to_have_text("Phiếu đánh giá sự hài lòng")
        expect(page.locator("fieldset.criterion")).to_have_count(10)  # 9 criteria + overall
        if javascript:
            expect(page.locator("#comment-count")).to_be_visible()
        else:
            expect(page.locator("#comment-count")).to_be_hidden()
        if javascript:  # axe is a script: the no-JS run's pages are the same HTML
            assert_no_serious_violation(page, "rating form")
        screenshot(page, f"rating-form-{'js' if javascript else 'nojs'}")
        _fill(page, online=True, level="1")
        page.fill("#comment", "<script>alert('x')</script> Cán bộ nhiệt tình")
        page.get_by_role("button", name="Gửi đánh giá").click()
        expect(page).to_have_url(f"{server}/r/{invited.token}/done")
        expect(page.locator("h2")).to_have_text("Cảm ơn ông/bà đã đánh giá")
        if javascript:
            assert_no_serious_violation(page, "thanks page")
        screenshot(page, f"rating-thanks-{'js' if javascript else 'nojs'}")
        page.goto(f"{server}/r/{invited.token}")
        expect(page.locator("h2")).to_have_text("Hồ sơ đã được đánh giá")
    finally:
        context.close()


def test_errors_are_summarised_by_keyboard_and_the_form_is_audited(
    page: Page, server: str, ratings_db: str
) -> None:
    invited = invite(ratings_db)
    page.goto(f"{server}/r/{invited.token}")
    # Skip the browser's own check of required radios, to see the server's answer.
    page.evaluate("document.querySelector('form.rating-form').noValidate = true")
    page.check("#processing_time-0")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Gửi đánh giá").press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(6)  # 5 required criteria left, overall
    assert_no_serious_violation(page, "form with errors")
    screenshot(page, "rating-form-errors")
    expect(page.locator("#processing_time-0")).to_be_checked()


def test_the_kiosk_and_staff_pages_pass_the_audit(
    browser: Browser, server: str, ratings_db: str, signer: tuple[TokenIssuer, Path]
) -> None:
    from motcua.identity import Officer

    invited = invite(ratings_db)
    officer = Officer(
        "kiosk.hanoi", "Quầy 1", PROVINCE, frozenset({Role.STAFF_ENTRY, Role.UNIT_HEAD})
    )
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="vi-VN")
    context.add_cookies([{"name": TOKEN_COOKIE, "value": signer[0].issue(officer), "url": server}])
    try:
        page = context.new_page()
        page.goto(f"{server}/staff")
        assert_no_serious_violation(page, "staff home")
        page.get_by_role("link", name="Kiosk đánh giá tại quầy").click()
        page.fill("#dossier", invited.dossier_code)
        page.get_by_role("button", name="Tìm hồ sơ").click()
        assert_no_serious_violation(page, "kiosk form")
        _fill(page, online=False, level="0")
        page.get_by_role("button", name="Gửi đánh giá").click()
        expect(page.locator("#saved")).to_contain_text("trả máy cho cán bộ")
        page.goto(f"{server}/staff/paper?dossier={invite(ratings_db).dossier_code}")
        assert_no_serious_violation(page, "paper entry")
        screenshot(page, "staff-paper-entry")
        page.goto(f"{server}/staff/followups")
        expect(page.locator("#followup-rows")).to_contain_text(invited.dossier_code)
        assert_no_serious_violation(page, "follow-ups")
        page.get_by_role("link", name=invited.dossier_code).click()
        assert_no_serious_violation(page, "follow-up")
        screenshot(page, "staff-followup")
        page.goto(f"{server}/staff/ratings")
        expect(page.locator("#rating-rows")).to_contain_text(invited.dossier_code)
        assert_no_serious_violation(page, "answers received")
        screenshot(page, "staff-ratings")
    finally:
        context.close()
