"""The counter's journeys in a real headless Chromium, over a real intake and ratings on
PostgreSQL: the kiosk a citizen holds (search, form, thank-you, automatic return; unknown,
not yet returned and already rated, each with its way back), paper entry (valid, invalid,
a serial used twice), phone entry (the number unmasked and the unmasking recorded, a call's
outcome recorded and counted apart), the messages page, and the citizen's own form on a
phone with JavaScript on and off.

Every page is screenshotted at 1366 and 390 px by ``assert_fits`` (failing on content that
overflows or is cut off) into ``.test-artifacts/screenshots/`` and audited by axe-core.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from prometheus_client import REGISTRY

from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer
from motcua.reference import IntakeReference
from services.intake.app import create_app as create_intake_app
from services.intake.auth import Scope, register_system
from services.ratings.app import create_app
from services.ratings.criteria import criteria_for
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Infra
from tests.integration.conftest import Systems, auth, receive_command
from tests.integration.intake.conftest import intake_settings
from tests.integration.ratings.conftest import Invited, invite, settings_for
from tests.live_server import live_server

pytest_plugins = ["tests.browser"]

PHONE_NUMBER = "0912345678"
KIOSK_PARTS = (".site-nav", ".account", "form[action$='/logout']")
"""What the officers' header shows, and the kiosk must not."""


@dataclass(frozen=True)
class Counter:
    intake: str
    ratings: str
    systems: Systems
    ratings_db: str
    intake_db: str
    signer: tuple[TokenIssuer, Path]

    def dossier(self, *, returned: bool = True) -> dict[str, Any]:
        """A dossier received by intake at a Hà Nội commune (and returned, by default)."""
        command = receive_command(
            self.systems.hanoi_commune,
            applicant={
                "full_name": "Trần Văn Bình",
                "id_number": "001190054321",
                "phone": PHONE_NUMBER,
            },
        )
        created = httpx.post(
            f"{self.intake}/v1/dossiers", json=command, headers=auth(self.systems.hanoi)
        )
        assert created.status_code == 201, created.text
        code = created.json()["dossier_code"]
        steps = (
            ("2025-04-22T10:00:00+07:00", {"transition": "complete", "outcome": "granted"}),
            ("2025-04-22T11:00:00+07:00", {"transition": "return_result", "channel": "counter"}),
        )
        for at, step in steps if returned else ():
            moved = httpx.post(
                f"{self.intake}/v1/dossiers/{code}/events",
                json={"event_id": f"up-{uuid.uuid4()}", "occurred_at": at, **step},
                headers=auth(self.systems.hanoi),
            )
            assert moved.status_code == 200, moved.text
        view = httpx.get(f"{self.intake}/v1/dossiers/{code}", headers=auth(self.systems.hanoi))
        assert view.status_code == 200, view.text
        body: dict[str, Any] = view.json()
        return body

    def invited(self) -> Invited:
        """A returned dossier of intake's and its rating invitation."""
        dossier = self.dossier()
        return invite(
            self.ratings_db,
            unit_path=tuple(dossier["unit_path"]),
            code=dossier["dossier_code"],
            procedure=dossier["procedure_code"],
        )

    def names(self, invited: Invited) -> tuple[str, str, str]:
        """The unit's name and public phone, the procedure's name, as intake holds them."""
        with psycopg.connect(self.intake_db) as conn:
            unit = conn.execute(
                "SELECT name, public_phone FROM units WHERE code = %s", (invited.unit_code,)
            ).fetchone()
            procedure = conn.execute(
                "SELECT p.name FROM procedures p JOIN dossiers d ON d.procedure_code = p.code "
                "WHERE d.code = %s",
                (invited.dossier_code,),
            ).fetchone()
        assert unit
        assert procedure
        return str(unit[0]), str(procedure[0]), str(unit[1])

    def unit_name(self, code: str) -> str:
        with psycopg.connect(self.intake_db) as conn:
            row = conn.execute("SELECT name FROM units WHERE code = %s", (code,)).fetchone()
        assert row
        return str(row[0])

    def officer_context(self, browser: Browser, *roles: Role, **options: Any) -> BrowserContext:
        officer = Officer(
            f"quay.{uuid.uuid4().hex[:6]}",
            "Cán bộ quầy",
            self.systems.hanoi_province,
            frozenset(roles or {Role.STAFF_ENTRY}),
        )
        context = browser.new_context(
            viewport={"width": 1366, "height": 900}, locale="vi-VN", **options
        )
        context.add_cookies(
            [{"name": TOKEN_COOKIE, "value": self.signer[0].issue(officer), "url": self.ratings}]
        )
        return context


