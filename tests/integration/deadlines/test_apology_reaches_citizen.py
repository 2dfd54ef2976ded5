"""The apology reaches the citizen, end to end through the real intake, Kafka, the
deadlines worker's sender and the officers' web: providers' signed receipts mark a letter
delivered (the board and the delivery topic say so), a forged or replayed receipt changes
nothing, a permanent failure falls back SMS → Zalo → the print batch, whose PDF carries
the citizen's address; and no contact of these citizens appears in any topic or log.

Each test's citizens have contacts of their own, so what is searched for in the topics
and the logs can only have come from this test."""

from __future__ import annotations

import io
import json
import random
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from pypdf import PdfReader

from motcua.delivery import SIGNATURE_HEADER, sign
from motcua.kafka import Topic
from tests.cloudevents_sdk import structured_event
from tests.conftest import Database, Infra
from tests.integration.conftest import Systems, auth, receive_command, wait_for
from tests.integration.deadlines.conftest import (
    Platform,
    board_json,
    officer_client,
    wait_for_item,
)
from tests.integration.kafka_log import ends, read_to_end

SECRET = f"bi-mat-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def worker_env() -> dict[str, str]:
    """The providers' secrets on both processes; notices go at any hour; the receipts are
    this test's to send (the recording channel answers nothing)."""
    return {
        "QUIET_HOURS": "",
        "RECORDING_RECEIPTS": "none",
        **{f"DELIVERY_RECEIPT_SECRET_{c}": SECRET for c in ("SMS", "ZALO", "EMAIL")},
    }


@dataclass(frozen=True)
class Citizen:
    name: str
    phone: str
    email: str
    address: str

    @classmethod
    def new(cls) -> Citizen:
        tag = uuid.uuid4().hex[:6]
        return cls(
            name=f"Trần Văn Thư {tag}",
            phone="09" + "".join(random.choices("0123456789", k=8)),
            email=f"thu.{tag}@example.vn",
            address=f"Số {random.randint(100, 999)} ngõ {tag} phố Hàng Bạc, Hoàn Kiếm, Hà Nội",
        )

    def contacts(self) -> tuple[str, ...]:
        return (self.name, self.phone, self.email, self.address)


@dataclass(frozen=True)
class Letter:
    dossier_id: str
    code: str


def _late_letter(platform: Platform, systems: Systems, citizen: Citizen) -> Letter:
    """The citizen's dossier, received in 2017 (late at once), its letter issued."""
    command = receive_command(
        systems.hanoi_commune,
        occurred_at="2017-03-01T09:30:00+07:00",
        applicant={
            "full_name": citizen.name,
            "id_number": "001190012345",
            "phone": citizen.phone,
            "email": citizen.email,
            "address": citizen.address,
        },
    )
    received = httpx.post(
        f"{platform.intake}/v1/dossiers", json=command, headers=auth(systems.hanoi), timeout=20
    )
    assert received.status_code == 201, received.text
    letter = Letter(received.json()["dossier_id"], received.json()["dossier_code"])
    hanoi = officer_client(platform, "truc.hanoi")
    wait_for_item(hanoi, letter.code, dossier_id=letter.dossier_id, letter_status="draft")
    issued = hanoi.post(
        f"/board/dossiers/{letter.dossier_id}/letter",
        data={"reason": "Chờ kết quả xác minh nơi cư trú", "extension_working_days": "3"},
    )
    assert issued.status_code == 303, issued.text
    return letter


def _notices(database: Database, letter: Letter) -> list[dict[str, Any]]:
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        cursor = conn.execute(
            "SELECT n.id::text, n.channel, n.state, n.reason, n.next_attempt_at, m.link, m.body "
            "FROM letter_notices n JOIN apology_letters l ON l.id = n.letter_id "
            "LEFT JOIN recorded_messages m ON m.notice_id = n.id "
            "WHERE l.dossier_id = %s ORDER BY n.created_at, m.id",
            (letter.dossier_id,),
        )
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _sent_on(database: Database, letter: Letter, channel: str) -> dict[str, Any]:
    """The letter's notice on ``channel`` once its provider accepted it."""

    def sent() -> dict[str, Any] | None:
        found = [n for n in _notices(database, letter) if n["channel"] == channel]
        return found[0] if found and found[0]["state"] == "sent" else None

    wait_for(lambda: sent() is not None, timeout_s=45, what=f"the {channel} notice sent")
    notice = sent()
    assert notice is not None
    return notice


