"""The officers' workplace end to end, in a real headless Chromium: sign in once (asked by
ratings' page, on deadlines), then open ratings', deadlines' and reporting's pages with
that one sign-in; page through a city's board of more than 500 dossiers and filter it.

The dossiers come in through intake like any others (one batch, back-dated, so each is
overdue as soon as deadlines sees it) under a procedure of this test's own, so the test
counts only its own rows on a board other tests share. Each page is checked at 1366 and
390 px (:func:`tests.browser.assert_fits`); screenshots go to ``.test-artifacts/screenshots/``.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, expect

from motcua.identity import Role
from services.deadlines.officers import register_officer
from tests.browser import assert_fits
from tests.conftest import ROOT, Database, Infra
from tests.integration.conftest import Systems, auth, new_procedure, receive_command
from tests.integration.deadlines.conftest import (
    PASSWORD,
    Platform,
    officer_client,
    wait_until_up,
)

pytest_plugins = ["tests.browser"]

PROVINCE_DOSSIERS, COMMUNE_DOSSIERS = 120, 500


@dataclass(frozen=True)
class Pages:
    ratings: str
    reporting: str


@pytest.fixture(scope="module")
def pages(
    platform: Platform, infra: Infra, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pages]:
    """Ratings and reporting as real processes, holding only the platform's public key."""
    tmp = tmp_path_factory.mktemp("pages")
    processes: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    for service in ("ratings", "reporting"):
        log = tmp / f"{service}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                cwd=ROOT,
                env={
                    **platform.worker.env,
                    "DATABASE_URL": database.service_urls[service],
                    "HTTP_PORT": str(platform.page_ports[service]),
                    "DATA_DIR": str(tmp / "data"),
                    "APP_ID": f"motcua-reporting-test-{uuid.uuid4().hex[:8]}",
                    "OFFICER_TOKEN_PUBLIC_KEY_FILE": str(platform.public_key),
                    "OFFICER_TOKEN_PRIVATE_KEY_FILE": "",
                    "SIGNIN_URL": platform.deadlines,
                },
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append((service, process, log))
    urls = {s: f"http://127.0.0.1:{platform.page_ports[s]}" for s in platform.page_ports}
    try:
        for service, process, log in processes:
            wait_until_up(urls[service], process, log)
        yield Pages(urls["ratings"], urls["reporting"])
    finally:
        for _, process, _ in processes:
            process.terminate()
            process.wait(timeout=30)


def _shot(page: Page, name: str) -> None:
    """Every page of the walk, at 1366 and 390 px, with nothing overflowing or cut off."""
    assert_fits(page, f"workplace-{name}")