@pytest.fixture
def counter(
    infra: Infra,
    intake_url: str,
    systems: Systems,
    ratings_db: str,
    signer: tuple[TokenIssuer, Path],
) -> Iterator[Counter]:
    with psycopg.connect(intake_url) as conn:
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        _, key = register_system(
            f"ratings-{uuid.uuid4().hex[:6]}", root[0], [Scope.READ], db_session=conn
        )
    intake_app = create_intake_app(intake_settings(infra, intake_url, inbound_enabled=False))
    with live_server(intake_app) as intake:
        app = create_app(
            settings_for(infra, ratings_db, signer[1], intake_url=intake, intake_api_key=key)
        )
        with live_server(app) as ratings:
            _wait_for_names(app.state.ratings.reference)
            yield Counter(intake, ratings, systems, ratings_db, intake_url, signer)


def _wait_for_names(reference: IntakeReference) -> None:
    """Until ratings' first read of intake's reference data (a task of its lifespan)."""
    deadline = time.monotonic() + 30
    while not reference.loaded:
        assert time.monotonic() < deadline, "ratings did not read intake's names"
        time.sleep(0.05)


def _fill(page: Page, level: str = "1") -> None:
    for criterion in criteria_for(False):
        if criterion.value not in ("feedback_handling", "other"):
            page.check(f"#{criterion.value}-{level}")
    page.check(f"#overall-{level}")


def _no_staff_header(page: Page) -> None:
    for part in KIOSK_PARTS:
        expect(page.locator(part)).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Đăng xuất")


def _search(page: Page, code: str) -> None:
    page.fill("#dossier", code)
    page.get_by_role("button", name="Tìm hồ sơ").click()


def _checked_page(page: Page, name: str) -> None:
    assert_fits(page, name)
    assert_no_serious_violation(page, name)


def test_the_kiosk_walks_a_citizen_from_the_search_to_the_thanks_and_back(
    browser: Browser, counter: Counter
) -> None:
    invited = counter.invited()
    unit_name, procedure_name, unit_phone = counter.names(invited)
    context = counter.officer_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{counter.ratings}/staff/kiosk")
        _no_staff_header(page)
        page.fill("#dossier", invited.dossier_code)
        code_box = page.locator("#dossier")
        expect(code_box).to_have_value(invited.dossier_code)
        assert code_box.evaluate("el => el.scrollWidth <= el.clientWidth"), "the code is cut"
        expect(page.locator("#staff-step")).to_have_text(re.compile("^Dành cho cán bộ: .*trao máy"))
        _checked_page(page, "kiosk-search")
        page.get_by_role("button", name="Tìm hồ sơ").click()

        expect(page.locator("#kiosk-intro")).to_contain_text("hồ sơ của ông/bà")
        expect(page.locator("main")).not_to_contain_text("trao máy")  # the citizen holds it
        expect(page.locator("main")).not_to_contain_text("Dành cho cán bộ")

        expect(page.locator("#unit-name")).to_have_text(unit_name)
        expect(page.locator("#procedure-name")).to_have_text(procedure_name)
        expect(page.locator(".criterion .number")).to_have_text([f"{n}." for n in range(1, 9)])
        expect(page.locator("body")).not_to_contain_text("nếu có")
        expect(page.locator(".criterion .optional")).to_have_text(["(không bắt buộc)"] * 2)
        _no_staff_header(page)
        _checked_page(page, "kiosk-form")
        _fill(page)
        with page.expect_response(lambda r: "/staff/kiosk/done" in r.url) as thanks:
            page.get_by_role("button", name="Gửi đánh giá").click()
        # The return works without script: the HTTP Refresh header, not a meta tag.
        assert thanks.value.headers["refresh"] == "10;url=/staff/kiosk"

        expect(page.locator("h2")).to_have_text("Cảm ơn ông/bà đã đánh giá")
        expect(page.locator("#return-note")).to_have_text("Màn hình sẽ quay về sau 10 giây.")
        expect(page.locator("#rating-reference")).to_have_text(re.compile(r"^ĐG-[0-9A-F]{8}$"))
        expect(page.locator("#call-us")).to_have_text(f"Nếu cần phản ánh thêm, gọi {unit_phone}.")
        expect(page.get_by_role("link", name="Quay về ngay")).to_be_visible()
        _no_staff_header(page)
        _checked_page(page, "kiosk-thanks")
        expect(page).to_have_url(f"{counter.ratings}/staff/kiosk", timeout=30_000)
        expect(page.locator("#dossier")).to_be_visible()

        page.go_back()  # the thank-you again, and "stay" switches the return off
        with page.expect_response(lambda r: "stay=1" in r.url) as stayed:
            page.get_by_role("link", name="Giữ màn hình này").click()
        assert "refresh" not in stayed.value.headers
        expect(page.locator("#return-note")).to_have_count(0)
        expect(page.locator("#rating-reference")).to_have_text(re.compile(r"^ĐG-[0-9A-F]{8}$"))
        page.get_by_role("link", name="Quay về ngay").click()
        expect(page).to_have_url(f"{counter.ratings}/staff/kiosk")
    finally:
        context.close()