def _receipt(
    platform: Platform,
    channel: str,
    reference: str,
    status: str,
    *,
    secret: str = SECRET,
    permanent: bool = False,
    reason: str | None = None,
) -> httpx.Response:
    """A provider's callback, signed as docs/delivery.md tells providers to sign it."""
    body: dict[str, Any] = {
        "reference": reference,
        "status": status,
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    if status == "failed":
        body |= {"permanent": permanent, "reason": reason or "không liên lạc được"}
    raw = json.dumps(body).encode()
    return httpx.post(
        f"{platform.deadlines}/v1/delivery-receipts/{channel}",
        content=raw,
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, raw, int(time.time())),
        },
        timeout=20,
    )


def _delivery_events(infra: Infra, since: dict[int, int], letter: Letter) -> list[dict[str, Any]]:
    messages = read_to_end(
        infra.bootstrap_servers,
        Topic.APOLOGY_DELIVERIES.value,
        since=since,
        keys={letter.dossier_id},
    )
    return [json.loads(m.value() or b"")["data"] for m in messages]


def test_a_receipt_marks_the_letter_delivered_once_and_a_forged_one_changes_nothing(
    platform: Platform, systems: Systems, database: Database, infra: Infra
) -> None:
    since = ends(infra.bootstrap_servers, Topic.APOLOGY_DELIVERIES.value)
    letter = _late_letter(platform, systems, Citizen.new())
    sms = _sent_on(database, letter, "sms")
    with psycopg.connect(database.service_urls["intake"]) as conn:
        unit = conn.execute(
            "SELECT name, public_phone FROM units WHERE code = %s", (systems.hanoi_commune,)
        ).fetchone()
    assert unit is not None
    assert unit[1], "the test world gives its units a public phone"
    assert sms["body"].startswith(f"{unit[0]} xin lỗi ông/bà"), "intake's name of the unit"
    assert f"Hỏi đáp: {unit[1]}." in sms["body"]
    public = httpx.Client(base_url=platform.deadlines, timeout=20)  # the citizen's phone
    opened = public.get("/l/" + sms["link"].rsplit("/l/", 1)[1])
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"

    forged = _receipt(platform, "sms", sms["id"], "delivered", secret="not-the-secret")
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    assert _receipt(platform, "sms", str(uuid.uuid4()), "delivered").status_code == 404
    assert _receipt(platform, "zalo", sms["id"], "delivered").status_code == 404  # not Zalo's
    assert [n["state"] for n in _notices(database, letter)] == ["sent"], "nothing changed"

    delivered = _receipt(platform, "sms", sms["id"], "delivered")
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["verdict"] == "applied"
    replayed = _receipt(platform, "sms", sms["id"], "delivered")
    assert replayed.status_code == 200
    assert replayed.json()["verdict"] == "repeated"
    contradicted = _receipt(platform, "sms", sms["id"], "failed", permanent=True)
    assert contradicted.status_code == 409
    assert [n["state"] for n in _notices(database, letter)] == ["delivered"]

    hanoi = officer_client(platform, "truc.hanoi")
    [row] = [i for i in board_json(hanoi, letter.code) if i["dossier_id"] == letter.dossier_id]
    assert row["delivery"]["text"][-1].startswith("Đã đến công dân")
    assert row["delivery"]["text"][-1].endswith("(SMS)")

    def published() -> list[str]:
        return [e["state"] for e in _delivery_events(infra, since, letter)]

    wait_for(lambda: "delivered" in published(), timeout_s=45, what="the delivered event")
    assert published() == ["sent", "delivered"], "each state published once"


def _pdf_text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in pages))


def _print_and_post(platform: Platform, citizen: Citizen, letter: Letter) -> None:
    hanoi = officer_client(platform, "truc.hanoi")
    assert letter.code in hanoi.get("/board/post").text
    created = hanoi.post("/board/post/batches")
    assert created.status_code == 303, created.text
    batch = created.headers["location"]
    assert re.fullmatch(r"/board/post/batches/\d+", batch), batch
    pdf = hanoi.get(f"{batch}/letters.pdf")
    assert pdf.status_code == 200
    text = " ".join(_pdf_text(pdf.content).split())  # the label wraps a long address
    assert citizen.name in text
    assert citizen.address in text
    assert letter.code in text
    assert hanoi.post(f"{batch}/posted").status_code == 303


