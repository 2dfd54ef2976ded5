"""Receipts of invitation messages, through ratings' app over the real database: a signed
receipt marks its message delivered once, a replay changes nothing, a forged one is 401
and changes nothing, an unknown reference is 404; the recording channel told to answer
goes through the same webhook (the local stack's path); the staff messages page says
what became of each message."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from motcua.delivery import SIGNATURE_HEADER, Contact, DeliveryState, Receipt, Verdict, sign
from motcua.delivery._answers import demo_fails
from motcua.identity import Role, TokenIssuer
from services.ratings.app import create_app
from services.ratings.delivery.messages import compose, message_id
from services.ratings.delivery.plan import Update
from services.ratings.delivery.receipts import receipt_applier
from services.ratings.delivery.sender import InvitationDeliveries
from services.ratings.invitations.model import NewInvitation
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.workers import build_sender
from tests.conftest import Infra
from tests.integration.conftest import wait_for
from tests.integration.ratings.conftest import (
    TOKEN_KEY,
    UNIT_PATH,
    FixedContacts,
    running,
    settings_for,
    sign_in,
)
from tests.integration.ratings.test_delivery import invite
from tests.live_server import live_server

SMS_SECRET = "bi-mat-bien-nhan-sms-cua-bai-kiem-thu"
ZALO_SECRET = "bi-mat-bien-nhan-zalo-cua-bai-kiem-thu"
SECRETS = {
    "delivery_receipt_secret_sms": SMS_SECRET,
    "delivery_receipt_secret_zalo": ZALO_SECRET,
    "quiet_hours": "",
    "ratings_token_key": TOKEN_KEY,
    "ratings_public_url": "http://ratings.test",
}


def message(ratings_db: str, reference: str) -> dict[str, Any]:
    with psycopg.connect(ratings_db) as conn:
        cursor = conn.execute(
            "SELECT state, reason, sent_at, delivered_at, failed_at, channel, kind "
            "FROM invitation_messages WHERE id = %s",
            (reference,),
        )
        row = cursor.fetchone()
        assert row, f"no message {reference}"
        names = [column.name for column in cursor.description or []]
    return dict(zip(names, row, strict=True))


def state(ratings_db: str, reference: str) -> str | None:
    """The message's state; None before the sender queued it."""
    with psycopg.connect(ratings_db) as conn:
        row = conn.execute(
            "SELECT state FROM invitation_messages WHERE id = %s", (reference,)
        ).fetchone()
    return row[0] if row else None


def receipt(reference: str, **changes: Any) -> bytes:
    fields = {
        "reference": reference,
        "status": "delivered",
        "occurred_at": "2026-06-10T09:15:00+07:00",
    }
    return json.dumps(fields | changes).encode()


def post(client: Any, raw: bytes, *, channel: str = "sms", secret: str = SMS_SECRET) -> Any:
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, raw, int(time.time())),
    }
    return client.post(f"/v1/delivery-receipts/{channel}", content=raw, headers=headers)


@pytest.fixture
def sent(infra: Infra, ratings_db: str, signer: tuple[TokenIssuer, Path]) -> str:
    """An SMS invitation the (recording) sender sent: its message's reference."""
    settings = settings_for(infra, ratings_db, signer[1], **SECRETS)
    invitation = invite(ratings_db, "sms")
    reference = message_id(invitation.id, "invite")
    with running(build_sender(settings, TokenSeal(TOKEN_KEY), directory=FixedContacts())):
        wait_for(lambda: state(ratings_db, reference) == "sent", what="sent")
    return reference


@pytest.fixture
def app_client(
    infra: Infra, ratings_db: str, signer: tuple[TokenIssuer, Path]
) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(infra, ratings_db, signer[1], **SECRETS))) as client:
        yield client


def test_a_signed_receipt_marks_the_message_delivered_once(
    ratings_db: str, sent: str, app_client: TestClient
) -> None:
    before = message(ratings_db, sent)
    assert (before["channel"], before["kind"], before["delivered_at"]) == ("sms", "invite", None)
    first = post(app_client, receipt(sent))
    assert first.status_code == 200, first.text
    assert first.json() == {"state": "delivered", "verdict": "applied"}
    delivered = message(ratings_db, sent)
    assert delivered["state"] == "delivered"
    assert delivered["delivered_at"] is not None
    assert delivered["sent_at"] == before["sent_at"]
    replay = post(app_client, receipt(sent, occurred_at="2026-06-11T09:15:00+07:00"))
    assert replay.status_code == 200
    assert replay.json() == {"state": "delivered", "verdict": "repeated"}
    assert message(ratings_db, sent) == delivered, "a replay changes nothing"
    late = post(app_client, receipt(sent, status="failed", permanent=True, reason="bounced"))
    assert late.status_code == 409
    assert message(ratings_db, sent) == delivered