def test_the_kiosk_tells_unknown_not_returned_and_rated_apart_with_a_way_back(
    browser: Browser, counter: Counter
) -> None:
    rated = counter.invited()
    waiting = counter.dossier(returned=False)["dossier_code"]
    with psycopg.connect(counter.ratings_db) as conn:
        conn.execute(
            "UPDATE rating_invitations SET used_at = now() WHERE id = %s", (rated.invitation_id,)
        )
    context = counter.officer_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{counter.ratings}/staff/kiosk")
        _search(page, "000.00.00.H01-991231-9999")
        unknown = page.locator("#dossier-error")
        expect(unknown).to_have_text(re.compile("^Không tìm thấy hồ sơ có mã này"))
        _no_staff_header(page)
        _checked_page(page, "kiosk-unknown")

        _search(page, waiting)
        expect(page.locator("#dossier-error")).to_have_text(
            re.compile("^Hồ sơ này chưa trả kết quả nên chưa đánh giá được")
        )
        expect(page.locator("#dossier")).to_have_value(waiting)
        _checked_page(page, "kiosk-not-returned")

        _search(page, rated.dossier_code)
        expect(page.locator("#message")).to_have_text(re.compile("^Hồ sơ này đã được đánh giá lúc"))
        _no_staff_header(page)
        _checked_page(page, "kiosk-already-rated")
        page.get_by_role("link", name="Quay về màn hình nhập mã").click()
        expect(page).to_have_url(f"{counter.ratings}/staff/kiosk")
        expect(page.locator("#dossier")).to_be_visible()
    finally:
        context.close()


def _paper(page: Page, counter: Counter, code: str, serial: str) -> None:
    page.goto(f"{counter.ratings}/staff/paper?dossier={code}")
    page.fill("#paper_serial", serial)


def test_paper_entry_valid_invalid_and_a_serial_used_twice(
    browser: Browser, counter: Counter
) -> None:
    invalid, valid, again = counter.invited(), counter.invited(), counter.invited()
    serial = f"PX-{uuid.uuid4().hex[:8].upper()}"
    context = counter.officer_context(browser)
    try:
        page = context.new_page()
        _paper(page, counter, invalid.dossier_code, f"{serial}-K")
        province = counter.unit_name(counter.systems.hanoi_province)
        expect(page.locator(".officer-unit")).to_have_text(f"Đơn vị {province}")
        expect(page.get_by_text("Phiếu không hợp lệ, vì:", exact=True)).to_have_count(1)
        expect(page.locator(".answers")).to_be_visible()
        _checked_page(page, "paper-form")
        page.check("#validity-unsigned")
        expect(page.locator(".answers")).to_be_hidden()
        _checked_page(page, "paper-form-invalid")
        page.get_by_role("button", name="Lưu phiếu").click()
        expect(page.locator("#saved")).to_have_text(
            f"Đã lưu phiếu không hợp lệ của hồ sơ {invalid.dossier_code} (không tính vào kết quả)."
        )

        _paper(page, counter, valid.dossier_code, serial)
        _fill(page, "2")
        page.get_by_role("button", name="Lưu phiếu").click()
        expect(page.locator("#saved")).to_have_text(f"Đã lưu phiếu của hồ sơ {valid.dossier_code}.")

        _paper(page, counter, again.dossier_code, serial)
        _fill(page, "2")
        page.get_by_role("button", name="Lưu phiếu").click()
        summary = page.locator("#error-summary")
        expect(summary.locator("h2")).to_have_text("Số sê-ri đã được dùng")
        expect(summary).not_to_contain_text("Phiếu chưa đầy đủ")
        expect(page.locator("#paper_serial-error")).to_have_text(
            "Số sê-ri này đã được nhập cho một phiếu khác của đơn vị."
        )
        _checked_page(page, "paper-serial-used")

        page.goto(f"{counter.ratings}/staff/ratings")
        row = page.locator("#rating-rows tr", has_text=valid.dossier_code)
        expect(row).to_contain_text(counter.unit_name(valid.unit_code))
        expect(row).to_contain_text("Phiếu giấy")
        _checked_page(page, "staff-ratings")
    finally:
        context.close()
    with psycopg.connect(counter.ratings_db) as conn:
        rows = conn.execute(
            "SELECT dossier_code, valid, invalid_reason FROM ratings "
            "WHERE dossier_code = ANY(%s) ORDER BY submitted_at",
            ([invalid.dossier_code, valid.dossier_code, again.dossier_code],),
        ).fetchall()
    assert rows == [
        (invalid.dossier_code, False, "unsigned"),
        (valid.dossier_code, True, None),
    ]


