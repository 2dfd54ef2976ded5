"""Ratings' audit trail on the real PostgreSQL: the officers' kiosk, paper and phone
entries, a follow-up closed, portal keys registered and revoked — each an entry with no
citizen's data; inspectors read their subtree's; ``manage verify-audit``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from motcua.identity import Role, TokenIssuer
from services.ratings import manage
from tests.integration.ratings.conftest import (
    DISTRICT,
    OTHER_PROVINCE,
    PROVINCE,
    csrf_of,
    happy_form,
    invite,
    sign_in,
)

Signer = tuple[TokenIssuer, Path]
PHONE = "0912345678"
COMMENT = f"Chị Nguyễn Thị Hoa, số {PHONE}, chờ quá lâu"


def _entries(url: str, record_id: str) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT actor, actor_kind, action, record_type, record_id, unit_path, address, "
            "outcome, details FROM audit_log WHERE record_id = %s ORDER BY seq",
            (record_id,),
        ).fetchall()
    keys = ("actor", "actor_kind", "action", "record_type", "record_id", "unit_path")
    return [
        {**dict(zip(keys, row[:6], strict=True)), "address": row[6], "outcome": row[7], **row[8]}
        for row in rows
    ]


def _enter(client: TestClient, mode: str, code: str, form: dict[str, str]) -> None:
    page = client.get(f"/staff/{mode}", params={"dossier": code})
    posted = client.post(f"/staff/{mode}/{code}", data={**form, "csrf_token": csrf_of(page.text)})
    assert posted.status_code == 303, posted.text


def _close_followup(client: TestClient, code: str) -> None:
    listing = client.get("/staff/followups").text
    link = re.search(rf'href="(/staff/followups/[0-9a-f-]+)">{code}<', listing)
    assert link, "the follow-up is not listed"
    detail = client.get(link.group(1))
    closed = client.post(
        f"{link.group(1)}/close",
        data={"action_taken": f"Đã gọi {PHONE} xin lỗi", "csrf_token": csrf_of(detail.text)},
    )
    assert closed.status_code == 303


def test_each_entry_and_closed_follow_up_is_audited_with_no_citizens_data(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    kiosk, paper, phone = (invite(ratings_db) for _ in range(3))
    officer = sign_in(client, signer, DISTRICT, Role.STAFF_ENTRY, Role.UNIT_HEAD)
    _enter(client, "kiosk", kiosk.dossier_code, happy_form())
    invalid_form = {"paper_serial": "ND61-000123", "validity": "unsigned"}
    _enter(client, "paper", paper.dossier_code, invalid_form)
    unhappy = happy_form(level="0", comment=COMMENT, complaint="1")
    _enter(client, "phone", phone.dossier_code, unhappy)
    _close_followup(client, phone.dossier_code)

    seen = {
        invited.dossier_code: _entries(ratings_db, invited.dossier_code)
        for invited in (kiosk, paper, phone)
    }
    common = {
        "actor": officer.username,
        "actor_kind": "officer",
        "record_type": "dossier",
        "unit_path": [PROVINCE, DISTRICT],
        "address": "testclient",
        "outcome": "ok",
    }
    [kiosk_entry] = seen[kiosk.dossier_code]
    assert kiosk_entry.items() >= {**common, "action": "rating.kiosk", "valid": True}.items()
    [paper_entry] = seen[paper.dossier_code]
    assert (
        paper_entry.items()
        >= {
            **common,
            "action": "rating.paper",
            "valid": False,
            "invalid_reason": "unsigned",
            "paper_serial": "ND61-000123",
        }.items()
    )
    phone_entry, closed_entry = seen[phone.dossier_code]
    assert (
        phone_entry.items()
        >= {
            **common,
            "action": "rating.phone",
            "followup_opened": True,
        }.items()
    )
    assert closed_entry.items() >= {**common, "action": "followup.closed", "on_time": True}.items()
    text = json.dumps(seen, ensure_ascii=False)
    for personal in (PHONE, "Nguyễn Thị Hoa", "chờ quá lâu", "xin lỗi"):
        assert personal not in text


def test_an_entry_that_is_refused_leaves_no_audit_entry(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    invited = invite(ratings_db)
    sign_in(client, signer, DISTRICT, Role.STAFF_ENTRY)
    page = client.get("/staff/paper", params={"dossier": invited.dossier_code})
    refused = client.post(
        f"/staff/paper/{invited.dossier_code}",
        data={"validity": "valid", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 422
    assert _entries(ratings_db, invited.dossier_code) == []


def test_inspectors_read_their_subtrees_entries_and_only_inspectors(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    invited = invite(ratings_db)
    sign_in(client, signer, DISTRICT, Role.STAFF_ENTRY)
    _enter(client, "kiosk", invited.dossier_code, happy_form())
    staff_page = client.get("/staff")
    assert 'href="/staff/audit"' not in staff_page.text
    assert client.get("/v1/audit").status_code == 403
    not_theirs = client.get("/staff/audit")
    assert not_theirs.status_code == 403
    assert "chỉ dành cho cán bộ thanh tra" in not_theirs.text

    def read(unit: str) -> list[str]:
        sign_in(client, signer, unit, Role.INSPECTOR)
        answer = client.get("/v1/audit", params={"record_id": invited.dossier_code})
        assert answer.status_code == 200, answer.text
        return [e["action"] for e in answer.json()["entries"]]

    assert read(PROVINCE) == ["rating.kiosk"]
    assert read(DISTRICT) == ["rating.kiosk"]
    assert read(OTHER_PROVINCE) == []
    sign_in(client, signer, PROVINCE, Role.INSPECTOR)
    page = client.get("/staff/audit", params={"record_id": invited.dossier_code})
    assert page.status_code == 200
    assert 'href="/staff/audit"' in page.text  # the inspector's header links it
    assert "Đánh giá sự hài lòng" in page.text
    assert invited.dossier_code in page.text
    client.cookies.clear()
    assert client.get("/v1/audit").status_code == 401
    to_sign_in = client.get("/staff/audit", follow_redirects=False)
    assert to_sign_in.status_code == 303
    assert "/auth/continue?next=" in to_sign_in.headers["location"]


def test_keys_registered_and_revoked_at_the_console_are_audited_and_the_chain_verifies(
    ratings_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", ratings_db)
    monkeypatch.setenv("SUDO_USER", "quan.tri")
    name = f"cong-dvc-{id(capsys) % 10**6}"
    assert manage.main(["create-key", name, "--per-minute", "9000"]) == 0
    assert "mcp_" in capsys.readouterr().out
    assert manage.main(["revoke-key", name]) == 0
    assert manage.main(["revoke-key", name]) == 1
    assert manage.main(["create-key", "Tên Có Dấu"]) == 2
    entries = _entries(ratings_db, name)
    assert [(e["action"], e["actor"], e["actor_kind"]) for e in entries] == [
        ("key.registered", "quan.tri", "admin"),
        ("key.revoked", "quan.tri", "admin"),
    ]
    assert entries[0]["per_minute"] == 9000
    assert "mcp_" not in json.dumps(entries)
    capsys.readouterr()
    assert manage.main(["verify-audit"]) == 0
    assert "ratings: audit log intact" in capsys.readouterr().out
