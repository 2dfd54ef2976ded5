"""What duty officers see of the apology's delivery, against the real intake, worker and
officers' web: the board's delivery words and flag (HTML, JSON, CSV), and the print batch
of letters to post: its page, its one PDF read back, marking it posted once (the notices
move, one event each in deadlines' outbox), another subtree seeing none of it, and the
pages passing an axe-core audit.

Issuing a letter stages its first notice (no channel yet); the states after it are
written here as the sender and the receipts would write them, with the module's sender
off (tests/integration/deadlines/test_letter_notices.py runs the real one).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from motcua.kafka import Topic
from tests.a11y.axe import assert_no_serious_violation
from tests.browser import assert_fits
from tests.conftest import Database
from tests.integration.conftest import Systems, auth, receive_command, wait_for
from tests.integration.deadlines.conftest import (
    PASSWORD,
    Platform,
    board_json,
    officer_client,
    wait_for_item,
)

pytest_plugins = ["tests.browser"]


@dataclass(frozen=True)
class Issued:
    dossier_id: str
    code: str
    letter_id: int
    number: str
    name: str
    address: str | None


@pytest.fixture(scope="module")
def worker_env() -> dict[str, str]:
    """The notice sender off: these tests write the notices' states themselves."""
    return {"LETTER_NOTICES_ENABLED": "false"}


def _deadlines(database: Database) -> psycopg.Connection[Any]:
    return psycopg.connect(database.service_urls["deadlines"], autocommit=True)


def _issue(
    platform: Platform,
    systems: Systems,
    client: httpx.Client,
    database: Database,
    *,
    address: str | None = "12 phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
) -> Issued:
    """A long-late dossier of a citizen reached by post, its letter issued by the officer."""
    name = f"Nguyễn Thị Bưu {uuid.uuid4().hex[:6]}"
    applicant: dict[str, Any] = {"full_name": name, "id_number": "001190012345"}
    if address:
        applicant["address"] = address
    command = receive_command(systems.hanoi_commune, applicant=applicant)
    command["contact_preference"] = "post"
    received = httpx.post(
        f"{platform.intake}/v1/dossiers", json=command, headers=auth(systems.hanoi), timeout=20
    )
    assert received.status_code == 201, received.text
    dossier_id, code = received.json()["dossier_id"], received.json()["dossier_code"]
    wait_for_item(client, code, dossier_id=dossier_id, status="overdue", letter_status="draft")
    issued = client.post(
        f"/board/dossiers/{dossier_id}/letter",
        data={"reason": "Chờ xác minh nơi cư trú", "extension_working_days": "3"},
    )
    assert issued.status_code == 303, issued.text
    with _deadlines(database) as conn:
        row = conn.execute(
            "SELECT id, letter_number FROM apology_letters WHERE dossier_id = %s "
            "AND status = 'issued'",
            (dossier_id,),
        ).fetchone()
    assert row is not None
    return Issued(dossier_id, code, int(row[0]), str(row[1]), name, address)


def _notice(database: Database, letter: Issued, channel: str, **columns: Any) -> str:
    """The letter's version-1 notice on ``channel``, staged as the sender would (or the one
    already there)."""
    with _deadlines(database) as conn:
        conn.execute(
            "INSERT INTO letter_notices (id, letter_id, letter_version, channel) "
            "VALUES (%s, %s, 1, %s) ON CONFLICT (letter_id, letter_version, channel) DO NOTHING",
            (uuid.uuid4(), letter.letter_id, channel),
        )
        row = conn.execute(
            "SELECT id::text FROM letter_notices WHERE letter_id = %s AND channel = %s",
            (letter.letter_id, channel),
        ).fetchone()
        assert row is not None
        if columns:
            sets = ", ".join(f"{name} = %({name})s" for name in columns)
            conn.execute(
                f"UPDATE letter_notices SET {sets} WHERE id = %(id)s", {**columns, "id": row[0]}
            )
    return str(row[0])


def _undelivered(client: httpx.Client, code: str) -> list[dict[str, Any]]:
    response = client.get("/v1/board", params={"letter": "undelivered", "dossier_code": code})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _delivery(client: httpx.Client, letter: Issued) -> dict[str, Any]:
    [item] = [i for i in _undelivered(client, letter.code) if i["dossier_id"] == letter.dossier_id]
    assert item["delivery"]["letter_number"] == letter.number
    return dict(item["delivery"])


