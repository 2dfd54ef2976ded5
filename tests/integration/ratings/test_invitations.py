"""Returned and rejected dossiers from the real Kafka become one invitation each — however
often Kafka delivers them — and the recording channel keeps the message with its link,
asked and addressed through the real intake without ratings keeping the citizen's
phone number anywhere."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from motcua.contracts import EventType
from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer, generate_keypair
from motcua.kafka import Topic
from services.ratings.app import create_app
from services.ratings.invitations.model import ClosedDossier
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.invitations.store import create_invitations
from tests.conftest import Infra
from tests.integration import kafka_log
from tests.integration.conftest import Systems, read_dead_letters, wait_for
from tests.integration.ratings.conftest import (
    INVITATIONS,
    TOKEN_KEY,
    UNIT_PATH,
    UNPUBLISHED,
    closed_event,
    count,
    invited_events,
    produce,
    ratings_settings,
    returned_through_intake,
)


def _recorded(ratings_url: str, dossier_id: str) -> list[tuple[str, str, str, str, str]]:
    with psycopg.connect(ratings_url) as conn:
        rows = conn.execute(
            "SELECT m.channel, m.kind, m.link, m.body, coalesce(m.destination_masked, '') "
            "FROM recorded_messages m JOIN rating_invitations i ON i.id = m.invitation_id "
            "WHERE i.dossier_id = %s ORDER BY m.id",
            (dossier_id,),
        ).fetchall()
    return [tuple(row) for row in rows]


def test_a_returned_dossier_through_intake_is_invited_once_and_the_sms_recorded(
    infra: Infra, intake_url: str, ratings_url: str, systems: Systems
) -> None:
    phone = f"09{uuid.uuid4().int % 10**8:08d}"
    with returned_through_intake(
        infra,
        intake_url,
        systems,
        applicant={"full_name": "Nguyễn Thị Minh Khai", "phone": phone},
        channel="online",
    ) as returned:
        code, dossier_id = returned.code, returned.dossier_id
        settings = ratings_settings(
            infra,
            ratings_url,
            invitations_enabled=True,
            delivery_enabled=True,
            intake_url=returned.intake,
            intake_api_key=returned.ratings_key,
        )
        with TestClient(create_app(settings)):
            wait_for(lambda: len(_recorded(ratings_url, dossier_id)) == 1, what="the SMS")
    with psycopg.connect(ratings_url) as conn:
        invitation = conn.execute(
            "SELECT i.dossier_code, i.online, i.outcome, i.channel, i.token_sha256, d.status, "
            "d.attempts, d.reminder_due_at IS NOT NULL FROM rating_invitations i "
            "JOIN invitation_deliveries d ON d.invitation_id = i.id WHERE i.dossier_id = %s",
            (dossier_id,),
        ).fetchone()
        dump = conn.execute(
            "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM rating_invitations) t"
        ).fetchone()
        events = conn.execute(
            "SELECT payload FROM outbox WHERE message_key = %s", (dossier_id,)
        ).fetchall()
    assert invitation is not None
    assert invitation[:4] == (code, True, "returned", "sms")
    assert invitation[5:] == ("sent", 1, True)
    ((channel, kind, link, body, masked),) = _recorded(ratings_url, dossier_id)
    assert (channel, kind) == ("sms", "invite")
    assert link.startswith("http://ratings.test/r/")
    token = link.rsplit("/", 1)[1]
    assert hashlib.sha256(token.encode()).digest() == bytes(invitation[4])
    assert link in body
    assert masked == phone[:2] + "******" + phone[-2:]
    assert dump
    assert token not in dump[0], "the invitation table holds only the token's hash"
    assert len(events) == 1
    assert events[0][0]["type"] == EventType.RATING_INVITED
    assert events[0][0]["data"]["channels"] == ["sms", "qr"]
    with psycopg.connect(ratings_url) as conn:
        for table in ("rating_invitations", "invitation_deliveries", "recorded_messages", "outbox"):
            text = conn.execute(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t")
            assert phone not in (text.fetchone() or [""])[0], f"{table} keeps the phone number"


def test_the_same_event_three_times_makes_one_invitation(infra: Infra, ratings_url: str) -> None:
    dossier_id = str(uuid.uuid4())
    output_from = kafka_log.ends(infra.bootstrap_servers, Topic.RATING_INVITATIONS.value)
    event = closed_event(dossier_id, kind=EventType.DOSSIER_REJECTED, contact_preference="none")
    produce(infra, [event, event, event])
    settings = ratings_settings(infra, ratings_url, invitations_enabled=True)
    with TestClient(create_app(settings)):
        wait_for(lambda: count(ratings_url, INVITATIONS, [dossier_id]) > 0, what="invitation")
        # The three copies are consumed once the group's offset is past them; then again,
        # in a new batch, under another group (a replay of the topic).
        produce(infra, [event])
    replay = ratings_settings(infra, ratings_url, invitations_enabled=True)
    with TestClient(create_app(replay)):
        wait_for(lambda: _group_done(infra, replay.ratings_group_id, dossier_id), what="replay")
        wait_for(lambda: count(ratings_url, UNPUBLISHED, [dossier_id]) == 0, what="published")
        events = invited_events(infra, ratings_url, [dossier_id], output_from)
    assert events == {dossier_id: 1}, "one rating.invited on the topic, however often consumed"
    with psycopg.connect(ratings_url) as conn:
        row = conn.execute(
            "SELECT i.outcome, i.channel, d.status, d.next_attempt_at FROM rating_invitations i "
            "JOIN invitation_deliveries d ON d.invitation_id = i.id WHERE i.dossier_id = %s",
            (dossier_id,),
        ).fetchone()
    assert row == ("rejected", "qr", "qr_only", None), "no contact: the QR code only"


def _group_done(infra: Infra, group: str, dossier_id: str) -> bool:
    """The group has committed past every message of the topic."""
    topic = Topic.DOSSIER_EVENTS.value
    done = kafka_log.committed(infra.bootstrap_servers, group, topic)
    return all(
        done[p] >= end
        for p, end in kafka_log.ends(infra.bootstrap_servers, topic).items()
        if end > 0
    )


def test_a_poison_message_is_dead_lettered_and_the_partition_goes_on(
    infra: Infra, ratings_url: str
) -> None:
    dossier_id = str(uuid.uuid4())
    bad = closed_event(dossier_id)
    bad["data"]["phone"] = "0912345678"
    produce(infra, [closed_event(dossier_id)], raw=[b"{not json", json.dumps(bad).encode()])
    settings = ratings_settings(infra, ratings_url, invitations_enabled=True)
    with TestClient(create_app(settings)):
        letters = read_dead_letters(infra, Topic.DLQ_RATINGS, b"poison", expect=2)
        wait_for(lambda: count(ratings_url, INVITATIONS, [dossier_id]) > 0, what="invitation")
    reasons = {letter["motcua-dlq-reason"] for letter in letters[-2:]}
    assert reasons == {b"contract_violation"}
    details = b" ".join(letter["motcua-dlq-detail"] for letter in letters[-2:])
    assert b"data.phone" in details
    assert b"0912345678" not in details


def test_the_staff_page_lists_the_subtrees_messages_and_the_qr_code(
    infra: Infra, ratings_url: str, tmp_path: Path
) -> None:
    private_pem, public_pem = generate_keypair()
    (tmp_path / "pub.pem").write_bytes(public_pem)
    issuer = TokenIssuer.from_pem(private_pem)
    dossier = ClosedDossier.from_event(closed_event(str(uuid.uuid4()), contact_preference="email"))
    assert dossier is not None
    with psycopg.connect(ratings_url) as conn, conn.transaction():
        (invitation,) = create_invitations(
            [dossier],
            now=datetime.now().astimezone(),
            lifetime_days=30,
            seal=TokenSeal(TOKEN_KEY),
            quiet=None,
            db_session=conn,
        )
        link = f"http://ratings.test/r/{invitation.token}"
        conn.execute(
            "INSERT INTO recorded_messages (invitation_id, channel, kind, destination_masked, "
            "subject, link, body) VALUES (%s, 'email', 'invite', 'k***@e***.vn', 'Mời', %s, %s), "
            "(%s, 'email', 'followup', 'k***@e***.vn', 'Đã xử lý', %s, %s)",
            (invitation.id, link, f"Mời đánh giá {link}", invitation.id, link, f"Xử lý {link}"),
        )
        conn.execute(
            "UPDATE invitation_deliveries SET status = 'given_up', attempts = 5, "
            "last_error = 'the SMTP server answered 451', next_attempt_at = NULL "
            "WHERE invitation_id = %s",
            (invitation.id,),
        )
        # Another invitation whose follow-up notice could not go out.
        other = ClosedDossier.from_event(closed_event(str(uuid.uuid4()), contact_preference="sms"))
        assert other is not None
        (noticed,) = create_invitations(
            [other],
            now=datetime.now().astimezone(),
            lifetime_days=30,
            seal=TokenSeal(TOKEN_KEY),
            quiet=None,
            db_session=conn,
        )
        conn.execute(
            "UPDATE invitation_deliveries SET status = 'sent', notice_status = 'given_up', "
            "last_error = 'the token is no longer kept', next_attempt_at = NULL "
            "WHERE invitation_id = %s",
            (noticed.id,),
        )
    settings = ratings_settings(
        infra, ratings_url, officer_token_public_key_file=str(tmp_path / "pub.pem")
    )
    inside = issuer.issue(Officer("a", "Cán bộ A", UNIT_PATH[1], frozenset({Role.STAFF_ENTRY})))
    outside = issuer.issue(Officer("b", "Cán bộ B", "000.00.00.H26", frozenset({Role.LEADER})))
    with TestClient(create_app(settings)) as client:
        client.cookies.set(TOKEN_COOKIE, inside)
        page = client.get("/staff/messages")
        assert page.status_code == 200, page.text
        assert f'href="{link}"' in page.text
        assert "k***@e***.vn" in page.text
        assert "the SMTP server answered 451" in page.text
        assert "Báo kết quả xử lý ý kiến" in page.text  # the follow-up's notice, labelled
        given_up = page.text.split('id="given-up"', 1)[1] if 'id="given-up"' in page.text else ""
        rows = re.findall(r"<tr>(.*?)</tr>", given_up, re.S)
        kinds = {
            code: row
            for row in rows
            for code in (dossier.dossier_code, other.dossier_code)
            if code in row
        }
        assert "Lời mời" in kinds[dossier.dossier_code]
        assert "Báo kết quả xử lý ý kiến" in kinds[other.dossier_code]
        assert "the token is no longer kept" in kinds[other.dossier_code]
        svg = client.get(f"/staff/invitations/{dossier.dossier_code}/qr.svg")
        assert svg.status_code == 200
        assert svg.headers["content-type"] == "image/svg+xml"
        assert link.encode() in svg.content
        png = client.get(f"/staff/invitations/{dossier.dossier_code}/qr.png")
        assert png.content.startswith(b"\x89PNG")
        assert png.headers["cache-control"] == "no-store"
        client.cookies.set(TOKEN_COOKIE, outside)
        assert link not in client.get("/staff/messages").text
        assert client.get(f"/staff/invitations/{dossier.dossier_code}/qr.svg").status_code == 404
