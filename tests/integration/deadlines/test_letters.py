"""The apology letter end to end: intake (real process) receives a dossier that is already
late, the deadlines worker puts it on the board with a draft letter, the duty officer
confirms the reason, and the numbered PDF, the ``apology issued`` event and the
compliance figure follow. Another subtree's officer never sees it."""

from __future__ import annotations

import io
import json
import re
import time
import unicodedata
from collections import Counter
from typing import Any

import httpx
import psycopg
from pypdf import PdfReader

from motcua.kafka import Topic
from services.deadlines.board.service import compliance
from tests.conftest import Database, Infra
from tests.integration.conftest import Systems, auth, receive_command, wait_for
from tests.integration.deadlines.conftest import (
    Platform,
    board_json,
    metric,
    officer_client,
    wait_for_item,
)
from tests.integration.kafka_log import read_to_end


def _text(pdf: bytes) -> str:
    """The PDF's words in reading order, one space between: a phrase reads the same wherever
    the layout wraps its lines."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    words = "\n".join(page.extract_text() for page in pages).split()
    return unicodedata.normalize("NFC", " ".join(words))


def _events(infra: Infra, topic: Topic, dossier_id: str) -> list[dict[str, Any]]:
    return [
        json.loads(m.value() or b"")
        for m in read_to_end(infra.bootstrap_servers, topic.value, keys=[dossier_id])
    ]


def _anonymise_applicant(database: Database, code: str) -> None:
    """The applicant as intake's anonymisation leaves them once retention has passed."""
    with psycopg.connect(database.service_urls["intake"]) as conn:
        changed = conn.execute(
            "UPDATE applicants SET full_name = '', id_number = NULL, phone = NULL, "
            "email = NULL, address = NULL, anonymised_at = now() WHERE ref = "
            "(SELECT applicant_ref FROM dossiers WHERE code = %s)",
            (code,),
        )
        assert changed.rowcount == 1


def test_late_dossier_gets_a_confirmed_numbered_letter_once(
    platform: Platform, systems: Systems, infra: Infra, database: Database
) -> None:
    command = receive_command(systems.hanoi_commune)  # received 2025: long overdue
    received = httpx.post(
        f"{platform.intake}/v1/dossiers", json=command, headers=auth(systems.hanoi), timeout=20
    )
    assert received.status_code == 201, received.text
    dossier_id, code = received.json()["dossier_id"], received.json()["dossier_code"]

    hanoi, haiphong = (
        officer_client(platform, "truc.hanoi"),
        officer_client(platform, "truc.haiphong"),
    )
    item = wait_for_item(
        hanoi, code, dossier_id=dossier_id, status="overdue", letter_status="draft"
    )
    assert item["dossier_code"] == code
    assert all(i["dossier_id"] != dossier_id for i in board_json(haiphong, code))
    assert haiphong.get(f"/board/dossiers/{dossier_id}/letter").status_code == 404

    def late_without_letter_in_database() -> int:
        with psycopg.connect(database.service_urls["deadlines"]) as conn:
            return compliance(db_session=conn).late_without_letter

    # The exported figure is the database's (which counts this dossier), not a stale gauge.
    deadline = time.monotonic() + 20
    while (exported := metric(platform, "motcua_deadlines_late_without_letter")) != (
        in_database := late_without_letter_in_database()
    ):
        assert time.monotonic() < deadline, f"exported {exported}, database says {in_database}"
        time.sleep(0.5)
    assert exported >= 1

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
    printed = re.search(r"Số: (\d+/PXL)", text)
    assert printed, text
    assert f"Số: {printed.group(1)}" in v2
    assert "Sở Tư pháp" in v2

    _anonymise_applicant(database, code)
    withheld = hanoi.get(f"/board/dossiers/{dossier_id}/letter.pdf", params={"version": "1"})
    assert withheld.status_code == 200
    assert withheld.headers["content-type"].startswith("text/html")
    assert "đã được ẩn danh theo quy định lưu trữ" in withheld.text
    assert command["applicant"]["full_name"] not in withheld.text

    # Both versions were committed with their events, which the outbox relay publishes: the
    # topics, read to their end once both are out, hold each once, of the one episode the
    # dossier's alerts carry.
    wait_for(
        lambda: len(_events(infra, Topic.APOLOGY_LETTERS, dossier_id)) >= 2,
        timeout_s=30,
        what="both versions' events published by the relay",
    )
    alerts = _events(infra, Topic.DEADLINE_ALERTS, dossier_id)
    assert Counter((e["type"], e["data"]["episode"]) for e in alerts) == Counter(
        {("vn.motcua.deadline.due_soon.v1", 1): 1, ("vn.motcua.deadline.overdue.v1", 1): 1}
    )
    events = _events(infra, Topic.APOLOGY_LETTERS, dossier_id)
    number = printed.group(1)
    assert Counter(
        (e["data"]["episode"], e["data"]["letter_number"], e["data"]["letter_version"])
        for e in events
    ) == Counter({(1, number, 1): 1, (1, number, 2): 1})
    assert {e["data"]["new_due_at"] for e in events} == {events[0]["data"]["new_due_at"]}
    assert command["applicant"]["full_name"] not in json.dumps(events, ensure_ascii=False)

    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        letters = conn.execute(
            "SELECT episode, letter_number, status FROM apology_letters WHERE dossier_id = %s",
            (dossier_id,),
        ).fetchall()
    assert letters == [(1, number, "issued")]

    def staged() -> tuple[int, int]:
        """(staged, of which unpublished) letter rows of the dossier in the outbox (its
        notices' delivery events go to their own topic)."""
        with psycopg.connect(database.service_urls["deadlines"]) as conn:
            row = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE published_at IS NULL) FROM outbox "
                "WHERE message_key = %s AND topic = %s",
                (dossier_id, Topic.APOLOGY_LETTERS.value),
            ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    # Marked once Kafka acknowledged them: both went out through the outbox, none is left.
    wait_for(lambda: staged() == (2, 0), timeout_s=30, what="both versions marked published")
    # Off the watch once intake has applied the new date (dossier.rescheduled): asked by
    # its code, the board still finds it, as rescheduled, with its letter.
    rescheduled = wait_for_item(hanoi, code, dossier_id=dossier_id, status="rescheduled")
    assert rescheduled["delivery"]["letter_number"] == number
    overdue = hanoi.get("/v1/board", params={"dossier_code": code, "status": "overdue"})
    assert all(i["dossier_id"] != dossier_id for i in overdue.json()["items"])