def test_the_board_says_where_the_letter_stands_and_flags_it(
    platform: Platform, systems: Systems, database: Database
) -> None:
    hanoi = officer_client(platform, "truc.hanoi")
    letter = _issue(platform, systems, hanoi, database)
    # Intake moves the appointment: the dossier leaves the board's default view, but a
    # letter not reached in time stays under "not reached the citizen".
    with _deadlines(database) as conn:
        wait_for(
            lambda: (
                conn.execute(
                    "SELECT status FROM watched_dossiers WHERE dossier_id = %s",
                    (letter.dossier_id,),
                ).fetchone()
                == ("rescheduled",)
            ),
            timeout_s=45,
            what="intake's reschedule reaching the board",
        )
    [asked] = [i for i in board_json(hanoi, letter.code) if i["dossier_id"] == letter.dossier_id]
    assert asked["status"] == "rescheduled"  # found by its code, with its letter's delivery
    assert asked["delivery"]["letter_number"] == letter.number

    delivery = _delivery(hanoi, letter)
    assert delivery["text"] == ["Chờ gửi"]  # staged with the letter, its channel not yet fixed
    assert delivery["flagged"] is True
    assert delivery["flag"].startswith("Chưa đến công dân — đã quá hạn gửi phiếu")

    sms = _notice(database, letter, "sms", state="sent", sent_at="2026-12-05T07:05:00Z")
    assert _delivery(hanoi, letter)["text"] == ["Đã gửi, chờ xác nhận (SMS)"]
    _notice(database, letter, "sms", state="failed_permanent", reason="số không tồn tại")
    _notice(database, letter, "zalo", follows_notice_id=sms)
    assert _delivery(hanoi, letter)["text"] == [
        "Gửi không thành công (SMS): số không tồn tại — chuyển Zalo",
        "Chờ gửi (Zalo)",
    ]
    _notice(database, letter, "zalo", state="delivered", delivered_at="2026-12-05T07:05:00Z")
    reached = _delivery(hanoi, letter)
    assert reached["text"][-1] == "Đã đến công dân 14:05 05/12 (Zalo)"
    assert reached["flag"].startswith("Đến công dân sau hạn gửi phiếu")  # its deadline: 2025

    page = hanoi.get("/board", params={"letter": "undelivered", "dossier_code": letter.code})
    assert page.status_code == 200
    assert "Đã đến công dân 14:05 05/12 (Zalo)" in page.text
    assert '<strong class="delivery-flag">Đến công dân sau hạn gửi phiếu' in page.text
    count = re.search(r'id="count-letters_undelivered"[^>]*><span class="count">(\d+)', page.text)
    assert count, page.text
    assert int(count.group(1)) == 1
    exported = hanoi.get(
        "/board/export.csv", params={"letter": "undelivered", "dossier_code": letter.code}
    )
    [row] = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert row["Gửi đến công dân"].endswith("Đã đến công dân 14:05 05/12 (Zalo)")
    assert row["Cảnh báo gửi phiếu"].startswith("Đến công dân sau hạn gửi phiếu")

    haiphong = officer_client(platform, "truc.haiphong")
    assert all(i["dossier_id"] != letter.dossier_id for i in _undelivered(haiphong, letter.code))
    theirs = haiphong.get(
        "/v1/board", params={"letter": "undelivered", "dossier_code": letter.code}
    )
    assert theirs.json()["counts"]["letters_undelivered"] == 0

    # Reached before its deadline: no flag, and off the "not reached" rows and count.
    with _deadlines(database) as conn:
        conn.execute(
            "UPDATE apology_letters SET apology_deadline = now() + interval '1 day' WHERE id = %s",
            (letter.letter_id,),
        )
    assert all(i["dossier_id"] != letter.dossier_id for i in _undelivered(hanoi, letter.code))


def _pdf_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in pages))


def _batch_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/board/post/batches/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def _outbox(database: Database, dossier_id: str) -> list[dict[str, Any]]:
    with _deadlines(database) as conn:
        rows = conn.execute(
            "SELECT payload FROM outbox WHERE topic = %s AND message_key = %s ORDER BY id",
            (Topic.APOLOGY_DELIVERIES.value, dossier_id),
        ).fetchall()
    return [row[0] for row in rows]


