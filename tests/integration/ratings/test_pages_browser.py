"""Ratings' remaining pages as their people see them, in a real headless Chromium over a
real server and PostgreSQL: the citizen's messages for an unknown, an expired and an
already used link, the form rating how their comment was handled (its missing answer told
in Vietnamese, not by the browser), and the officers' home, ratings list, closed
follow-up, and the pages refusing a role or a service without its sign-in key. Every page
is checked at 1366 and 390 px (nothing overflowing or cut off), by axe-core, for English
words and for unit codes where a name exists; the screenshots go to
``.test-artifacts/screenshots/ratings-*``."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, expect

from motcua.audit import Action, ActorKind, record
from motcua.calendar import default_calendar
from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer
from services.ratings.answers.rules import parse_answer
from services.ratings.answers.service import submit_with_token
from services.ratings.app import create_app
from services.ratings.followups.service import close_followup
from services.ratings.invitations.tokens import new_token
from services.ratings.models import Channel, Entry
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Infra
from tests.integration.ratings.conftest import Invited, happy_form, invite, settings_for
from tests.integration.ratings.test_staff_followups import Units, answer
from tests.live_server import live_server

pytest_plugins = ["tests.browser"]

Signer = tuple[TokenIssuer, Path]
ENGLISH = ("Please", "None", "citizen", "Unit", "Status", "Error", "Forbidden", "unit_head")
"""Words that would betray an untranslated text or a raw value on the page."""
ENTERED_BY = "Trần Thị Nhập"


def _check(page: Page, name: str, *codes: str) -> None:
    """No English word, no unit code, nothing cut off at either width, axe clean."""
    text = page.locator("main").inner_text()
    assert not [word for word in ENGLISH if f" {word} " in f" {text} "], text
    shown = [code for code in codes if re.search(rf"(?<![\w.-]){re.escape(code)}(?![\w-])", text)]
    assert not shown, text  # a dossier's own code starts with its unit's: that one may stay
    assert_fits(page, f"ratings-{name}")
    assert_no_serious_violation(page, name)


def _context(
    browser: Browser, server: str, officer: Officer | None, signer: Signer
) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    if officer is not None:
        token = signer[0].issue(officer)
        context.add_cookies([{"name": TOKEN_COOKIE, "value": token, "url": server}])
    return context


def _use_names(app: FastAPI, units: Units) -> None:
    """Intake's names for this test's units, on the citizens' and the officers' pages."""
    reference = units.reference()
    app.state.ratings = replace(app.state.ratings, reference=reference)
    app.state.staff_pages = replace(app.state.staff_pages, reference=reference)


def _entered_by_phone(url: str, invited: Invited) -> None:
    """An answer an officer took by phone: stored with their login and their name."""
    form = happy_form(False, "1")
    overall = form.pop("overall")
    with psycopg.connect(url) as conn:
        submit_with_token(
            invited.token,
            lambda _: parse_answer(form, overall, None, online=False),
            Entry(Channel.PHONE, "cb.nhap", staff_present=True, entered_by_name=ENTERED_BY),
            now=datetime.now(UTC),
            calendar=default_calendar(),
            db_session=conn,
        )


def _closed(url: str, invited: Invited, unit: str) -> UUID:
    """The citizen's unhappy answer, its follow-up closed by the unit's head."""
    followup = answer(url, invited, staff_conduct="0")
    assert followup is not None
    with psycopg.connect(url) as conn:
        close_followup(
            followup,
            unit,
            "truong.don.vi",
            "Đã gọi điện xin lỗi, nhắc nhở cán bộ",
            closed_by_name="Nguyễn Văn Trưởng",
            now=datetime.now(UTC),
            calendar=default_calendar(),
            db_session=conn,
        )
    return followup


@pytest.fixture
def app(infra: Infra, ratings_db: str, signer: Signer) -> FastAPI:
    return create_app(settings_for(infra, ratings_db, signer[1]))


def test_a_citizen_reads_each_message_and_rates_the_handling_on_any_screen(
    browser: Browser, app: FastAPI, ratings_db: str, signer: Signer
) -> None:
    units = Units.new()
    path = (units.province, units.first)
    expired = invite(ratings_db, unit_path=path, expires_in=-timedelta(days=1))
    used, handled = invite(ratings_db, unit_path=path), invite(ratings_db, unit_path=path)
    assert answer(ratings_db, used) is None
    _closed(ratings_db, handled, units.first)
    with live_server(app) as server:
        _use_names(app, units)
        context = _context(browser, server, None, signer)
        try:
            page = context.new_page()
            for name, token, heading in (
                ("unknown", new_token(), "Không tìm thấy phiếu đánh giá"),
                ("expired", expired.token, "Đường dẫn đánh giá đã hết hạn"),
                ("already-rated", used.token, "Hồ sơ đã được đánh giá"),
            ):
                page.goto(f"{server}/r/{token}")
                expect(page.locator("#message-heading")).to_have_text(heading)
                _check(page, f"message-{name}", units.province, units.first)

            page.goto(f"{server}/r/{handled.token}")
            expect(page.locator("#handling-heading")).to_have_text("Đánh giá việc xử lý ý kiến")
            _check(page, "handling", units.first)
            page.get_by_role("button", name="Gửi đánh giá").click()  # nothing chosen
            expect(page.locator("#handling-error")).to_have_text("Chọn một mức.")
            _check(page, "handling-missing", units.first)
            page.get_by_label("Hài lòng", exact=True).check()
            page.get_by_role("button", name="Gửi đánh giá").click()
            expect(page.locator("main")).to_contain_text("Đánh giá về việc xử lý ý kiến đã")
            _check(page, "handling-done", units.first)
        finally:
            context.close()


def test_the_officers_pages_name_units_and_people_and_refuse_in_vietnamese(
    browser: Browser, app: FastAPI, ratings_db: str, signer: Signer
) -> None:
    units = Units.new()
    path = (units.province, units.first)
    phoned, closed = invite(ratings_db, unit_path=path), invite(ratings_db, unit_path=path)
    _entered_by_phone(ratings_db, phoned)
    followup = _closed(ratings_db, closed, units.first)
    head = Officer("truong.tinh", "Nguyễn Văn Trưởng", units.province, frozenset({Role.UNIT_HEAD}))
    duty = Officer("truc.ban", "Lê Văn Trực", units.province, frozenset({Role.DUTY_OFFICER}))
    with live_server(app) as server:
        _use_names(app, units)
        context = _context(browser, server, head, signer)
        try:
            page = context.new_page()
            page.goto(f"{server}/staff")
            expect(page.locator("#officer-unit")).to_have_text(
                "Công an tỉnh Thử nghiệm và các đơn vị trực thuộc"
            )
            expect(page.locator("#officer-roles")).to_have_text("Thủ trưởng đơn vị")
            _check(page, "staff-home", units.province)

            page.goto(f"{server}/staff/ratings")
            row = page.locator("#rating-rows tr", has_text=phoned.dossier_code)
            expect(row.locator('td[data-label="Người nhập"]')).to_have_text(ENTERED_BY)
            expect(row).to_contain_text("Công an huyện Đông")
            _check(page, "staff-ratings", units.province, units.first, "cb.nhap")

            page.goto(f"{server}/staff/followups/{followup}")
            expect(page.locator("#closed-by")).to_contain_text("Nguyễn Văn Trưởng · ")
            _check(page, "followup-closed", units.first, "truong.don.vi")
        finally:
            context.close()
        context = _context(browser, server, duty, signer)
        try:
            page = context.new_page()
            page.goto(f"{server}/staff")
            expect(page.locator("#message")).to_have_text(
                "Trang này dành cho cán bộ nhập phiếu, thủ trưởng và lãnh đạo đơn vị."
            )
            _check(page, "forbidden", units.province)
        finally:
            context.close()


def test_a_service_without_its_sign_in_key_says_so_in_vietnamese(
    browser: Browser, infra: Infra, ratings_db: str, signer: Signer
) -> None:
    keyless = create_app(
        settings_for(infra, ratings_db, signer[1], officer_token_public_key_file="")
    )
    with live_server(keyless) as server:
        context = _context(browser, server, None, signer)
        try:
            page = context.new_page()
            page.goto(f"{server}/staff/ratings?x={uuid.uuid4().hex[:4]}")
            expect(page.locator("#message")).to_contain_text("Dịch vụ chưa có khóa công khai")
            _check(page, "signin-unavailable")
        finally:
            context.close()


def test_an_inspector_reads_ratings_audit_trail_on_the_staff_layout(
    browser: Browser, app: FastAPI, ratings_db: str, signer: Signer
) -> None:
    units = Units.new()
    with psycopg.connect(ratings_db) as conn:
        record(
            Action(
                actor="cb.nhap",
                actor_kind=ActorKind.OFFICER,
                action="rating.paper",
                record_type="dossier",
                record_id=f"{units.first}-251205-0001",
                unit_path=(units.province, units.first),
                address="10.0.0.7",
                details={"valid": False, "invalid_reason": "unsigned"},
            ),
            db_session=conn,
        )
    inspector = Officer("thanh.tra", "Phạm Thị Thanh", units.province, frozenset({Role.INSPECTOR}))
    with live_server(app) as server:
        _use_names(app, units)
        context = _context(browser, server, inspector, signer)
        try:
            page = context.new_page()
            page.goto(f"{server}/staff/audit")
            expect(page.locator('header a[href="/staff/audit"]')).to_have_text("Nhật ký thao tác")
            expect(page.locator("main")).to_contain_text(f"{units.first}-251205-0001")
            expect(page.locator("main")).to_contain_text("Đánh giá sự hài lòng")
            expect(page.locator("header")).to_contain_text("Công an tỉnh Thử nghiệm")
            _check(page, "audit", units.province, units.first)
        finally:
            context.close()
