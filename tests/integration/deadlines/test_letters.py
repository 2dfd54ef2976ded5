"""The apology letter end to end: intake (real process) receives a dossier that is already
late, the deadlines worker puts it on the board with a draft letter, the duty officer
confirms the reason, and the numbered PDF, the ``apology issued`` event and the
compliance figure follow. Another subtree's officer never sees it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pypdf import PdfReader

from motcua.kafka import Topic
from services.deadlines.officers import register_officer
from services.intake.auth import Scope, register_system
from tests.conftest import ROOT, Database, Infra
from tests.integration.deadlines.test_alerts import Worker, _read
from tests.integration.intake.conftest import Systems, _unit, auth, receive_command
from tests.integration.test_service_processes import _free_port

PASSWORD = "mat-khau-truc-ban-2026"


@dataclass(frozen=True)
class Platform:
    intake: str
    deadlines: str
    worker: Worker


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} never became ready:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def platform(
    infra: Infra,
    database: Database,
    intake_url: str,
    systems: Systems,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Platform]:
    tmp = tmp_path_factory.mktemp("platform")
    with psycopg.connect(intake_url) as conn:
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        haiphong_province = _unit(conn, "Hải Phòng", "province")
        _, deadlines_key = register_system(
            f"deadlines-{uuid.uuid4().hex[:6]}", root[0], [Scope.READ], db_session=conn
        )
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        register_officer(
            "truc.hanoi", "Trực ban Hà Nội", systems.hanoi_province, PASSWORD, db_session=conn
        )
        register_officer(
            "truc.haiphong", "Trực ban Hải Phòng", haiphong_province, PASSWORD, db_session=conn
        )
    intake_port = _free_port()
    intake_log = tmp / "intake.log"
    with intake_log.open("wb") as out:
        intake = subprocess.Popen(
            [sys.executable, "-m", "services.intake"],
            cwd=ROOT,
            env={
                **os.environ,
                "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
                "DATABASE_URL": intake_url,
                "HTTP_PORT": str(intake_port),
                "INBOUND_ENABLED": "false",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(infra, database, tmp)
    worker.env["INTAKE_URL"] = f"http://127.0.0.1:{intake_port}"
    worker.env["INTAKE_API_KEY"] = deadlines_key
    worker.start()
    assert worker.process is not None
    platform = Platform(
        f"http://127.0.0.1:{intake_port}", f"http://127.0.0.1:{worker.env['HTTP_PORT']}", worker
    )
    try:
        _wait_until_up(platform.intake, intake, intake_log)
        _wait_until_up(platform.deadlines, worker.process, worker.log)
        yield platform
    finally:
        for process in (intake, worker.process):
            process.kill()
            process.wait()


def _officer(platform: Platform, username: str) -> httpx.Client:
    client = httpx.Client(base_url=platform.deadlines, timeout=20)
    response = client.post("/v1/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def _board(client: httpx.Client) -> list[dict[str, Any]]:
    response = client.get("/v1/board")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _wait_for_item(client: httpx.Client, dossier_id: str, **expected: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        for item in _board(client):
            if item["dossier_id"] == dossier_id and expected.items() <= item.items():
                return item
        time.sleep(0.3)
    pytest.fail(f"{dossier_id} never reached {expected} on the board: {_board(client)}")


def _metric(platform: Platform, name: str) -> float:
    text = httpx.get(f"{platform.deadlines}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    pytest.fail(f"no metric {name}")


def _text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in pages))


def test_late_dossier_gets_a_confirmed_numbered_letter_once(
    platform: Platform, systems: Systems, infra: Infra, database: Database
) -> None:
    command = receive_command(systems.hanoi_commune)  # received 2025: long overdue
    received = httpx.post(
        f"{platform.intake}/v1/dossiers", json=command, headers=auth(systems.hanoi), timeout=20
    )
    assert received.status_code == 201, received.text
    dossier_id, code = received.json()["dossier_id"], received.json()["dossier_code"]

    hanoi, haiphong = _officer(platform, "truc.hanoi"), _officer(platform, "truc.haiphong")
    item = _wait_for_item(hanoi, dossier_id, status="overdue", letter_status="draft")
    assert item["dossier_code"] == code
    assert all(i["dossier_id"] != dossier_id for i in _board(haiphong))
    assert haiphong.get(f"/board/dossiers/{dossier_id}/letter").status_code == 404
    deadline = time.monotonic() + 15
    while _metric(platform, "motcua_deadlines_late_without_letter") < 1:
        assert time.monotonic() < deadline, "late-without-letter never counted the dossier"
        time.sleep(0.5)
    late_before = _metric(platform, "motcua_deadlines_late_without_letter")

    blank = hanoi.post(f"/board/dossiers/{dossier_id}/letter", data={"reason": " "})
    assert blank.status_code == 422
    assert "reason" in blank.text
    reason = "Chờ kết quả xác minh thông tin cư trú từ Công an tỉnh Quảng Ninh"
    confirmed = hanoi.post(
        f"/board/dossiers/{dossier_id}/letter",
        data={"reason": reason, "extension_working_days": "3"},
    )
    assert confirmed.status_code == 303, confirmed.text

    pdf = hanoi.get(f"/board/dossiers/{dossier_id}/letter.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = _text(pdf.content)
    for expected in (
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        command["applicant"]["full_name"],
        code,
        "Lý do",
        "Chờ kết quả xác minh thông tin cư trú",
        "Số: 1/PXL",
        "xin lỗi",
    ):
        assert expected in text, f"{expected!r} missing from the letter:\n{text}"
    assert haiphong.get(f"/board/dossiers/{dossier_id}/letter.pdf").status_code == 404

    correction = hanoi.post(
        f"/board/dossiers/{dossier_id}/letter",
        data={"reason": reason + " và Sở Tư pháp"},
    )
    assert correction.status_code == 303
    v2 = _text(hanoi.get(f"/board/dossiers/{dossier_id}/letter.pdf").content)
    assert "Số: 1/PXL" in v2
    assert "Sở Tư pháp" in v2

    events = [
        json.loads(m.value())
        for m in _read(infra, Topic.APOLOGY_LETTERS.value, {dossier_id}, time.monotonic() + 20)
    ]
    assert sorted(e["data"]["letter_version"] for e in events) == [1, 2]
    assert {e["data"]["letter_number"] for e in events} == {"1/PXL"}
    assert {e["data"]["new_due_at"] for e in events} == {events[0]["data"]["new_due_at"]}
    assert command["applicant"]["full_name"] not in json.dumps(events, ensure_ascii=False)

    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        letters = conn.execute(
            "SELECT count(*), max(letter_number) FROM apology_letters WHERE dossier_id = %s",
            (dossier_id,),
        ).fetchone()
        unpublished = conn.execute(
            "SELECT count(*) FROM apology_letter_versions v JOIN apology_letters l "
            "ON l.id = v.letter_id WHERE l.dossier_id = %s AND v.published_at IS NULL",
            (dossier_id,),
        ).fetchone()
    assert letters == (1, "1/PXL")
    assert unpublished == (0,)
    assert all(i["dossier_id"] != dossier_id for i in _board(hanoi))
    deadline = time.monotonic() + 15
    while _metric(platform, "motcua_deadlines_late_without_letter") > late_before - 1:
        assert time.monotonic() < deadline, "the issued letter never left the compliance figure"
        time.sleep(0.5)
