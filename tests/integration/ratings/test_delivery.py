"""Delivery over real protocols: e-mail to a real SMTP server process (aiosmtpd), the SMS
gateway behind a local HTTP server that fails (retries, then give-up with the last
error), the one reminder of an unanswered invitation, and quiet hours."""

from __future__ import annotations

import json
import mailbox
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from motcua.calendar import default_calendar
from motcua.contracts import Criterion
from services.ratings.answers.service import submit_with_token
from services.ratings.criteria import Level, criteria_for
from services.ratings.delivery.messages import message_id
from services.ratings.followups.service import close_followup
from services.ratings.invitations.model import ClosedDossier, NewInvitation
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.invitations.store import create_invitations
from services.ratings.models import Answer, Channel, Entry
from services.ratings.workers import build_sender
from tests.conftest import Infra
from tests.integration.conftest import wait_for
from tests.integration.ratings.conftest import (
    AGENCY,
    AGENCY_PHONE,
    TOKEN_KEY,
    FixedContacts,
    closed_event,
    ratings_settings,
    running,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def invite(ratings_url: str, preference: str, *, now: datetime | None = None) -> NewInvitation:
    dossier = ClosedDossier.from_event(
        closed_event(str(uuid.uuid4()), contact_preference=preference)
    )
    assert dossier is not None
    with psycopg.connect(ratings_url) as conn, conn.transaction():
        (invitation,) = create_invitations(
            [dossier],
            now=now or datetime.now(UTC),
            lifetime_days=30,
            seal=TokenSeal(TOKEN_KEY),
            quiet=None,
            db_session=conn,
        )
    return invitation


def delivery(ratings_url: str, invitation: NewInvitation) -> dict[str, Any]:
    with psycopg.connect(ratings_url) as conn:
        cursor = conn.execute(
            "SELECT status, attempts, last_error, next_attempt_at, sent_at, reminder_status, "
            "reminder_due_at FROM invitation_deliveries WHERE invitation_id = %s",
            (invitation.id,),
        )
        row = cursor.fetchone()
        assert row
        names = [column.name for column in cursor.description or []]
    return dict(zip(names, row, strict=True))


def recorded_kinds(ratings_url: str, invitation: NewInvitation) -> list[str]:
    with psycopg.connect(ratings_url) as conn:
        rows = conn.execute(
            "SELECT kind FROM recorded_messages WHERE invitation_id = %s ORDER BY id",
            (invitation.id,),
        ).fetchall()
    return [row[0] for row in rows]


# --- e-mail to a real SMTP server -----------------------------------------------------


def _subject(mail: mailbox.MaildirMessage) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def test_an_email_invitation_reaches_a_real_smtp_server(
    infra: Infra, ratings_url: str, smtp_server: tuple[int, Path]
) -> None:
    port, maildir = smtp_server
    settings = ratings_settings(
        infra, ratings_url, smtp_host="127.0.0.1", smtp_port=port, smtp_from="danhgia@ca.gov.vn"
    )
    invitation = invite(ratings_url, "email")
    with running(build_sender(settings, TokenSeal(TOKEN_KEY), directory=FixedContacts())):
        wait_for(lambda: delivery(ratings_url, invitation)["status"] == "sent", what="sent")
    code = invitation.dossier.dossier_code
    mails = [
        m for m in mailbox.Maildir(maildir) if code in str(make_header(decode_header(m["Subject"])))
    ]
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"] == "khai.nguyen@example.vn"
    assert mail["From"] == "danhgia@ca.gov.vn"
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode(mail.get_content_charset() or "utf-8")
    assert f"http://ratings.test/r/{invitation.token}" in body
    assert "trả kết quả" in body
    assert recorded_kinds(ratings_url, invitation) == [], "a real channel records nothing"


# --- the SMS gateway, failing ---------------------------------------------------------


class Gateway(ThreadingHTTPServer):
    """``/flaky`` fails each message's first two calls (503); ``/down`` fails them all."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.calls: Counter[str] = Counter()
        self.bodies: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.calls[body["reference"]] += 1
            self.server.bodies[body["reference"]] = body
            calls = self.server.calls[body["reference"]]
        ok = self.path == "/flaky" and calls > 2
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status":"accepted"}' if ok else b'{"error":"busy"}')

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_the_sms_gateway_failing_twice_is_retried_and_the_third_call_sends(
    infra: Infra, ratings_url: str, gateway: Gateway
) -> None:
    settings = ratings_settings(
        infra, ratings_url, sms_gateway_url=f"{gateway.url}/flaky", delivery_max_attempts=5
    )
    invitation = invite(ratings_url, "sms")
    with running(build_sender(settings, TokenSeal(TOKEN_KEY), directory=FixedContacts())):
        wait_for(lambda: delivery(ratings_url, invitation)["status"] == "sent", what="sent")
    state = delivery(ratings_url, invitation)
    assert state["attempts"] == 3
    assert state["last_error"] is None
    reference = message_id(invitation.id, "invite")  # the message's own, not the invitation's
    assert gateway.calls[reference] == 3
    sms = gateway.bodies[reference]
    assert sms["to"] == "0912345678"
    assert f"http://ratings.test/r/{invitation.token}" in sms["text"]
    assert sms["text"].startswith(f"{AGENCY} mời ông/bà đánh giá")
    assert f"Hỏi đáp: {AGENCY_PHONE}." in sms["text"]


def test_a_gateway_that_keeps_failing_is_given_up_with_its_last_error(
    infra: Infra, ratings_url: str, gateway: Gateway
) -> None:
    settings = ratings_settings(
        infra, ratings_url, sms_gateway_url=f"{gateway.url}/down", delivery_max_attempts=3
    )
    invitation = invite(ratings_url, "sms")
    with running(build_sender(settings, TokenSeal(TOKEN_KEY), directory=FixedContacts())):
        wait_for(lambda: delivery(ratings_url, invitation)["status"] == "given_up", what="given up")
    state = delivery(ratings_url, invitation)
    assert state["attempts"] == 3
    assert state["last_error"] == "SMS gateway answered 503"
    assert state["next_attempt_at"] is None
    assert gateway.calls[message_id(invitation.id, "invite")] == 3
    assert "0912345678" not in state["last_error"]


# --- the reminder and quiet hours (recording channel, the clock moved) ----------------


def test_one_reminder_after_the_days_if_unanswered_and_none_once_answered(
    infra: Infra, ratings_url: str
) -> None:
    settings = ratings_settings(infra, ratings_url, reminder_after_days=3)
    unanswered, answered = invite(ratings_url, "zalo"), invite(ratings_url, "zalo")
    sender = build_sender(settings, TokenSeal(TOKEN_KEY), directory=FixedContacts())
    offset = timedelta()
    sender.clock = lambda: datetime.now(UTC) + offset
    with running(sender):
        for invitation in (unanswered, answered):
            wait_for(lambda i=invitation: delivery(ratings_url, i)["status"] == "sent")  # type: ignore[misc]
        with psycopg.connect(ratings_url) as conn:
            conn.execute(
                "UPDATE rating_invitations SET used_at = now() WHERE id = %s", (answered.id,)
            )
        offset = timedelta(days=3, minutes=1)
        wait_for(lambda: delivery(ratings_url, unanswered)["reminder_status"] == "sent")
        wait_for(lambda: delivery(ratings_url, answered)["reminder_status"] == "not_needed")
        time.sleep(1.5)  # a few more rounds: nothing more goes out
    assert recorded_kinds(ratings_url, unanswered) == ["invite", "reminder"]
    assert recorded_kinds(ratings_url, answered) == ["invite"]
    assert delivery(ratings_url, unanswered)["next_attempt_at"] is None


def test_at_night_the_invitation_waits_for_the_morning(infra: Infra, ratings_url: str) -> None:
    settings = ratings_settings(infra, ratings_url, quiet_hours="21:00-07:00")
    invitation = invite(ratings_url, "sms")
    sender = build_sender(settings, TokenSeal(TOKEN_KEY), directory=FixedContacts())
    night = datetime.now(VN).replace(hour=22, minute=30)
    sender.clock = lambda: max(night, datetime.now(UTC))
    with running(sender):
        wait_for(lambda: delivery(ratings_url, invitation)["next_attempt_at"] > night)
    state = delivery(ratings_url, invitation)
    assert state["status"] == "pending"
    assert state["attempts"] == 0
    assert state["next_attempt_at"] == (night + timedelta(days=1)).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    assert recorded_kinds(ratings_url, invitation) == []


def _links(ratings_url: str, invitation: NewInvitation) -> list[tuple[str, str]]:
    with psycopg.connect(ratings_url) as conn:
        rows = conn.execute(
            "SELECT kind, link FROM recorded_messages WHERE invitation_id = %s ORDER BY id",
            (invitation.id,),
        ).fetchall()
    return [(str(kind), str(link)) for kind, link in rows]


def _sealed(ratings_url: str, invitation: NewInvitation) -> bool:
    with psycopg.connect(ratings_url) as conn:
        row = conn.execute(
            "SELECT token_sealed IS NOT NULL FROM invitation_deliveries WHERE invitation_id = %s",
            (invitation.id,),
        ).fetchone()
    assert row
    return bool(row[0])


def test_a_closed_follow_up_tells_the_citizen_by_the_same_channel_with_the_link(
    infra: Infra, ratings_url: str
) -> None:
    settings = ratings_settings(infra, ratings_url)
    invitation = invite(ratings_url, "sms")
    calendar = default_calendar()
    sender = build_sender(settings, TokenSeal(TOKEN_KEY), directory=FixedContacts())
    sender.sweep_every_s = 1.0  # forgets used tokens each second, not each minute
    with running(sender):
        wait_for(lambda: delivery(ratings_url, invitation)["status"] == "sent", what="the SMS")
        levels = {c: Level.VERY_SATISFIED for c in criteria_for(invitation.dossier.online)}
        unhappy = Answer({**levels, Criterion.VISITS: Level.DISSATISFIED}, Level.SATISFIED)
        with psycopg.connect(ratings_url) as conn, conn.transaction():
            rated = submit_with_token(
                invitation.token,
                lambda _: unhappy,
                Entry(channel=Channel.WEB),
                now=datetime.now(UTC),
                calendar=calendar,
                db_session=conn,
            )
        assert rated.followup_id is not None
        time.sleep(1.5)  # rounds of the sender: the token stays sealed while the follow-up is open
        assert _sealed(ratings_url, invitation)
        assert recorded_kinds(ratings_url, invitation) == ["invite"]
        with psycopg.connect(ratings_url) as conn, conn.transaction():
            close_followup(
                rated.followup_id,
                invitation.dossier.unit_path[0],
                "truong.don.vi",
                "Đã bố trí trả kết quả qua bưu điện để ông/bà không phải đi lại.",
                now=datetime.now(UTC),
                calendar=calendar,
                db_session=conn,
            )
        wait_for(lambda: "followup" in recorded_kinds(ratings_url, invitation), what="notice")
        wait_for(lambda: not _sealed(ratings_url, invitation), what="the token forgotten")
    (invite_kind, invite_link), (notice_kind, notice_link) = _links(ratings_url, invitation)
    assert (invite_kind, notice_kind) == ("invite", "followup")
    assert notice_link == invite_link, "the notice carries the link to rate the handling"
