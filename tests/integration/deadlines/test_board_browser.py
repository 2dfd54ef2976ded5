"""The duty-officer board in a real headless Chromium: log in, watch a late dossier appear
live (server-sent events, no reload), acknowledge it, issue its apology letter; the pages
pass an axe-core audit, work by keyboard, and work without JavaScript.

Screenshots go to ``.test-artifacts/screenshots/`` (git-ignored)."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import psycopg
from playwright.sync_api import Browser, Page, expect

from motcua.identity import Role
from services.deadlines.officers import register_officer
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Database, Infra
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
    """A dossier received in 2017 through intake: overdue the moment deadlines sees it,
    and on the first page of the board, most urgent first, whatever other tests left on
    it (none of them receives dossiers that long ago)."""
    received = httpx.post(
        f"{platform.intake}/v1/dossiers",
        json=receive_command(systems.hanoi_commune, occurred_at="2017-03-01T09:30:00+07:00"),
        headers=auth(systems.hanoi),
        timeout=20,
    )
    assert received.status_code == 201, received.text
    return dict(received.json())


def _wait_on_board(platform: Platform, code: str) -> None:
    hanoi = httpx.Client(base_url=platform.deadlines, timeout=20)
    hanoi.post("/v1/session", json={"username": "truc.hanoi", "password": PASSWORD})
    deadline = time.monotonic() + 30
    while not hanoi.get("/v1/board", params={"dossier_code": code}).json()["items"]:
        assert time.monotonic() < deadline, "the dossier never reached the Hà Nội board"
        time.sleep(0.3)


def test_a_late_dossier_appears_live_and_the_officer_issues_its_letter(
    page: Page, platform: Platform, systems: Systems, infra: Infra
) -> None:
    _log_in(page, platform, "truc.hanoi")
    # The stream's first event reloads the rows once, for whatever changed between the
    # render and the subscription; the live update this test wants comes after it.
    expect(page.locator("body")).to_have_attribute("data-updates", re.compile(r"^[1-9]"))
    updates_before = page.evaluate("+document.body.dataset.updates")
    total_before = int(page.locator("#count-total .count").inner_text())

    code = _receive_late_dossier(platform, systems)["dossier_code"]
    posted = time.monotonic()
    row = page.locator("#rows tr", has_text=code)
    expect(row).to_be_visible(timeout=30_000)
    print(f"board showed {code} {time.monotonic() - posted:.2f}s after intake accepted it")
    assert page.evaluate("+document.body.dataset.updates") > updates_before, "not a live update"
    # The counts at the top follow live too, with no reload.
    assert int(page.locator("#count-total .count").inner_text()) > total_before
    expect(row).to_contain_text("Quá hạn")
    expect(row.get_by_role("link", name="Lập phiếu xin lỗi")).to_be_visible()
    expect(row.locator(".letter-left")).to_contain_text("Quá hạn")  # the letter was due in 2017
    assert_fits(page, "board-live")

    row.get_by_role("button", name=re.compile("^Xác nhận đã nhận biết")).click()
    expect(page.locator("#rows tr", has_text=code)).to_contain_text(
        "Đã nhận biết bởi Trực ban Hà Nội"
    )

    page.locator("#rows tr", has_text=code).get_by_role("link", name="Lập phiếu xin lỗi").click()
    page.fill("#reason", "Chờ kết quả xác minh nơi cư trú từ Công an tỉnh Quảng Ninh")
    page.fill("#extension_working_days", "3")
    page.get_by_role("button", name="Xác nhận và phát hành phiếu xin lỗi").click()
    expect(page.locator(".card")).to_contain_text("Đã phát hành phiếu số")
    expect(page.get_by_role("link", name="Mở / in phiếu")).to_be_visible()
    assert_fits(page, "letter-issued")

    page.goto(f"{platform.deadlines}/board")
    # The row leaves once the letter has gone round: deadlines' outbox relay, intake's
    # door (the reschedule), intake's relay, the worker, the board's NOTIFY to this page.
    expect(page.locator("#rows")).not_to_contain_text(code, timeout=30_000)


def _tab_until(page: Page, selector: str, presses: int = 60) -> None:
    """Press Tab until ``selector`` has the focus, and check its focus is visible."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            style = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
            )
            assert style[0] != "none", f"{selector}: no visible focus {style}"
            assert style[1] >= 2, f"{selector}: a focus outline too thin {style}"
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_the_pages_pass_an_accessibility_audit_and_work_by_keyboard(
    page: Page, platform: Platform, systems: Systems
) -> None:
    received = _receive_late_dossier(platform, systems)
    code = received["dossier_code"]
    _wait_on_board(platform, code)

    page.goto(f"{platform.deadlines}/board/login")
    assert_no_serious_violation(page, "login")
    assert_fits(page, "login")
    _tab_until(page, "a.skip-link")
    _tab_until(page, "#username")
    page.keyboard.type("truc.hanoi")
    _tab_until(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{platform.deadlines}/board")
    expect(page.locator("#rows tr", has_text=code)).to_be_visible()
    assert_no_serious_violation(page, "board")
    assert_fits(page, "board")

    controls = ("#filter-dossier_code", "#filter-unit", "#filter-status", "#filter-procedure")
    for control in (*controls, "#filter-field"):
        _tab_until(page, control)
    _tab_until(page, "#filter-letter")
    page.keyboard.press("Space")
    _tab_until(page, "form.filters button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        f"{platform.deadlines}/board?dossier_code=&unit=&status=&procedure=&field=&letter=to_issue"
    )
    expect(page.locator("#count-letters_to_issue")).to_have_attribute("aria-current", "true")
    expect(page.locator("#rows tr", has_text=code)).to_be_visible()
    assert_no_serious_violation(page, "filtered board")
    assert_fits(page, "board-filtered")

    page.goto(f"{platform.deadlines}/board?status=later")
    expect(page.locator("#error-status")).to_be_visible()
    assert_no_serious_violation(page, "refused filter")

    page.goto(f"{platform.deadlines}/board/dossiers/{received['dossier_id']}/letter")
    expect(page.locator("#reason")).to_be_visible()
    assert_no_serious_violation(page, "letter form")
    _tab_until(page, "#reason")
    _tab_until(page, "#extension_working_days")
    assert_fits(page, "letter-form")


def test_the_board_works_without_javascript(
    browser: Browser, platform: Platform, systems: Systems
) -> None:
    code = _receive_late_dossier(platform, systems)["dossier_code"]
    _wait_on_board(platform, code)
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    try:
        page = context.new_page()
        _log_in(page, platform, "truc.hanoi")
        expect(page.locator("#rows tr", has_text=code)).to_contain_text("Quá hạn")
        assert_fits(page, "board-no-js")  # the phone's cards are CSS alone
        page.select_option("#filter-status", "due_soon")
        page.get_by_role("button", name="Lọc").click()
        expect(page.locator("#rows")).not_to_contain_text(code)
        page.get_by_role("link", name="Bỏ lọc").click()
        expect(page.locator("#rows tr", has_text=code)).to_be_visible()
    finally:
        context.close()


def test_an_officer_never_sees_another_subtree(
    page: Page, platform: Platform, systems: Systems
) -> None:
    received = _receive_late_dossier(platform, systems)
    code, dossier_id = received["dossier_code"], received["dossier_id"]
    _wait_on_board(platform, code)

    _log_in(page, platform, "truc.haiphong")
    expect(page.locator("#rows")).not_to_contain_text(code)
    letter = page.goto(f"{platform.deadlines}/board/dossiers/{dossier_id}/letter")
    assert letter is not None
    assert letter.status == 404


_ENGLISH = re.compile(
    r"\b(Not Found|Forbidden|Unprocessable|Internal Server|Method Not Allowed|Unauthorized|"
    r"detail|error|Error|Please)\b"
)


def _check_page(page: Page, name: str, *, back: str | None = "/board") -> None:
    """A page a person lands on: Vietnamese, in the shared layout, a way back, axe-core
    clean, and nothing overflowing or cut off at 1366 and 390 px."""
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("main")).to_be_visible()
    english = _ENGLISH.findall(page.locator("body").inner_text())
    assert not english, f"{name}: English on the page: {english}"
    if back:
        expect(page.locator(f'main a[href="{back}"]').first).to_be_visible()
    assert_no_serious_violation(page, name)
    assert_fits(page, name)