def _calls(counter: Counter, invited: Invited) -> list[tuple[str, str]]:
    with psycopg.connect(counter.ratings_db) as conn:
        rows = conn.execute(
            "SELECT outcome, officer FROM phone_calls WHERE invitation_id = %s ORDER BY id",
            (invited.invitation_id,),
        ).fetchall()
    return [(str(outcome), str(officer)) for outcome, officer in rows]


def _counted(outcome: str) -> float:
    value = REGISTRY.get_sample_value("motcua_ratings_phone_calls_total", {"outcome": outcome})
    return value or 0.0


def test_phone_entry_unmasks_on_demand_and_records_each_calls_outcome(
    browser: Browser, counter: Counter
) -> None:
    unreachable, declined, answered = counter.invited(), counter.invited(), counter.invited()
    before = {o: _counted(o) for o in ("unreachable", "declined", "answered")}
    context = counter.officer_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{counter.ratings}/staff/phone?dossier={unreachable.dossier_code}")
        expect(page.locator("#phone-number")).to_have_text("09••••••78")
        _checked_page(page, "phone-masked")
        page.get_by_role("button", name="Hiện số").click()
        expect(page.locator("#phone-number")).to_have_text(PHONE_NUMBER)
        expect(page.locator("#phone-revealed")).to_contain_text("đã được ghi lại")
        _checked_page(page, "phone-revealed")
        page.check("#outcome-unreachable")
        page.get_by_role("button", name="Ghi kết quả cuộc gọi").click()
        expect(page.locator("#saved")).to_have_text(
            f"Đã ghi kết quả cuộc gọi hồ sơ {unreachable.dossier_code}: Không liên lạc được."
        )

        page.goto(f"{counter.ratings}/staff/phone?dossier={declined.dossier_code}")
        page.check("#outcome-declined")
        page.get_by_role("button", name="Ghi kết quả cuộc gọi").click()
        expect(page.locator("#saved")).to_contain_text("Từ chối đánh giá")

        page.goto(f"{counter.ratings}/staff/phone?dossier={answered.dossier_code}")
        _fill(page, "2")
        page.get_by_role("button", name="Lưu phiếu").click()
        expect(page.locator("#saved")).to_have_text(
            f"Đã lưu phiếu của hồ sơ {answered.dossier_code}."
        )
    finally:
        context.close()
    with psycopg.connect(counter.ratings_db) as conn:
        reveals = conn.execute(
            "SELECT officer, revealed_at FROM phone_reveals WHERE invitation_id = %s",
            (unreachable.invitation_id,),
        ).fetchall()
        rated = conn.execute(
            "SELECT dossier_code FROM ratings WHERE dossier_code = ANY(%s)",
            ([unreachable.dossier_code, declined.dossier_code, answered.dossier_code],),
        ).fetchall()
    assert len(reveals) == 1
    assert reveals[0][0].startswith("quay.")
    assert rated == [(answered.dossier_code,)]  # the calls without an answer are no ratings
    officer = reveals[0][0]
    assert _calls(counter, unreachable) == [("unreachable", officer)]
    assert _calls(counter, declined) == [("declined", officer)]
    assert _calls(counter, answered) == [("answered", officer)]
    for outcome in before:
        assert _counted(outcome) == before[outcome] + 1, outcome