def test_the_print_batch_prints_the_address_and_the_letter_and_is_posted_once(
    platform: Platform, systems: Systems, database: Database
) -> None:
    hanoi = officer_client(platform, "truc.hanoi")
    haiphong = officer_client(platform, "truc.haiphong")
    with_address = _issue(platform, systems, hanoi, database)
    without = _issue(platform, systems, hanoi, database, address=None)
    notices = {_notice(database, letter, "post"): letter for letter in (with_address, without)}

    waiting = hanoi.get("/board/post")
    assert waiting.status_code == 200
    assert with_address.code in waiting.text
    assert without.code in waiting.text
    assert with_address.code not in haiphong.get("/board/post").text
    assert haiphong.post("/board/post/batches").status_code == 409  # none of theirs waits

    assert _delivery(hanoi, with_address)["text"] == ["Chờ in gửi bưu điện"]
    batch = _batch_of(hanoi.post("/board/post/batches"))
    assert _delivery(hanoi, with_address)["text"] == ["Đã vào đợt in, chờ gửi bưu điện"]
    assert with_address.code not in hanoi.get("/board/post").text  # no longer waiting
    page = hanoi.get(f"/board/post/batches/{batch}")
    assert page.status_code == 200
    assert with_address.name in page.text
    assert with_address.address is not None
    assert with_address.address in page.text
    assert "Không có địa chỉ trên hồ sơ" in page.text  # the other letter, said so

    pdf = hanoi.get(f"/board/post/batches/{batch}/letters.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    for expected in (with_address.name, with_address.address, f"Số: {with_address.number}"):
        assert expected in text, f"{expected!r} missing from the batch:\n{text}"
    assert without.name not in text  # no blank label for the citizen with no address

    for url in (f"/board/post/batches/{batch}", f"/board/post/batches/{batch}/letters.pdf"):
        assert haiphong.get(url).status_code == 404
    assert haiphong.post(f"/board/post/batches/{batch}/posted").status_code == 404
    assert hanoi.get("/board/post/batches/99999999999").status_code == 404
    assert hanoi.get("/board/post/batches/1x").status_code == 404

    assert _batch_of(hanoi.post(f"/board/post/batches/{batch}/posted")) == batch
    with _deadlines(database) as conn:
        states = dict(
            conn.execute(
                "SELECT id::text, state FROM letter_notices WHERE id = ANY(%s::uuid[])",
                (list(notices),),
            ).fetchall()
        )
        posted = conn.execute(
            "SELECT posted_by, posted_at FROM letter_print_batches WHERE id = %s", (int(batch),)
        ).fetchone()
    assert posted is not None
    assert posted[0] == "truc.hanoi"
    by_letter = {notices[n].code: state for n, state in states.items()}
    assert by_letter == {with_address.code: "posted", without.code: "failed_permanent"}
    events = {letter.code: _outbox(database, letter.dossier_id) for letter in notices.values()}
    assert [e["data"]["state"] for e in events[with_address.code]] == ["posted"]
    assert [e["data"]["state"] for e in events[without.code]] == ["failed_permanent"]
    event = events[with_address.code][0]
    assert event["type"] == "vn.motcua.apology.delivery_updated.v1"
    assert event["data"]["channel"] == "post"
    assert event["data"]["letter_number"] == with_address.number
    assert with_address.name not in str(events)
    assert with_address.address not in str(events)

    # Marking twice changes nothing.
    assert _batch_of(hanoi.post(f"/board/post/batches/{batch}/posted")) == batch
    assert [len(e) for e in events.values()] == [
        len(_outbox(database, letter.dossier_id)) for letter in notices.values()
    ]
    shown = _delivery(hanoi, with_address)
    assert shown["text"][0].startswith("Đã gửi bưu điện ")


def test_the_print_pages_fit_a_phone_name_officers_and_pass_an_accessibility_audit(
    page: Page, platform: Platform, systems: Systems, database: Database
) -> None:
    """The letters to post, a batch and the batches list: cards on a phone (no sideways
    scroll), officers by their names (never their logins), axe-core clean."""
    hanoi = officer_client(platform, "truc.hanoi")
    letter = _issue(platform, systems, hanoi, database, address=None)
    _notice(database, letter, "post")

    page.goto(f"{platform.deadlines}/board/post")
    page.fill("#username", "truc.hanoi")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{platform.deadlines}/board/post")
    expect(page.locator("#waiting")).to_contain_text(letter.code)
    assert_no_serious_violation(page, "letters to post")
    assert_fits(page, "post-waiting")

    page.get_by_role("button", name="Tạo đợt in hôm nay").click()
    expect(page.locator("#batch-letters")).to_contain_text(letter.code)
    expect(page.locator("#batch-letters")).to_contain_text("Không có địa chỉ trên hồ sơ")
    expect(page.locator("#batch-state")).to_contain_text("Trực ban Hà Nội")
    expect(page.locator("#batch-state")).not_to_contain_text("truc.hanoi")
    assert_no_serious_violation(page, "print batch")
    assert_fits(page, "post-batch")

    page.get_by_role("button", name="Đã gửi bưu điện").click()
    expect(page.locator("#batch-state")).to_contain_text("Đã gửi bưu điện")
    expect(page.locator("#batch-state")).not_to_contain_text("truc.hanoi")
    assert_no_serious_violation(page, "print batch posted")
    assert_fits(page, "post-batch-posted")

    page.get_by_role("link", name="Thư gửi bưu điện").first.click()
    batches = page.locator("#batches")
    expect(batches).to_contain_text("Trực ban Hà Nội")
    expect(batches).not_to_contain_text("truc.hanoi")
    assert_no_serious_violation(page, "print batches")
    assert_fits(page, "post-batches")
