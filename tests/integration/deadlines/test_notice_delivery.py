"""The letter's notices on the real PostgreSQL, the sender in-process: staged with each
issued version, sent on the citizen's channel (recorded, or to a real local HTTP gateway
that refuses), falling back to the next channel, and moved by receipts exactly once."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest

from motcua.delivery import Contact, DeliveryState, Receipt, RecordingChannel, Verdict
from motcua.supervision import Supervisor
from services.deadlines.board.service import record_alert
from services.deadlines.letters.models import ApologyLetter
from services.deadlines.letters.service import issue_letter, letter_task
from services.deadlines.notices.links import forget_expired, linked_pdf
from services.deadlines.notices.receipts import apply_receipt
from services.deadlines.notices.sender import NoticeSender, build_sender
from services.deadlines.notices.store import claim, record_round
from services.deadlines.officers import Officer, register_officer
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.tracking import Alert, AlertKind, DossierClock
from tests.conftest import Database
from tests.integration.conftest import wait_for

NOW = datetime.now(UTC).replace(microsecond=0)
PHONE, EMAIL = "0912345678", "khai.nguyen@example.vn"
ADDRESS = "12 phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội"
AGENCY, AGENCY_PHONE = "Công an phường Tây Hồ", "024 3835 1185"
PUBLIC = "http://thu.test"


@dataclass
class Contacts:
    """Intake's answer for every dossier: one citizen, with the preference a test sets."""

    preference: str = "sms"
    phone: str | None = PHONE
    email: str | None = EMAIL

    async def contact(self, dossier_code: str) -> Contact:
        return Contact(
            self.phone,
            self.email,
            preference=self.preference,
            agency=AGENCY,
            agency_phone=AGENCY_PHONE,
        )


@pytest.fixture
def url(database: Database) -> str:
    return database.service_urls["deadlines"]