def test_the_messages_page_is_full_width_and_says_what_became_of_each_link(
    browser: Browser, counter: Counter
) -> None:
    n = uuid.uuid4().int  # a unit of the test's own, so its page lists only these messages
    unit = f"{n % 1000:03d}.{n // 10**3 % 100:02d}.{n // 10**5 % 100:02d}.Z{n // 10**7 % 100:02d}"
    states = {}
    with psycopg.connect(counter.ratings_db) as conn:
        for state in ("unopened", "opened", "used"):
            invited = invite(counter.ratings_db, unit_path=(unit,))
            states[state] = invited
            conn.execute(
                "INSERT INTO recorded_messages (invitation_id, channel, kind, "
                "destination_masked, link, body) VALUES (%s, 'sms', 'invite', '09******78', "
                "%s, %s)",
                (
                    invited.invitation_id,
                    f"{counter.ratings}/r/{invited.token}",
                    f"Mời ông/bà đánh giá hồ sơ {invited.dossier_code}",
                ),
            )
    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    try:
        page = citizen.new_page()
        page.goto(f"{counter.ratings}/r/{states['opened'].token}")
        expect(page.locator("#rate-heading")).to_be_visible()
        page.goto(f"{counter.ratings}/r/{states['used'].token}")
        _fill(page)
        page.get_by_role("button", name="Gửi đánh giá").click()
        expect(page.locator("h2")).to_have_text("Cảm ơn ông/bà đã đánh giá")
    finally:
        citizen.close()
    officer = Officer("tin.nhan", "Cán bộ", unit, frozenset({Role.STAFF_ENTRY}))
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    context.add_cookies(
        [{"name": TOKEN_COOKIE, "value": counter.signer[0].issue(officer), "url": counter.ratings}]
    )
    try:
        page = context.new_page()
        page.goto(f"{counter.ratings}/staff/messages")
        table = page.locator("#messages")
        box = table.bounding_box()
        assert box
        assert box["width"] > 1200, f"the table is {box['width']} px wide at 1366 px"
        expected = {"unopened": "Chưa mở", "opened": "Đã mở", "used": "Đã dùng để đánh giá"}
        for state, label in expected.items():
            row = table.locator("tr", has_text=states[state].dossier_code)
            expect(row.locator(".link-state")).to_have_text(label)
            expect(row.locator(".message-state")).to_have_text("Đã gửi")
        _checked_page(page, "staff-messages")
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_a_citizen_on_a_phone_sees_names_a_vietnamese_summary_and_a_reference(
    browser: Browser, counter: Counter, javascript: bool
) -> None:
    invited = counter.invited()
    unit_name, procedure_name, unit_phone = counter.names(invited)
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="en-US",  # the browser's own bubbles would be English: none may show
        java_script_enabled=javascript,
        is_mobile=True,
    )
    name = f"citizen-{'js' if javascript else 'nojs'}"
    try:
        page = context.new_page()
        page.goto(f"{counter.ratings}/r/{invited.token}")
        expect(page.locator("#unit-name")).to_have_text(unit_name)
        expect(page.locator("#procedure-name")).to_have_text(procedure_name)
        code = page.locator("#dossier-code")
        expect(code).to_have_text(invited.dossier_code)
        lines = code.evaluate(
            "el => Math.round(el.getBoundingClientRect().height / "
            "parseFloat(getComputedStyle(el).lineHeight))"
        )
        assert lines == 1, f"the dossier code takes {lines} lines on a phone"
        expect(page.locator("body")).not_to_contain_text("nếu có")
        assert_fits(page, f"{name}-form")
        page.check("#processing_time-0")
        page.get_by_role("button", name="Gửi đánh giá").click()
        summary = page.locator("#error-summary")
        expect(summary.locator("h2")).to_have_text("Có lỗi cần sửa")
        expect(summary.get_by_role("link")).to_have_count(6)  # 5 required criteria, overall
        expect(summary).to_contain_text("2. Số lượng cơ quan")
        expect(page.locator("body")).not_to_contain_text("Please")
        expect(page.locator("#processing_time-0")).to_be_checked()
        assert_fits(page, f"{name}-errors")
        if javascript:
            expect(summary).to_be_focused()
            assert_no_serious_violation(page, "citizen form with errors")
        _fill(page, "2")
        page.get_by_role("button", name="Gửi đánh giá").click()
        expect(page.locator("h2")).to_have_text("Cảm ơn ông/bà đã đánh giá")
        expect(page.locator("#rating-reference")).to_have_text(re.compile(r"^ĐG-[0-9A-F]{8}$"))
        expect(page.locator("#call-us")).to_have_text(f"Nếu cần phản ánh thêm, gọi {unit_phone}.")
        assert_fits(page, f"{name}-thanks")
        if javascript:
            assert_no_serious_violation(page, "citizen thanks")
    finally:
        context.close()
