"""The duty-officer board in a real headless Chromium: log in, watch a late dossier appear
live (server-sent events, no reload), acknowledge it, issue its apology letter."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.conftest import Infra
from tests.integration.conftest import Systems, auth, receive_command
from tests.integration.deadlines.conftest import PASSWORD, Platform

pytest_plugins = ["tests.browser"]


def _log_in(page: Page, platform: Platform, username: str) -> None:
    page.goto(f"{platform.deadlines}/board")
    expect(page).to_have_url(f"{platform.deadlines}/board/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{platform.deadlines}/board")


def _receive_late_dossier(platform: Platform, systems: Systems) -> dict[str, str]:
    """A dossier received in 2025 through intake: overdue the moment deadlines sees it."""
    received = httpx.post(
        f"{platform.intake}/v1/dossiers",
        json=receive_command(systems.hanoi_commune),
        headers=auth(systems.hanoi),
        timeout=20,
    )
    assert received.status_code == 201, received.text
    return dict(received.json())


def test_a_late_dossier_appears_live_and_the_officer_issues_its_letter(
    page: Page, platform: Platform, systems: Systems, infra: Infra, tmp_path: Path
) -> None:
    _log_in(page, platform, "truc.hanoi")
    updates_before = page.evaluate("+document.body.dataset.updates || 0")

    code = _receive_late_dossier(platform, systems)["dossier_code"]
    posted = time.monotonic()
    row = page.locator("#rows tr", has_text=code)
    expect(row).to_be_visible(timeout=30_000)
    print(f"board showed {code} {time.monotonic() - posted:.2f}s after intake accepted it")
    assert page.evaluate("+document.body.dataset.updates") > updates_before, "not a live update"
    expect(row).to_contain_text("Quá hạn")
    expect(row.get_by_role("link", name="Lập phiếu xin lỗi")).to_be_visible()
    expect(row.locator(".letter-left")).to_contain_text("Quá hạn")  # the letter was due in 2025
    page.screenshot(path=tmp_path / "board-live.png", full_page=True)

    row.get_by_role("button", name="Đã xem").click()
    expect(page.locator("#rows tr", has_text=code)).to_contain_text("Đã xem: truc.hanoi")

    page.locator("#rows tr", has_text=code).get_by_role("link", name="Lập phiếu xin lỗi").click()
    page.fill("#reason", "Chờ kết quả xác minh nơi cư trú từ Công an tỉnh Quảng Ninh")
    page.fill("#extension_working_days", "3")
    page.get_by_role("button", name="Xác nhận và phát hành phiếu xin lỗi").click()
    expect(page.locator(".card")).to_contain_text("Đã phát hành phiếu số")
    expect(page.get_by_role("link", name="Mở / in phiếu")).to_be_visible()
    page.screenshot(path=tmp_path / "letter-issued.png", full_page=True)
    assert (tmp_path / "board-live.png").read_bytes().startswith(b"\x89PNG")

    page.goto(f"{platform.deadlines}/board")
    expect(page.locator("#rows")).not_to_contain_text(code)


def test_an_officer_never_sees_another_subtree(
    page: Page, platform: Platform, systems: Systems
) -> None:
    received = _receive_late_dossier(platform, systems)
    code, dossier_id = received["dossier_code"], received["dossier_id"]
    hanoi = httpx.Client(base_url=platform.deadlines, timeout=20)
    hanoi.post("/v1/session", json={"username": "truc.hanoi", "password": PASSWORD})
    deadline = time.monotonic() + 30
    while not hanoi.get("/v1/board", params={"dossier_code": code}).json()["items"]:
        assert time.monotonic() < deadline, "the dossier never reached the Hà Nội board"
        time.sleep(0.3)

    _log_in(page, platform, "truc.haiphong")
    expect(page.locator("#rows")).not_to_contain_text(code)
    letter = page.goto(f"{platform.deadlines}/board/dossiers/{dossier_id}/letter")
    assert letter is not None
    assert letter.status == 404