def _city_of_late_dossiers(platform: Platform, systems: Systems) -> tuple[str, str]:
    """620 late dossiers of a procedure of this test's own: 500 at a commune, 120 at the
    province above it. Returns the procedure's code and name."""
    procedure = new_procedure(name=f"Thủ tục bảng thành phố {uuid.uuid4().hex[:6]}")
    put = httpx.put(
        f"{platform.intake}/v1/procedures/{procedure['code']}",
        json=procedure,
        headers=auth(systems.admin),
        timeout=20,
    )
    assert put.status_code == 200, put.text
    units = [systems.hanoi_commune] * COMMUNE_DOSSIERS + [
        systems.hanoi_province
    ] * PROVINCE_DOSSIERS
    items = [
        {"kind": "receive", **receive_command(unit, procedure_code=procedure["code"])}
        for unit in units
    ]
    response = httpx.post(
        f"{platform.intake}/v1/events:batch",
        json={"items": items},
        headers=auth(systems.hanoi),
        timeout=120,
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(items), response.json()["results"][:3]
    return str(procedure["code"]), str(procedure["name"])


def _wait_for_board(platform: Platform, procedure: str, total: int) -> None:
    client = officer_client(platform, "truc.hanoi")
    deadline = time.monotonic() + 120
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        response = client.get("/v1/board", params={"procedure": procedure, "limit": 1})
        # 422 until the worker's copy of intake's catalogue names the new procedure.
        assert response.status_code in (200, 422), response.text
        counts = response.json().get("counts", {})
        if counts.get("total") == total:
            return
        time.sleep(0.5)
    pytest.fail(f"the board never held the {total} dossiers: {counts}")


def _unit_name(database: Database, code: str) -> str:
    with psycopg.connect(database.service_urls["intake"]) as conn:
        row = conn.execute("SELECT name FROM units WHERE code = %s", (code,)).fetchone()
    assert row, f"intake has no unit {code}"
    return str(row[0])


def test_one_sign_in_opens_every_service_and_the_board_pages_through_a_city(
    page: Page, platform: Platform, pages: Pages, systems: Systems, database: Database
) -> None:
    procedure, procedure_name = _city_of_late_dossiers(platform, systems)
    total = COMMUNE_DOSSIERS + PROVINCE_DOSSIERS
    _wait_for_board(platform, procedure, total)

    # Ratings' page first: no token yet, so sign-in on deadlines, then straight back.
    page.goto(f"{pages.ratings}/staff")
    expect(page).to_have_url(
        f"{platform.deadlines}/board/login?next="
        + "http%3A%2F%2F127.0.0.1%3A"
        + f"{platform.page_ports['ratings']}%2Fstaff"
    )
    _shot(page, "login")
    page.fill("#username", "truc.hanoi")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{pages.ratings}/staff")
    expect(page.locator("#officer-unit")).to_contain_text(
        _unit_name(database, systems.hanoi_province)
    )
    _shot(page, "ratings")

    # The board, with the same sign-in: no login page on the way.
    page.goto(f"{platform.deadlines}/board?procedure={procedure}&limit=200")
    expect(page).to_have_url(f"{platform.deadlines}/board?procedure={procedure}&limit=200")
    expect(page.locator("#count-total .count")).to_have_text(str(total))
    expect(page.locator("#rows tr").first).to_contain_text(procedure_name)
    _shot(page, "board")
    seen: list[str] = []
    while True:
        seen += page.locator("#rows tr td:first-child").all_inner_texts()
        following = page.locator("#next-page")
        if following.count() == 0:
            break
        following.click()
        page.wait_for_load_state()
    assert len(seen) == total, f"{len(seen)} rows over the pages"
    assert len(set(seen)) == total, "a row was shown twice"

    # Filter by the commune with the form: its 500, counted at the top.
    page.goto(f"{platform.deadlines}/board?procedure={procedure}")
    page.select_option("#filter-unit", systems.hanoi_commune)
    page.get_by_role("button", name="Lọc").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["unit"] == [systems.hanoi_commune]
    assert query["procedure"] == [procedure]
    expect(page.locator("#count-total .count")).to_have_text(str(COMMUNE_DOSSIERS))
    expect(page.locator("#rows tr")).to_have_count(50)
    _shot(page, "board-filtered")

    # Reporting's page, the same sign-in again.
    page.goto(f"{pages.reporting}/reports")
    expect(page).to_have_url(f"{pages.reporting}/reports")
    expect(page.locator("#scope-unit")).to_be_visible()
    expect(page.locator("#timeliness-heading")).to_have_text("Tiến độ giải quyết")
    _shot(page, "reporting")

    # Signing out on any page ends it everywhere: ratings sends the browser to sign in.
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(f"{platform.deadlines}/board/login")
    page.goto(f"{pages.ratings}/staff")
    expect(page).to_have_url(
        f"{platform.deadlines}/board/login?next="
        + "http%3A%2F%2F127.0.0.1%3A"
        + f"{platform.page_ports['ratings']}%2Fstaff"
    )


def test_another_subtree_sees_none_of_the_city_on_any_service(
    platform: Platform, pages: Pages, systems: Systems, database: Database
) -> None:
    haiphong = officer_client(platform, "truc.haiphong")
    haiphong_unit = haiphong.get("/v1/me").json()["unit_code"]
    hanoi = officer_client(platform, "truc.hanoi")
    token = haiphong.post(
        "/v1/session", json={"username": "truc.haiphong", "password": PASSWORD}
    ).json()["token"]
    procedure, _ = _city_of_late_dossiers(platform, systems)
    _wait_for_board(platform, procedure, COMMUNE_DOSSIERS + PROVINCE_DOSSIERS)
    board = haiphong.get("/v1/board", params={"procedure": procedure})
    assert board.status_code == 200
    assert board.json()["counts"]["total"] == 0
    assert board.json()["items"] == []
    # Naming Hà Nội's commune as the unit filter does not widen Hải Phòng's view.
    narrowed = haiphong.get(
        "/v1/board", params={"procedure": procedure, "unit": systems.hanoi_commune}
    )
    # 403 once the worker knows the unit tree; until then the query is still the subtree's.
    assert narrowed.status_code in (200, 403)
    if narrowed.status_code == 200:
        assert narrowed.json()["items"] == []
    export = haiphong.get("/board/export.csv", params={"procedure": procedure})
    assert export.status_code == 200
    assert procedure not in export.text
    assert (
        hanoi.get("/board/export.csv", params={"procedure": procedure}).text.count(procedure)
        >= COMMUNE_DOSSIERS
    )
    # The other services read the officer's unit from the token: Hải Phòng's, not Hà Nội's.
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        register_officer(
            "lanhdao.haiphong",
            "Lãnh đạo Hải Phòng",
            haiphong_unit,
            PASSWORD,
            roles={Role.LEADER, Role.STAFF_ENTRY},
            db_session=conn,
        )
    signed_in = httpx.post(
        f"{platform.deadlines}/v1/session",
        json={"username": "lanhdao.haiphong", "password": PASSWORD},
    )
    assert signed_in.status_code == 200, signed_in.text
    bearer = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    for url in (f"{pages.ratings}/staff", f"{pages.reporting}/reports"):
        shown = httpx.get(url, headers=bearer)
        assert shown.status_code == 200, shown.text
        # The pages name the unit (intake's reference data), never the city's.
        assert _unit_name(database, haiphong_unit) in shown.text
        assert _unit_name(database, systems.hanoi_province) not in shown.text
        assert systems.hanoi_province not in shown.text
    # A duty officer alone is not for ratings' staff pages.
    staff = httpx.get(f"{pages.ratings}/staff", headers={"Authorization": f"Bearer {token}"})
    assert staff.status_code == 403
