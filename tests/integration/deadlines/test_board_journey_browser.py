"""The duty officer's journey in a real headless Chromium, judged at 1366 and 390 px on
every page (sign-in, board, letter form, issued letters): nothing overflows or is cut off,
axe-core finds nothing serious. Along the way: "Sẽ trễ hạn" makes a due-soon dossier owe
its letter (and is undone), a live change elsewhere moves neither the focus nor the row
under it, the letter form names the applicant and previews the new appointment, going back
keeps the filters, and the issued letter is listed with its reprint and correction links.

Due-soon dossiers are put on the board as the worker would (``record_alert`` on deadlines'
database), under a code prefix of this test's own, so the board filtered by that prefix
holds only them. Screenshots go to ``.test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import psycopg
from playwright.sync_api import Browser, Page, expect

from services.deadlines.board.service import record_alert
from services.deadlines.tracking import Alert, AlertKind, DossierClock
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Database
from tests.integration.conftest import Systems, auth
from tests.integration.deadlines.conftest import Platform
from tests.integration.deadlines.test_board_browser import (
    _log_in,
    _receive_late_dossier,
    _wait_on_board,
)

pytest_plugins = ["tests.browser"]


def _due_soon(database: Database, systems: Systems, code: str, due_in: timedelta) -> str:
    """A due-soon dossier on the Hà Nội board, with its draft letter, as the worker puts it."""
    due_at = datetime.now(UTC) + due_in
    clock = DossierClock(
        dossier_id=str(uuid.uuid4()),
        dossier_code=code,
        unit_code=systems.hanoi_commune,
        unit_path=(systems.hanoi_province, systems.hanoi_commune),
        procedure_code="1.004222",
        due_at=due_at,
        original_due_at=due_at,
    )
    alert = Alert(AlertKind.DUE_SOON, clock.dossier_id, 1, due_at)
    with psycopg.connect(database.service_urls["deadlines"], autocommit=True) as conn:
        record_alert(alert, clock, due_at - timedelta(days=1), db_session=conn)
    return clock.dossier_id


def _check(page: Page, name: str) -> None:
    assert_no_serious_violation(page, name)
    assert_fits(page, name)


def test_the_sign_in_page_says_who_it_is_for_and_fits(browser: Browser, platform: Platform) -> None:
    context = browser.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        ratings = f"http://127.0.0.1:{platform.page_ports['ratings']}/staff/kiosk"
        page.goto(f"{platform.deadlines}/board/login?next={quote(ratings, safe='')}")
        expect(page).to_have_title("Đăng nhập Motcua — cán bộ · Motcua")
        expect(page.locator("#login-destination")).to_have_text(
            "Đăng nhập để vào trang Đánh giá sự hài lòng."
        )
        expect(page.locator("body")).not_to_contain_text("cán bộ trực")
        _check(page, "journey-sign-in")
        page.goto(f"{platform.deadlines}/board/login")
        expect(page.locator("#login-destination")).to_contain_text("Bảng theo dõi")
    finally:
        context.close()


def _row(page: Page, dossier_id: str) -> str:
    return f'#rows tr[data-dossier="{dossier_id}"]'


def _top(page: Page, selector: str) -> float:
    return float(page.eval_on_selector(selector, "el => el.getBoundingClientRect().top"))


def test_a_live_change_elsewhere_keeps_the_focus_and_the_row_in_place(
    page: Page, platform: Platform, systems: Systems, database: Database
) -> None:
    prefix = f"{systems.hanoi_commune}-{uuid.uuid4().hex[:6].upper()}"
    later = _due_soon(database, systems, f"{prefix}-0002", timedelta(days=2))
    page.set_viewport_size({"width": 1280, "height": 600})
    _log_in(page, platform, "truc.hanoi")
    page.goto(f"{platform.deadlines}/board?dossier_code={prefix}")
    expect(page.locator("body")).to_have_attribute("data-updates", re.compile(r"^[1-9]"))
    button = f"{_row(page, later)} button.expect-late"
    page.locator(button).scroll_into_view_if_needed()
    page.focus(button)
    top = _top(page, _row(page, later))

    # A dossier due sooner arrives: it goes in above the focused row.
    sooner = _due_soon(database, systems, f"{prefix}-0001", timedelta(days=1))
    expect(page.locator(_row(page, sooner))).to_be_attached(timeout=30_000)
    expect(page.locator("#board-announce")).to_have_text("1 hồ sơ mới sắp đến hạn.")
    order = page.eval_on_selector_all("#rows tr", "rows => rows.map(r => r.dataset.dossier)")
    assert order == [sooner, later]
    focused = page.evaluate("() => document.activeElement.closest('tr')?.dataset.dossier")
    assert focused == later, "the live update moved the focus"
    assert page.evaluate("() => document.activeElement.matches('button.expect-late')")
    assert abs(_top(page, _row(page, later)) - top) < 1, "the focused row moved on screen"


def test_the_officers_journey_fits_every_screen(
    page: Page, platform: Platform, systems: Systems, database: Database
) -> None:
    received = _receive_late_dossier(platform, systems)
    code, late_id = received["dossier_code"], received["dossier_id"]
    _wait_on_board(platform, code)
    prefix = f"{systems.hanoi_commune}-{uuid.uuid4().hex[:6].upper()}"
    soon = _due_soon(database, systems, f"{prefix}-0001", timedelta(days=2))
    _due_soon(database, systems, f"{prefix}-0002", timedelta(days=3))
    _log_in(page, platform, "truc.hanoi")

    # Two due-soon dossiers: none owes its letter until marked "Sẽ trễ hạn".
    page.goto(f"{platform.deadlines}/board?dossier_code={prefix}")
    expect(page.locator("#count-total .count")).to_have_text("2")
    expect(page.locator("#count-letters_to_issue .count")).to_have_text("0")
    expect(page.locator("#count-total")).to_contain_text("Đang theo dõi (sắp đến hạn + quá hạn)")
    expect(page.locator("#counts-note")).to_contain_text("không phải số hồ sơ")
    _check(page, "journey-board-due-soon")
    page.locator(_row(page, soon)).get_by_role("button", name=re.compile("^Sẽ trễ hạn")).click()
    expect(page).to_have_url(re.compile(r"/board\?dossier_code="))
    row = page.locator(_row(page, soon))
    expect(row).to_contain_text("Sẽ trễ hạn — đánh dấu bởi Trực ban Hà Nội")
    expect(row.get_by_role("link", name=re.compile("^Lập phiếu xin lỗi"))).to_be_visible()
    expect(row.locator(".letter-left")).to_contain_text("Còn")  # the apology deadline's countdown
    expect(page.locator("#count-letters_to_issue .count")).to_have_text("1")
    page.goto(f"{platform.deadlines}/board?dossier_code={prefix}&letter=to_issue")
    expect(page.locator("#rows tr[data-dossier]")).to_have_count(1)
    page.goto(f"{platform.deadlines}/board?dossier_code={prefix}")
    page.locator(_row(page, soon)).get_by_role("button", name=re.compile("^Bỏ đánh dấu")).click()
    expect(page.locator("#count-letters_to_issue .count")).to_have_text("0")

    # The overdue dossier, found by the beginning of its code; acknowledged by name.
    page.goto(f"{platform.deadlines}/board")
    page.fill("#filter-dossier_code", code[:-2])
    page.get_by_role("button", name="Lọc").click()
    late = page.locator(_row(page, late_id))
    expect(late).to_contain_text("Quá hạn")
    _check(page, "journey-board")
    late.get_by_role("button", name=re.compile("^Xác nhận đã nhận biết")).click()
    expect(page.locator(_row(page, late_id))).to_contain_text("Đã nhận biết bởi Trực ban Hà Nội")
    board_url = page.url

    # The letter form: the applicant, the new date before confirming, the way back.
    page.locator(_row(page, late_id)).get_by_role(
        "link", name=re.compile("^Lập phiếu xin lỗi")
    ).click()
    expect(page.locator("#applicant")).to_contain_text("Nguyễn Thị Minh Khai")
    expect(page.locator("#preview")).to_contain_text("ngày hẹn mới là")
    _check(page, "journey-letter-form")
    page.fill("#extension_working_days", "3")
    page.get_by_role("button", name="Xem trước ngày hẹn mới").click()
    expect(page.locator("#preview")).to_contain_text("gia hạn 3 ngày làm việc")
    expect(page.locator("#back-to-board")).to_have_attribute(
        "href", board_url.removeprefix(platform.deadlines)
    )
    page.fill("#reason", "Chờ kết quả xác minh nơi cư trú từ Công an tỉnh Quảng Ninh")
    page.get_by_role("button", name="Xác nhận và phát hành phiếu xin lỗi").click()
    expect(page.locator(".card")).to_contain_text("Đã phát hành phiếu số")
    page.locator("#back-to-board").click()
    expect(page).to_have_url(board_url)

    # The issued letter stays findable: this month's letters, reprint and correction.
    page.get_by_role("link", name="Phiếu xin lỗi đã ban hành").click()
    listed = page.locator(f'#letters tr[data-dossier="{late_id}"]')
    expect(listed).to_contain_text(code)
    expect(listed).to_contain_text("Trực ban Hà Nội")
    procedure = httpx.get(
        f"{platform.intake}/v1/dossiers/{code}/receipt", headers=auth(systems.hanoi), timeout=20
    ).json()["receipt"]
    expect(listed).to_contain_text(procedure["procedure_name"])
    expect(listed).not_to_contain_text(procedure["procedure_code"])  # a name, not a code
    expect(listed.get_by_role("link", name=re.compile("^In lại"))).to_have_attribute(
        "href", f"/board/dossiers/{late_id}/letter.pdf?episode=1&version=1"
    )
    _check(page, "journey-letters")
    listed.get_by_role("link", name=re.compile("^Đính chính")).click()
    expect(page.get_by_role("button", name="Phát hành bản đính chính")).to_be_visible()
    page.goto(f"{platform.deadlines}/board/letters?month=11/2026")
    expect(page.locator(".error-summary")).to_contain_text("Chọn một tháng")