def test_a_permanent_failure_falls_back_to_zalo_then_to_the_print_batch(
    platform: Platform, systems: Systems, database: Database, infra: Infra
) -> None:
    since = ends(infra.bootstrap_servers, Topic.APOLOGY_DELIVERIES.value)
    citizen = Citizen.new()
    letter = _late_letter(platform, systems, citizen)
    sms = _sent_on(database, letter, "sms")
    failed = _receipt(
        platform, "sms", sms["id"], "failed", permanent=True, reason="số không tồn tại"
    )
    assert failed.status_code == 200, failed.text
    zalo = _sent_on(database, letter, "zalo")
    assert _receipt(platform, "zalo", zalo["id"], "failed", permanent=True).status_code == 200

    def to_post() -> bool:
        return [(n["channel"], n["state"]) for n in _notices(database, letter)] == [
            ("sms", "failed_permanent"),
            ("zalo", "failed_permanent"),
            ("post", "queued"),
        ]

    wait_for(to_post, timeout_s=45, what="the letter queued for the print batch")
    _print_and_post(platform, citizen, letter)
    assert _notices(database, letter)[-1]["state"] == "posted"

    def published() -> list[tuple[str, str]]:
        return [(e["channel"], e["state"]) for e in _delivery_events(infra, since, letter)]

    wait_for(lambda: ("post", "posted") in published(), timeout_s=45, what="the posted event")
    assert published() == [
        ("sms", "sent"),
        ("sms", "failed_permanent"),
        ("zalo", "sent"),
        ("zalo", "failed_permanent"),
        ("post", "posted"),
    ]
    fell_back = _delivery_events(infra, since, letter)[1]
    assert fell_back["fallback_channel"] == "zalo"
    assert fell_back["reason"] == "số không tồn tại"


def test_no_contact_of_the_citizens_appears_in_any_topic_or_log(
    platform: Platform, systems: Systems, database: Database, infra: Infra
) -> None:
    """A citizen's letter goes the whole way (SMS refused, Zalo, post); then every topic
    the platform has, from before the dossier was received, and the three processes'
    logs are searched for the citizen's name, phone, e-mail and address. Every event of
    the dossier on them, whichever producer made it, is read by the CloudEvents SDK in
    structured mode by its ``content-type`` header."""
    topics = [topic.value for topic in Topic]
    since = {topic: ends(infra.bootstrap_servers, topic) for topic in topics}
    citizen = Citizen.new()
    letter = _late_letter(platform, systems, citizen)
    sms = _sent_on(database, letter, "sms")
    _receipt(platform, "sms", sms["id"], "failed", permanent=True, reason="số không tồn tại")
    zalo = _sent_on(database, letter, "zalo")
    _receipt(platform, "zalo", zalo["id"], "failed", permanent=True)
    wait_for(
        lambda: _notices(database, letter)[-1]["channel"] == "post",
        timeout_s=45,
        what="the post notice",
    )
    _print_and_post(platform, citizen, letter)
    wait_for(
        lambda: (
            "posted"
            in [
                e["state"]
                for e in _delivery_events(infra, since[Topic.APOLOGY_DELIVERIES.value], letter)
            ]
        ),
        timeout_s=45,
        what="the posted event",
    )
    seen, events_on = 0, set()
    for topic in topics:
        for message in read_to_end(infra.bootstrap_servers, topic, since=since[topic]):
            value = unicodedata.normalize("NFC", (message.value() or b"").decode(errors="replace"))
            seen += letter.dossier_id in value
            for contact in citizen.contacts():
                assert contact not in value, f"{topic} carries {contact!r}"
            if letter.dossier_id in value and not topic.startswith("motcua.dlq."):
                # Every event the platform produced, whichever producer, in structured mode.
                structured_event(message.headers(), message.key(), message.value() or b"")
                events_on.add(topic)
    assert seen >= 5, "the search read this citizen's events (received, alerts, letter, notices)"
    assert events_on == {
        Topic.DOSSIER_EVENTS.value,  # intake's relay
        Topic.DEADLINE_ALERTS.value,  # deadlines' Faust agent
        Topic.APOLOGY_LETTERS.value,  # deadlines' relay
        Topic.APOLOGY_DELIVERIES.value,
    }
    assert sms["id"] in platform.web.log.read_text(), "the web logged the receipt it applied"
    for log in (platform.worker.log, platform.web.log, platform.worker.log.parent / "intake.log"):
        text = unicodedata.normalize("NFC", log.read_text(errors="replace"))
        assert text, f"{log.name} is empty: nothing was searched"
        for contact in citizen.contacts():
            assert contact not in text, f"{log.name} has {contact!r}"
