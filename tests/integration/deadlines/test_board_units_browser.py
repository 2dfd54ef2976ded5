"""The board's unit filter on the national tree, in a real headless Chromium with JavaScript
off: a national officer picks a province, filters, then picks one of its communes by name;
the page fits a desk monitor and a phone at every step.

Screenshots go to ``.test-artifacts/screenshots/`` (git-ignored)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from services.deadlines.officers import register_officer
from tests.browser import assert_fits
from tests.conftest import Database
from tests.integration.conftest import Systems
from tests.integration.deadlines.conftest import PASSWORD, Platform

pytest_plugins = ["tests.browser"]

PROVINCES = "optgroup[label='Tỉnh, thành phố'] option"


@pytest.fixture
def no_script(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    try:
        yield context.new_page()
    finally:
        context.close()


def _national_officer(database: Database, intake_url: str) -> str:
    with psycopg.connect(intake_url) as conn:
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
    assert root
    username = f"truc.bo.{uuid.uuid4().hex[:6]}"
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        register_officer(username, "Trực ban Bộ", root[0], PASSWORD, db_session=conn)
    return username


def _log_in(page: Page, platform: Platform, username: str) -> None:
    page.goto(f"{platform.deadlines}/board/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{platform.deadlines}/board")


def _reference_loaded(page: Page) -> None:
    """Reload the board until the officers' web has read intake's unit tree: until then the
    page works and offers the officer's own unit only, as designed, and a test that signs in
    right after the web started may see that."""
    deadline = time.monotonic() + 45
    while page.locator("#filter-unit option").count() < 3:
        assert time.monotonic() < deadline, "the board never offered the unit tree"
        time.sleep(0.5)
        page.reload()


def _filter(page: Page) -> None:
    page.locator("form.filters button[type=submit]").click()


def test_a_national_officer_narrows_to_a_province_then_to_a_commune_without_script(
    no_script: Page, platform: Platform, database: Database, intake_url: str, systems: Systems
) -> None:
    page = no_script
    _log_in(page, platform, _national_officer(database, intake_url))
    _reference_loaded(page)
    select = page.locator("#filter-unit")
    # Names, not codes, grouped; the provinces first, none of their communes yet.
    expect(page.locator("#unit-hint")).to_be_visible()
    provinces = select.locator(PROVINCES)
    # Today's 34 (tests of the same session may add provinces of their own), none of
    # those the reform retired.
    assert provinces.count() >= 34
    expect(select.locator(PROVINCES, has_text="Hà Giang")).to_have_count(0)
    assert select.locator("option").count() < 200
    expect(select.locator(PROVINCES, has_text="Hà Nội")).to_have_count(1)
    assert_fits(page, "board-units-national")

    select.select_option(systems.hanoi_province)
    _filter(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query["unit"] == [systems.hanoi_province]
    hanoi = select.locator("optgroup").last
    communes = hanoi.locator("option", has_text="phường")
    assert communes.count() >= 50, "Hà Nội's wards are offered once it is chosen"
    labels = communes.all_inner_texts()
    assert all("." not in label.split("—")[-1] for label in labels), "names, not codes"
    assert_fits(page, "board-units-province")

    commune = communes.first.get_attribute("value")
    assert commune
    select.select_option(commune)
    _filter(page)
    assert parse_qs(urlsplit(page.url).query)["unit"] == [commune]
    expect(select.locator(f"option[value='{commune}']")).to_have_attribute("selected", "")
    expect(page.locator(".error-summary")).to_have_count(0)


def test_a_province_officer_gets_the_whole_province_at_once(
    no_script: Page, platform: Platform
) -> None:
    page = no_script
    _log_in(page, platform, "truc.hanoi")
    select = page.locator("#filter-unit")
    expect(page.locator("#unit-hint")).to_have_count(0)
    expect(select.locator("optgroup")).to_have_count(1)
    assert select.locator("option", has_text="phường").count() >= 50
    assert_fits(page, "board-units-hanoi")