def _issued_letter(platform: Platform, systems: Systems) -> dict[str, str]:
    """A late dossier of Hà Nội's with its apology letter issued (through the form)."""
    received = _receive_late_dossier(platform, systems)
    _wait_on_board(platform, received["dossier_code"])
    hanoi = httpx.Client(base_url=platform.deadlines, timeout=20)
    hanoi.post("/v1/session", json={"username": "truc.hanoi", "password": PASSWORD})
    issued = hanoi.post(
        f"/board/dossiers/{received['dossier_id']}/letter",
        data={"reason": "Chờ kết quả xác minh", "extension_working_days": "3"},
    )
    assert issued.status_code == 303, issued.text
    return received


def test_every_other_page_fits_both_screens_in_vietnamese_with_a_way_back(
    page: Page, platform: Platform, systems: Systems, database: Database
) -> None:
    received = _issued_letter(platform, systems)
    dossier_id = received["dossier_id"]

    page.goto(f"{platform.deadlines}/board/login")
    page.fill("#username", "truc.hanoi")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    _check_page(page, "page-login-wrong", back=None)
    _log_in(page, platform, "truc.hanoi")

    page.goto(f"{platform.deadlines}/board/dossiers/{dossier_id}/letter")
    expect(page.get_by_role("button", name="Phát hành bản đính chính")).to_be_visible()
    _check_page(page, "page-letter-correction")

    page.goto(f"{platform.deadlines}/board/letters")
    expect(page.locator(f'#letters tr[data-dossier="{dossier_id}"]')).to_be_visible()
    _check_page(page, "page-letters")

    for name, path, status in (
        ("page-unknown-dossier", f"/board/dossiers/{uuid.uuid4()}/letter", 404),
        ("page-malformed-dossier", "/board/dossiers/abc/letter", 404),
        ("page-unknown-pdf", f"/board/dossiers/{uuid.uuid4()}/letter.pdf", 404),
        ("page-unknown-batch", "/board/post/batches/99999999999", 404),
        ("page-no-such-page", "/board/no-such-page", 404),
        ("page-form-address", "/board/post/batches", 405),
        ("page-bad-filter", "/board?status=later", 422),
        ("page-bad-month", "/board/letters?month=11/2026", 422),
    ):
        shown = page.goto(f"{platform.deadlines}{path}")
        assert shown is not None
        assert shown.status == status, name
        _check_page(page, name)

    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        register_officer(
            "quay.hanoi",
            "Cán bộ quầy Hà Nội",
            systems.hanoi_commune,
            PASSWORD,
            roles={Role.STAFF_ENTRY},
            db_session=conn,
        )
    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(f"{platform.deadlines}/board")
    page.fill("#username", "quay.hanoi")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("main")).to_contain_text("Tài khoản của bạn không có vai trò")
    _check_page(page, "page-forbidden", back="/board/login")
    page.get_by_role("link", name="Đăng nhập bằng tài khoản khác").click()
    page.fill("#username", "truc.hanoi")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{platform.deadlines}/board")