@pytest.fixture
def conn(url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection


def _late_dossier(conn: psycopg.Connection) -> tuple[Officer, str]:
    """A fresh unit's overdue dossier with its draft letter; its officer."""
    tag = uuid.uuid4().hex[:5].upper()
    commune = f"{tag[:3]}.{tag[3:]}.01.T02"
    officer = register_officer(
        f"o-{commune}", "Trực ban", commune, "mat-khau-du-dai-123", db_session=conn
    )
    due = NOW - timedelta(days=1)
    clock = DossierClock(
        dossier_id=str(uuid.uuid4()),
        dossier_code=f"{commune}-251110-{uuid.uuid4().int % 10000:04d}",
        unit_code=commune,
        unit_path=("000.00.00.B01", commune),
        procedure_code="1.004222",
        due_at=due,
        original_due_at=due,
    )
    alert = Alert(AlertKind.OVERDUE, clock.dossier_id, 1, due)
    record_alert(alert, clock, due - timedelta(days=1), db_session=conn)
    return officer, clock.dossier_id


def _issue(conn: psycopg.Connection, officer: Officer, dossier_id: str, reason: str) -> int:
    task = letter_task(officer, dossier_id, db_session=conn)

    def letter_for(number: str, version: int, due: datetime) -> ApologyLetter:
        return ApologyLetter(
            agency="Công an xã thử nghiệm",
            parent_agency=None,
            place="Hà Nội",
            letter_number=number,
            version=version,
            citizen_name="Trần Văn An",
            citizen_address=ADDRESS,
            dossier_code=task.dossier_code,
            procedure_name="Đăng ký thường trú",
            received_at=NOW - timedelta(days=10),
            original_due_at=task.original_due_at,
            reason=reason,
            new_due_at=due,
            issued_at=NOW,
        )

    return issue_letter(
        officer,
        task,
        reason=reason,
        new_due_at=NOW + timedelta(days=3),
        issued_at=NOW,
        render=lambda letter: f"PDF {letter.letter_number} v{letter.version}".encode(),
        letter_for=letter_for,
        db_session=conn,
    ).version


def _notices(conn: psycopg.Connection, dossier_id: str) -> list[dict[str, Any]]:
    cursor = conn.execute(
        "SELECT n.id::text, n.letter_version, n.channel, n.state, n.reason, n.next_attempt_at, "
        "n.sent_at, n.delivered_at, n.follows_notice_id::text AS follows "
        "FROM letter_notices n JOIN apology_letters l ON l.id = n.letter_id "
        "WHERE l.dossier_id = %s ORDER BY n.created_at, n.letter_version, n.channel NULLS FIRST",
        (dossier_id,),
    )
    names = [column.name for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _events(conn: psycopg.Connection, dossier_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT payload FROM outbox WHERE message_key = %s AND topic = 'motcua.apology-deliveries' "
        "ORDER BY id",
        (dossier_id,),
    ).fetchall()
    return [row[0]["data"] for row in rows]


def _recorded(conn: psycopg.Connection, notice_id: str) -> list[dict[str, Any]]:
    cursor = conn.execute(
        "SELECT channel, destination_masked, subject, link, body, attachment "
        "FROM recorded_messages WHERE notice_id = %s ORDER BY id",
        (notice_id,),
    )
    names = [column.name for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _sender(url: str, contacts: Contacts, **settings: Any) -> NoticeSender:
    values: dict[str, Any] = {
        "database_url": url,
        "letter_public_url": PUBLIC,
        "quiet_hours": "",
        "delivery_retry_initial_s": 0.01,
        "delivery_retry_max_s": 0.05,
    }
    return build_sender(DeadlinesSettings(**(values | settings)), directory=contacts)


def running(sender: NoticeSender) -> AbstractContextManager[None]:
    """The sender as the worker runs it: a supervised loop, stopped when the block ends."""
    loops = Supervisor("test-deadlines")
    loops.add("letter-notices", sender.run)
    return loops.running()


def _settled(conn: psycopg.Connection, dossier_id: str, count: int) -> bool:
    notices = _notices(conn, dossier_id)
    return len(notices) == count and all(n["next_attempt_at"] is None for n in notices)


def test_each_version_is_sent_once_by_sms_with_a_link_to_that_version(
    conn: psycopg.Connection, url: str
) -> None:
    officer, dossier_id = _late_dossier(conn)
    assert _issue(conn, officer, dossier_id, "Chờ xác minh") == 1
    [staged] = _notices(conn, dossier_id)
    assert (staged["channel"], staged["state"], staged["next_attempt_at"]) == (None, "queued", NOW)
    with running(_sender(url, Contacts())):
        wait_for(lambda: _settled(conn, dossier_id, 1), what="the first SMS")
        assert _issue(conn, officer, dossier_id, "Chờ xác minh; đính chính") == 2
        wait_for(lambda: _settled(conn, dossier_id, 2), what="the correction's SMS")
    notices = _notices(conn, dossier_id)
    assert [(n["letter_version"], n["channel"], n["state"]) for n in notices] == [
        (1, "sms", "sent"),
        (2, "sms", "sent"),
    ]
    for notice in notices:
        [sms] = _recorded(conn, notice["id"])
        assert sms["destination_masked"] == "09******78"
        assert sms["link"].startswith(f"{PUBLIC}/l/")
        assert sms["link"] in sms["body"]
        assert sms["body"].startswith(f"{AGENCY} xin lỗi ông/bà")
        assert f"Hỏi đáp: {AGENCY_PHONE}." in sms["body"]
        token = sms["link"].removeprefix(f"{PUBLIC}/l/")
        pdf = linked_pdf(token, now=datetime.now(UTC), db_session=conn)
        assert pdf is not None
        assert pdf.endswith(f"v{notice['letter_version']}".encode())
        assert linked_pdf(token + "x", now=datetime.now(UTC), db_session=conn) is None
        assert linked_pdf(token, now=NOW + timedelta(days=31), db_session=conn) is None
    forget_expired(NOW + timedelta(days=31), db_session=conn)
    for notice in notices:
        [sms] = _recorded(conn, notice["id"])
        token = sms["link"].removeprefix(f"{PUBLIC}/l/")
        assert linked_pdf(token, now=NOW, db_session=conn) is None, "expired links are forgotten"
    events = _events(conn, dossier_id)
    assert [(e["letter_version"], e["channel"], e["state"]) for e in events] == [
        (1, "sms", "sent"),
        (2, "sms", "sent"),
    ]
    staged_text = json.dumps(events, ensure_ascii=False)
    assert PHONE not in staged_text
    assert EMAIL not in staged_text
    assert ADDRESS not in staged_text


def test_an_email_citizen_gets_the_pdf_attached(conn: psycopg.Connection, url: str) -> None:
    officer, dossier_id = _late_dossier(conn)
    _issue(conn, officer, dossier_id, "Chờ xác minh")
    with running(_sender(url, Contacts(preference="email"))):
        wait_for(lambda: _settled(conn, dossier_id, 1), what="the e-mail")
    [notice] = _notices(conn, dossier_id)
    assert (notice["channel"], notice["state"]) == ("email", "sent")
    [mail] = _recorded(conn, notice["id"])
    assert mail["attachment"] == "phieu-xin-loi-1-PXL-v1.pdf"
    assert mail["destination_masked"] == "k***@e***.vn"
    assert "Phiếu xin lỗi" in mail["subject"]
    assert mail["body"].endswith(f"{AGENCY}. Hỏi đáp: {AGENCY_PHONE}.")


@pytest.mark.parametrize("preference", ["post", "none"])
def test_a_post_citizen_waits_for_the_print_batch(
    conn: psycopg.Connection, url: str, preference: str
) -> None:
    officer, dossier_id = _late_dossier(conn)
    _issue(conn, officer, dossier_id, "Chờ xác minh")
    with running(_sender(url, Contacts(preference=preference))):
        wait_for(lambda: _settled(conn, dossier_id, 1), what="the notice set to post")
    [notice] = _notices(conn, dossier_id)
    assert (notice["channel"], notice["state"], notice["next_attempt_at"]) == (
        "post",
        "queued",
        None,
    )
    assert _recorded(conn, notice["id"]) == []
    assert _events(conn, dossier_id) == [], "queued is no delivery outcome"


class Refusing(ThreadingHTTPServer):
    """An SMS gateway that refuses every message (400 unless told another status),
    counting them."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RefusingHandler)
        self.references: list[str] = []
        self.status = 400

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"


class _RefusingHandler(BaseHTTPRequestHandler):
    server: Refusing

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.references.append(body["reference"])
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"error": f"invalid number {body['to']}"}).encode())

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def refusing() -> Iterator[Refusing]:
    server = Refusing()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_permanent_sms_failure_falls_back_to_zalo(
    conn: psycopg.Connection, url: str, refusing: Refusing
) -> None:
    officer, dossier_id = _late_dossier(conn)
    _issue(conn, officer, dossier_id, "Chờ xác minh")
    with running(_sender(url, Contacts(), sms_gateway_url=refusing.url)):
        wait_for(lambda: _settled(conn, dossier_id, 2), what="the fall-back to Zalo")
    sms, zalo = _notices(conn, dossier_id)
    assert (sms["channel"], sms["state"]) == ("sms", "failed_permanent")
    assert sms["reason"] == "SMS gateway refused the message (400)"
    assert refusing.references == [sms["id"]], "refused once: not tried again"
    assert (zalo["channel"], zalo["state"], zalo["follows"]) == ("zalo", "sent", sms["id"])
    [message] = _recorded(conn, zalo["id"])
    assert message["channel"] == "zalo"
    events = _events(conn, dossier_id)
    assert [(e["channel"], e["state"], e.get("fallback_channel")) for e in events] == [
        ("sms", "failed_permanent", "zalo"),
        ("zalo", "sent", None),
    ]
    assert PHONE not in json.dumps(events)


def _sent_notice(conn: psycopg.Connection, url: str) -> tuple[str, str]:
    officer, dossier_id = _late_dossier(conn)
    _issue(conn, officer, dossier_id, "Chờ xác minh")
    with running(_sender(url, Contacts())):
        wait_for(lambda: _settled(conn, dossier_id, 1), what="the SMS")
    [notice] = _notices(conn, dossier_id)
    return dossier_id, notice["id"]


def test_a_notice_failing_for_now_twice_is_published_once(
    conn: psycopg.Connection, url: str, refusing: Refusing
) -> None:
    """The gateway down (503) on two rounds: tried again each time, one event for the
    state, however many times the notice comes back to it."""
    refusing.status = 503
    officer, dossier_id = _late_dossier(conn)
    _issue(conn, officer, dossier_id, "Chờ xác minh")

    def attempts() -> int:
        row = conn.execute(
            "SELECT n.attempts FROM letter_notices n JOIN apology_letters l ON l.id = n.letter_id "
            "WHERE l.dossier_id = %s",
            (dossier_id,),
        ).fetchone()
        return int(row[0]) if row else 0

    with running(_sender(url, Contacts(), sms_gateway_url=refusing.url, delivery_max_attempts=1)):
        wait_for(lambda: attempts() == 1, what="the first round's failure")
        conn.execute(  # its retry due now rather than in a quarter of an hour
            "UPDATE letter_notices n SET next_attempt_at = now() FROM apology_letters l "
            "WHERE l.id = n.letter_id AND l.dossier_id = %s",
            (dossier_id,),
        )
        wait_for(lambda: attempts() == 2, what="the second round's failure")
    [notice] = _notices(conn, dossier_id)
    assert notice["state"] == "failed_temporary"
    assert len(refusing.references) == 2
    assert [e["state"] for e in _events(conn, dossier_id)] == ["failed_temporary"]


def _receipt(reference: str, state: DeliveryState, reason: str | None = None) -> Receipt:
    return Receipt(reference, state, reason, datetime.now(UTC))


def _apply(url: str, channel: str, receipt: Receipt) -> Verdict | None:
    with psycopg.connect(url) as connection, connection.transaction():
        return apply_receipt(channel, receipt, db_session=connection)


def test_a_receipt_is_applied_once_and_a_contradicting_one_refused(
    conn: psycopg.Connection, url: str
) -> None:
    dossier_id, notice_id = _sent_notice(conn, url)
    assert _apply(url, "sms", _receipt(str(uuid.uuid4()), DeliveryState.DELIVERED)) is None
    assert _apply(url, "sms", _receipt("not-a-uuid", DeliveryState.DELIVERED)) is None
    assert _apply(url, "zalo", _receipt(notice_id, DeliveryState.DELIVERED)) is None
    temporary = _receipt(notice_id, DeliveryState.FAILED_TEMPORARY, "phone switched off")
    assert _apply(url, "sms", temporary) is Verdict.APPLIED
    assert _notices(conn, dossier_id)[0]["state"] == "failed_temporary"
    delivered = _receipt(notice_id, DeliveryState.DELIVERED)
    assert _apply(url, "sms", delivered) is Verdict.APPLIED
    assert _apply(url, "sms", delivered) is Verdict.REPEATED
    failed = _receipt(notice_id, DeliveryState.FAILED_PERMANENT, "unknown subscriber")
    assert _apply(url, "sms", failed) is Verdict.OUT_OF_ORDER
    [notice] = _notices(conn, dossier_id)
    assert (notice["state"], notice["reason"]) == ("delivered", None)
    assert notice["delivered_at"] == delivered.occurred_at
    assert [e["state"] for e in _events(conn, dossier_id)] == [
        "sent",
        "failed_temporary",
        "delivered",
    ]


def test_a_permanent_failure_receipt_queues_one_notice_on_the_next_channel(
    conn: psycopg.Connection, url: str
) -> None:
    dossier_id, notice_id = _sent_notice(conn, url)
    failed = _receipt(notice_id, DeliveryState.FAILED_PERMANENT, "unknown subscriber")
    assert _apply(url, "sms", failed) is Verdict.APPLIED
    assert _apply(url, "sms", failed) is Verdict.REPEATED
    sms, zalo = _notices(conn, dossier_id)
    assert (sms["state"], sms["reason"]) == ("failed_permanent", "unknown subscriber")
    assert (zalo["channel"], zalo["state"], zalo["follows"]) == ("zalo", "queued", notice_id)
    assert zalo["next_attempt_at"] is not None
    [event] = [e for e in _events(conn, dossier_id) if e["state"] == "failed_permanent"]
    assert (event["fallback_channel"], event["reason"]) == ("zalo", "unknown subscriber")


def test_a_receipt_before_the_senders_record_keeps_its_state(
    conn: psycopg.Connection, url: str
) -> None:
    officer, dossier_id = _late_dossier(conn)
    _issue(conn, officer, dossier_id, "Chờ xác minh")
    sender = _sender(url, Contacts())
    with psycopg.connect(url, autocommit=True) as connection:
        claimed = [
            due
            for due in claim(
                datetime.now(UTC), 500, NOW + timedelta(minutes=10), db_session=connection
            )
            if due.facts.dossier_id == dossier_id
        ]
    [due] = claimed
    update = asyncio.run(sender.deliver(due))
    assert update.result == "sent"
    delivered = _receipt(due.notice_id, DeliveryState.DELIVERED)
    assert _apply(url, "sms", delivered) is Verdict.APPLIED
    recording = sender.channels["sms"]
    assert isinstance(recording, RecordingChannel)
    with psycopg.connect(url) as connection:
        record_round([update], recording.take(), db_session=connection)
    sender.store.db.close()
    [notice] = _notices(conn, dossier_id)
    assert (notice["state"], notice["next_attempt_at"]) == ("delivered", None)
    assert notice["sent_at"] is not None
    assert [e["state"] for e in _events(conn, dossier_id)] == ["delivered"]
