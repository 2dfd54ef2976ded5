"""Deadlines' audit trail on the real PostgreSQL and officers' web: each action of sign-in,
the console, the board and the letters leaves its entry, in the action's own transaction;
inspectors read it scoped to their subtree (API and page); ``manage verify-audit`` names
the entry altered behind the log's back.

Each test works in units of its own (a fresh province), so what an inspector sees is
exactly this test's entries."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, expect

from motcua.identity import Role
from services.deadlines.board.service import (
    AlertToRecord,
    acknowledge,
    expect_late,
    record_alerts,
)
from services.deadlines.letters.models import ApologyLetter
from services.deadlines.letters.service import issue_letter, letter_task
from services.deadlines.manage import main as manage
from services.deadlines.officers import Officer, register_officer
from services.deadlines.tracking import Alert, AlertKind, DossierClock
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Database
from tests.integration.deadlines.test_signin_guard import address

pytest_plugins = ["tests.browser"]

PASSWORD = "mat-khau-thanh-tra-2026"
WRONG = "mat-khau-sai-bet-2026"
ROOT = "000.00.00.A26"
"""The root of every subtree here (unit codes as intake writes them: ``XXX.XX.XX.A00``)."""
NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Subtree:
    province: str
    commune: str
    duty: Officer
    """A duty officer of the commune."""
    dossier: DossierClock
    """A dossier of the commune, due soon, on the board with its draft letter."""


def _entries(conn: psycopg.Connection, record_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT seq, actor, actor_kind, action, record_type, record_id, unit_path, address, "
        "outcome, details FROM audit_log WHERE record_id = %s ORDER BY seq",
        (record_id,),
    ).fetchall()
    keys = "seq actor actor_kind action record_type record_id unit_path address outcome details"
    return [dict(zip(keys.split(), row, strict=True)) for row in rows]


def _subtree(conn: psycopg.Connection) -> Subtree:
    tag = uuid.uuid4().hex[:5].upper()
    province, commune = f"{tag[:3]}.{tag[3:]}.00.P26", f"{tag[:3]}.{tag[3:]}.01.P26"
    duty = register_officer(f"truc-{tag}", "Trực ban", commune, PASSWORD, db_session=conn)
    clock = DossierClock(
        dossier_id=str(uuid.uuid4()),
        dossier_code=f"{commune}-260101-{uuid.uuid4().int % 10000:04d}",
        unit_code=commune,
        unit_path=(ROOT, province, commune),
        procedure_code="1.004222",
        due_at=NOW + timedelta(days=1),
        original_due_at=NOW + timedelta(days=1),
    )
    assert clock.due_at is not None
    alert = Alert(AlertKind.DUE_SOON, clock.dossier_id, 1, clock.due_at)
    record_alerts([AlertToRecord(alert, clock, NOW)], db_session=conn)
    return Subtree(province, commune, duty, clock)


def _inspector(conn: psycopg.Connection, unit: str) -> str:
    username = f"thanh-tra-{uuid.uuid4().hex[:6]}"
    register_officer(
        username, "Thanh tra viên", unit, PASSWORD, roles={Role.INSPECTOR}, db_session=conn
    )
    return username


def _issue(conn: psycopg.Connection, tree: Subtree) -> None:
    task = letter_task(tree.duty, tree.dossier.dossier_id, db_session=conn)
    new_due = NOW + timedelta(days=8)
    for _ in range(2):  # the letter, then a correction
        issue_letter(
            tree.duty,
            task,
            reason="Chờ kết quả xác minh",
            new_due_at=new_due,
            issued_at=NOW,
            render=lambda letter: b"PDF",
            letter_for=lambda number, version, due: _letter(task.dossier_code, number, version),
            address="10.26.0.9",
            db_session=conn,
        )


def _letter(code: str, number: str, version: int) -> ApologyLetter:
    return ApologyLetter(
        agency="Công an xã thử nghiệm",
        parent_agency=None,
        place="Hà Nội",
        letter_number=number,
        version=version,
        citizen_name="Trần Văn An",
        citizen_address=None,
        dossier_code=code,
        procedure_name="Đăng ký thường trú",
        received_at=NOW - timedelta(days=10),
        original_due_at=NOW,
        reason="Chờ xác minh",
        new_due_at=NOW + timedelta(days=8),
        issued_at=NOW,
    )


def test_each_action_leaves_its_entry(
    web: str, database: Database, console: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(database.service_urls["deadlines"], autocommit=True) as conn:
        tree = _subtree(conn)
        path = [ROOT, tree.province, tree.commune]
        assert acknowledge(tree.duty, tree.dossier.dossier_id, address="10.26.0.7", db_session=conn)
        assert expect_late(tree.duty, tree.dossier.dossier_id, True, db_session=conn)
        assert expect_late(tree.duty, tree.dossier.dossier_id, False, db_session=conn)
        _issue(conn, tree)
        board = _entries(conn, tree.dossier.dossier_code)
    assert [(e["action"], e["actor"], e["outcome"]) for e in board] == [
        ("letter.drafted", "deadlines", "ok"),
        ("board.acknowledged", tree.duty.username, "ok"),
        ("board.late_marked", tree.duty.username, "ok"),
        ("board.late_unmarked", tree.duty.username, "ok"),
        ("letter.issued", tree.duty.username, "ok"),
        ("letter.corrected", tree.duty.username, "ok"),
    ]
    assert all(e["unit_path"] == path and e["record_type"] == "dossier" for e in board)
    assert board[1]["address"] == "10.26.0.7"
    assert board[5]["details"]["version"] == 2

    username, source = f"can-bo-{uuid.uuid4().hex[:6]}", address()
    monkeypatch.setenv("OFFICER_PASSWORD", PASSWORD)
    assert manage(["create-officer", username, tree.commune]) == 0
    with httpx.Client(base_url=web, headers={"X-Forwarded-For": source}) as client:
        for _ in range(6):
            client.post("/v1/session", json={"username": username, "password": WRONG})
        assert manage(["unlock", username]) == 0
        assert (
            client.post(
                "/v1/session", json={"username": username, "password": PASSWORD}
            ).status_code
            == 200
        )
        assert manage(["revoke-sessions", username]) == 0
        client.post("/v1/session", json={"username": username, "password": PASSWORD})
        client.post("/board/logout")
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        account = _entries(conn, username)
    assert [(e["action"], e["actor_kind"], e["outcome"]) for e in account] == [
        ("officer.registered", "admin", "ok"),
        *[("signin.failed", "anonymous", "refused")] * 5,
        ("signin.throttled", "anonymous", "refused"),
        ("account.unlocked", "admin", "ok"),
        ("signin.ok", "officer", "ok"),
        ("session.revoked", "admin", "ok"),
        ("signin.ok", "officer", "ok"),
        ("signout", "officer", "ok"),
    ]
    assert all(e["unit_path"] == path for e in account), "the officer's unit, as the board has it"
    failed = account[1]
    assert (failed["actor"], failed["address"]) == (username, source)
    assert failed["details"] == {"reason": "wrong_password"}
    assert WRONG not in json.dumps(account, default=str), "no password in any entry"


def test_inspectors_read_their_subtree_only(web: str, database: Database) -> None:
    with psycopg.connect(database.service_urls["deadlines"], autocommit=True) as conn:
        tree, other = _subtree(conn), _subtree(conn)
        assert acknowledge(tree.duty, tree.dossier.dossier_id, db_session=conn)
        inspector, outsider = _inspector(conn, tree.province), _inspector(conn, other.province)
    code = tree.dossier.dossier_code

    def audit(username: str) -> httpx.Response:
        with httpx.Client(base_url=web, headers={"X-Forwarded-For": address()}) as client:
            signed_in = client.post(
                "/v1/session", json={"username": username, "password": PASSWORD}
            )
            assert signed_in.status_code == 200
            return client.get("/v1/audit", params={"record_id": code})

    seen = audit(inspector)
    assert seen.status_code == 200, seen.text
    assert [e["action"] for e in seen.json()["entries"]] == ["board.acknowledged", "letter.drafted"]
    assert audit(outsider).json()["entries"] == []
    refused = audit(tree.duty.username)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_audit_page_for_an_inspector(web: str, database: Database, page: Page) -> None:
    with psycopg.connect(database.service_urls["deadlines"], autocommit=True) as conn:
        tree = _subtree(conn)
        assert acknowledge(tree.duty, tree.dossier.dossier_id, db_session=conn)
        inspector = _inspector(conn, tree.province)
    with httpx.Client(base_url=web, headers={"X-Forwarded-For": address()}) as duty:
        duty.post("/v1/session", json={"username": tree.duty.username, "password": PASSWORD})
        board = duty.get("/board")
        not_theirs = duty.get("/board/audit")
    assert board.status_code == 200
    assert "/board/audit" not in board.text, "the link is for inspectors only"
    assert not_theirs.status_code == 403
    assert "chỉ dành cho cán bộ thanh tra" in not_theirs.text

    page.goto(f"{web}/board/audit")
    expect(page).to_have_url(f"{web}/board/login?next=%2Fboard%2Faudit")

    page.fill("#username", inspector)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{web}/board/audit")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Nhật ký thao tác")).to_be_visible()
    expect(page.get_by_role("link", name="Nhật ký thao tác")).to_be_visible()
    rows = page.locator("#audit tbody tr", has_text=tree.dossier.dossier_code)
    expect(rows.filter(has_text="Xác nhận đã nhận biết cảnh báo")).to_have_count(1)
    expect(rows.filter(has_text="Soạn phiếu xin lỗi")).to_have_count(1)
    assert_no_serious_violation(page, "page-audit")
    assert_fits(page, "page-audit")


def test_verify_audit_names_the_entry_altered_in_sql(
    database: Database, console: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(database.service_urls["deadlines"], autocommit=True) as conn:
        tree = _subtree(conn)
        [drafted] = _entries(conn, tree.dossier.dossier_code)
    assert manage(["verify-audit"]) == 0
    assert "intact" in capsys.readouterr().out
    _alter(database, drafted["seq"], {**drafted["details"], "episode": 2})
    try:
        assert manage(["verify-audit"]) == 1
        assert f"BROKEN at entry {drafted['seq']}:" in capsys.readouterr().err
    finally:
        _alter(database, drafted["seq"], drafted["details"])
    assert manage(["verify-audit"]) == 0


def _alter(database: Database, seq: int, details: dict[str, Any]) -> None:
    """Change an entry's details behind the log's back: its owner switches the trigger off."""
    with psycopg.connect(database.service_urls["deadlines"]) as conn, conn.transaction():
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        conn.execute(
            "UPDATE audit_log SET details = %s::jsonb WHERE seq = %s", (json.dumps(details), seq)
        )
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