def test_a_forged_receipt_is_401_and_changes_nothing(
    ratings_db: str, sent: str, app_client: TestClient
) -> None:
    before = message(ratings_db, sent)
    forged = post(app_client, receipt(sent), secret="doan-bua")
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    wrong_channel = post(app_client, receipt(sent), channel="zalo", secret=SMS_SECRET)
    assert wrong_channel.status_code == 401
    no_secret = post(app_client, receipt(sent), channel="email", secret="")
    assert no_secret.status_code == 401
    assert message(ratings_db, sent) == before


def test_an_unknown_or_other_channels_reference_is_404(
    ratings_db: str, sent: str, app_client: TestClient
) -> None:
    unknown = post(app_client, receipt(str(uuid.uuid4())))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    on_zalo = post(app_client, receipt(sent), channel="zalo", secret=ZALO_SECRET)
    assert on_zalo.status_code == 404, "an SMS message is not Zalo's to report"
    assert message(ratings_db, sent)["state"] == "sent"


def test_a_permanent_failure_shows_on_the_staff_page_with_its_reason(
    ratings_db: str, sent: str, app_client: TestClient, signer: tuple[TokenIssuer, Path]
) -> None:
    raw = receipt(sent, status="failed", permanent=True, reason="thuê bao 0912345678 không tồn tại")
    assert post(app_client, raw).json() == {"state": "failed_permanent", "verdict": "applied"}
    failed = message(ratings_db, sent)
    assert failed["state"] == "failed_permanent"
    assert failed["failed_at"] is not None
    assert failed["reason"] == "thuê bao […] không tồn tại"
    sign_in(app_client, signer, UNIT_PATH[1], Role.STAFF_ENTRY)
    page = app_client.get("/staff/messages")
    assert page.status_code == 200
    assert "Gửi không thành công: thuê bao […] không tồn tại" in page.text


def test_the_recording_channel_answers_through_the_webhook(
    infra: Infra, ratings_db: str, signer: tuple[TokenIssuer, Path]
) -> None:
    web = create_app(settings_for(infra, ratings_db, signer[1], **SECRETS))
    invitations: list[NewInvitation] = []
    while sum(demo_fails(message_id(i.id, "invite")) for i in invitations) < 1:
        invitations.append(invite(ratings_db, "zalo"))  # the demo's mix: a failure or more
    invitations += [invite(ratings_db, "zalo") for _ in range(3)]
    references = [message_id(i.id, "invite") for i in invitations]
    with live_server(web) as base_url:
        settings = settings_for(
            infra,
            ratings_db,
            signer[1],
            recording_receipts="demo",
            delivery_callback_base_url=base_url,
            delivery_receipt_secret_email="bi-mat-email",
            **SECRETS,
        )
        sender = build_sender(settings, TokenSeal(TOKEN_KEY), directory=FixedContacts())
        with running(sender):
            for reference in references:
                wait_for(
                    lambda r=reference: (
                        state(ratings_db, r)  # type: ignore[misc]
                        in ("delivered", "failed_permanent")
                    ),
                    what="a receipt",
                )
        assert httpx.get(f"{base_url}/healthz").status_code == 200
    for reference in references:
        answered = message(ratings_db, reference)
        expected = "failed_permanent" if demo_fails(reference) else "delivered"
        assert answered["state"] == expected, reference
        assert answered["sent_at"] is not None, "the sender's record kept the receipt's state"


def test_a_receipt_before_the_senders_record_keeps_its_state(ratings_db: str) -> None:
    """A fast provider: the receipt lands on the queued message, then the round's record
    says sent — the message stays delivered, with when it was sent."""
    invitation = invite(ratings_db, "sms")
    composed = compose(
        invitation_id=invitation.id,
        dossier_code=invitation.dossier.dossier_code,
        outcome="returned",
        channel="sms",
        kind="invite",
        link="http://ratings.test/r/x",
        expires_at=datetime.now(UTC) + timedelta(days=30),
        sender=Contact(None, None),
    )
    now = datetime.now(UTC)
    sent = Update(
        invitation_id=invitation.id,
        result="sent",
        kind="invite",
        channel="sms",
        status="sent",
        reminder_status=None,
        next_attempt_at=None,
        sent_at=now,
        message_id=composed.reference,
    )

    async def race() -> None:
        store = InvitationDeliveries(AsyncConnectionPool(ratings_db, open=False))
        await store.open()
        try:
            await store.queue(composed, invitation.id)
            with ConnectionPool(ratings_db) as pool:
                apply = receipt_applier(pool)
                arrived = Receipt(composed.reference, DeliveryState.DELIVERED, None, now)
                assert apply("sms", arrived) is Verdict.APPLIED
            await store.record([sent], [])
        finally:
            await store.close()

    asyncio.run(race())
    kept = message(ratings_db, composed.reference)
    assert kept["state"] == "delivered"
    assert kept["sent_at"] == now
    assert kept["delivered_at"] == now
