"""Ratings' integration fixtures: closed-dossier events produced to the real Kafka and the
invitations they made read back from ratings' schema; a contact directory standing in for
intake where a test is about a channel; invitations inserted directly (a token from
``new_token``, stored as ``hash_token``) for the tests of the answers, an app with the
officers' sign-in key, and officers of two subtrees."""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Producer
from fastapi.testclient import TestClient

from motcua.contracts import EventType, encode_event, new_event
from motcua.delivery import Contact
from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer
from motcua.kafka import Topic
from services.intake.app import create_app as create_intake_app
from services.intake.auth import Scope, register_system
from services.ratings.app import create_app
from services.ratings.delivery.sender import Sender
from services.ratings.invitations.tokens import hash_token, new_token
from services.ratings.settings import RatingsSettings
from services.ratings.systems import register_key
from tests.conftest import Database, Infra
from tests.integration import kafka_log
from tests.integration.conftest import Systems, auth, receive_command
from tests.integration.intake.conftest import intake_settings
from tests.integration.kafka_log import read_to_end
from tests.live_server import live_server

UNIT_PATH = ["000.00.00.B01", "000.00.00.H01", "000.00.04.H01"]
TOKEN_KEY = "khoa-niem-phong-ma-moi-cua-bai-kiem-thu"


@pytest.fixture(scope="session")
def ratings_url(database: Database) -> str:
    return database.service_urls["ratings"]


def ratings_settings(infra: Infra, ratings_url: str, **overrides: Any) -> RatingsSettings:
    """Ratings in-process with a consumer group of the test's own, no quiet hours, quick
    retries; the workers stay off unless the test turns them on."""
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.bootstrap_servers,
        "database_url": ratings_url,
        "ratings_group_id": f"test-ratings-{uuid.uuid4().hex[:8]}",
        "ratings_token_key": TOKEN_KEY,
        "ratings_public_url": "http://ratings.test",
        "quiet_hours": "",
        "delivery_retry_initial_s": 0.01,
        "delivery_retry_max_s": 0.05,
        "invitations_enabled": False,
        "delivery_enabled": False,
        **overrides,
    }
    return RatingsSettings(**values)


def _random_day() -> date:
    return date(2020, 1, 1) + timedelta(days=random.randrange(2_000))


def closed_event(
    dossier_id: str,
    *,
    kind: EventType = EventType.DOSSIER_RETURNED,
    contact_preference: str = "sms",
    received_channel: str = "in_person",
    unit_path: Sequence[str] = UNIT_PATH,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dossier_id": dossier_id,
        # A day of its own as well as a number: four random digits alone collide among
        # the session's thousands of invitations, and a code names one dossier.
        "dossier_code": f"{unit_path[-1]}-{_random_day():%y%m%d}-{uuid.uuid4().int % 10_000:04d}",
        "unit_code": unit_path[-1],
        "unit_path": list(unit_path),
        "procedure_code": "1.001612",
        "sequence": 6,
        "contact_preference": contact_preference,
        "received_channel": received_channel,
        "clock": {
            "running": False,
            "due_at": "2025-06-27T17:00:00+07:00",
            "original_due_at": "2025-06-27T17:00:00+07:00",
            "rescheduled": False,
            "closed": True,
        },
    }
    if kind is EventType.DOSSIER_RETURNED:
        data["channel"] = "counter"
    else:
        data["reason"] = "Không thuộc thẩm quyền giải quyết của đơn vị."
    return new_event(
        kind,
        source="/motcua/intake",
        subject=dossier_id,
        data=data,
        time=datetime(2025, 6, 27, 8, 15, tzinfo=UTC),
    )


def produce(infra: Infra, events: Sequence[dict[str, Any]], *, raw: Sequence[bytes] = ()) -> None:
    producer = Producer({"bootstrap.servers": infra.bootstrap_servers, "linger.ms": 5})
    for event in events:
        producer.produce(
            Topic.DOSSIER_EVENTS.value, key=event["subject"].encode(), value=encode_event(event)
        )
    for value in raw:
        producer.produce(Topic.DOSSIER_EVENTS.value, key=b"poison", value=value)
    assert producer.flush(30) == 0


def count(ratings_url: str, sql: str, ids: Sequence[str]) -> int:
    with psycopg.connect(ratings_url) as conn:
        row = conn.execute(sql, (list(ids),)).fetchone()
    assert row
    return int(row[0])


INVITATIONS = "SELECT count(*) FROM rating_invitations WHERE dossier_id = ANY(%s::uuid[])"
UNPUBLISHED = "SELECT count(*) FROM outbox WHERE message_key = ANY(%s) AND published_at IS NULL"

Written = dict[str, tuple[int, int]]
"""Where each produced event landed: its key's (partition, offset)."""


def produce_where(infra: Infra, events: Sequence[dict[str, Any]]) -> Written:
    """Produce like :func:`produce`, and say at which partition and offset each landed."""
    where = kafka_log.produce_where(
        infra.bootstrap_servers,
        Topic.DOSSIER_EVENTS.value,
        [(event["subject"].encode(), encode_event(event), []) for event in events],
    )
    return {event["subject"]: landed for event, landed in zip(events, where, strict=True)}


def invited_events(
    infra: Infra, ratings_url: str, dossier_ids: Sequence[str], since: Mapping[int, int]
) -> Counter[str]:
    """How many ``rating.invited`` messages this session's ratings published for each of
    ``dossier_ids`` on its topic, read to the end from ``since``. Call it once the relay
    has published them (no unpublished row left): the session's own outbox names its
    events, so another session's ratings inviting the same dossiers from the shared
    dossier topic is not counted."""
    assert count(ratings_url, UNPUBLISHED, dossier_ids) == 0, "the relay has not caught up"
    with psycopg.connect(ratings_url) as conn:
        ours = {
            str(row[0])
            for row in conn.execute(
                "SELECT event_id FROM outbox WHERE topic = %s AND message_key = ANY(%s)",
                (Topic.RATING_INVITATIONS.value, list(dossier_ids)),
            )
        }
    wanted = set(dossier_ids)
    counted: Counter[str] = Counter()
    for message in read_to_end(
        infra.bootstrap_servers, Topic.RATING_INVITATIONS.value, since=since, keys=wanted
    ):
        key = (message.key() or b"").decode()
        event = json.loads(message.value() or b"{}")
        if event["id"] not in ours:
            continue
        assert event["type"] == EventType.RATING_INVITED, event
        assert event["data"]["dossier_id"] == key, event
        counted[key] += 1
    return counted


AGENCY, AGENCY_PHONE = "Công an phường Tây Hồ", "024 3835 1185"


@dataclass
class FixedContacts:
    """Every dossier's applicant has the same phone and address (a test of a channel)."""

    phone: str | None = "0912345678"
    email: str | None = "khai.nguyen@example.vn"

    async def contact(self, dossier_code: str) -> Contact:
        return Contact(self.phone, self.email, agency=AGENCY, agency_phone=AGENCY_PHONE)


@contextmanager
def running(sender: Sender) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), name="test-sender")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


PROVINCE = "000.00.00.H26"
DISTRICT = "000.00.12.H26"
OTHER_PROVINCE = "000.00.00.H01"
PROCEDURE = "1.001612"


@dataclass(frozen=True)
class Invited:
    token: str
    invitation_id: uuid.UUID
    dossier_id: uuid.UUID
    dossier_code: str
    unit_code: str


def invite(
    url: str,
    *,
    unit_path: tuple[str, ...] = (PROVINCE, DISTRICT),
    online: bool = False,
    expires_in: timedelta = timedelta(days=30),
    contact_preference: str = "sms",
    code: str | None = None,
    procedure: str = PROCEDURE,
) -> Invited:
    """One invitation row, as the invitations helper writes it (for a dossier of intake's
    when ``code`` names one)."""
    token = new_token()
    invitation_id, dossier_id = uuid.uuid4(), uuid.uuid4()
    unit = unit_path[-1]
    code = code or f"{unit}-{random.randrange(10**6):06d}-{random.randrange(10**4):04d}"
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO rating_invitations (id, dossier_id, token_sha256, expires_at, "
            "dossier_code, unit_code, unit_path, procedure_code, online, outcome, "
            "contact_preference, channel) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "'returned', %s, 'sms')",
            (
                invitation_id,
                dossier_id,
                hash_token(token),
                datetime.now(UTC) + expires_in,
                code,
                unit,
                list(unit_path),
                procedure,
                online,
                contact_preference,
            ),
        )
    return Invited(token, invitation_id, dossier_id, code, unit)


def happy_form(online: bool = False, level: str = "2", **changes: str) -> dict[str, str]:
    from services.ratings.criteria import criteria_for

    form = {c.value: level for c in criteria_for(online)}
    form["overall"] = level
    form.update(changes)
    return form


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def outbox_events(url: str, dossier_id: uuid.UUID) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT topic, message_key, payload FROM outbox WHERE message_key = %s ORDER BY id",
            (str(dossier_id),),
        ).fetchall()
    return [{"topic": t, "key": k, **p} for t, k, p in rows]


@pytest.fixture(scope="session")
def ratings_db(database: Database) -> str:
    return database.service_urls["ratings"]


def settings_for(
    infra: Infra, ratings_db: str, public_key: Path, **changes: Any
) -> RatingsSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.bootstrap_servers,
        "database_url": ratings_db,
        "officer_token_public_key_file": str(public_key),
        "signin_url": "http://deadlines.test",
        "form_secret": "test-form-secret",
        "rate_limit_per_address": "100000/minute",
        "rate_limit_per_token": "1000/minute",
        # The answers' tests insert their invitations: no consumer, sender or relay.
        "invitations_enabled": False,
        "delivery_enabled": False,
        "outbox_relay_enabled": False,
    }
    values.update(changes)
    return RatingsSettings(**values)


@pytest.fixture
def client(infra: Infra, ratings_db: str, signer: tuple[TokenIssuer, Path]) -> Iterator[TestClient]:
    app = create_app(settings_for(infra, ratings_db, signer[1]))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def portal_key(url: str, per_minute: int | None = None) -> dict[str, str]:
    """The headers of a portal system of the test's own (a new key, its own quota)."""
    with psycopg.connect(url) as conn:
        key = register_key(
            f"portal-{uuid.uuid4().hex[:8]}", per_minute, actor="test", db_session=conn
        )
    return {"X-API-Key": key}


def sign_in(
    client: TestClient, signer: tuple[TokenIssuer, Path], unit: str, *roles: Role
) -> Officer:
    officer = Officer(f"cb.{uuid.uuid4().hex[:6]}", "Cán bộ <thử>", unit, frozenset(roles))
    client.cookies.set(TOKEN_COOKIE, signer[0].issue(officer))
    return officer


@dataclass(frozen=True)
class ReturnedDossier:
    intake: str
    """The base URL of the intake that returned it (still serving inside the block)."""
    ratings_key: str
    """Ratings' own read-only intake key, to ask for the contact at send time."""
    code: str
    dossier_id: str


@contextmanager
def returned_through_intake(
    infra: Infra, intake_url: str, systems: Systems, *, applicant: dict[str, str], **receipt: Any
) -> Iterator[ReturnedDossier]:
    """A real intake that received, completed and returned one dossier (its events on the
    real Kafka), serving for as long as the block runs."""
    with psycopg.connect(intake_url) as conn:
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        _, ratings_key = register_system(
            f"ratings-{uuid.uuid4().hex[:6]}", root[0], [Scope.READ], db_session=conn
        )
    with live_server(
        create_intake_app(intake_settings(infra, intake_url, inbound_enabled=False))
    ) as intake:
        command = receive_command(systems.hanoi_commune, applicant=applicant, **receipt)
        created = httpx.post(f"{intake}/v1/dossiers", json=command, headers=auth(systems.hanoi))
        assert created.status_code == 201, created.text
        code, dossier_id = created.json()["dossier_code"], created.json()["dossier_id"]
        for at, step in (
            ("2025-04-22T10:00:00+07:00", {"transition": "complete", "outcome": "granted"}),
            ("2025-04-22T11:00:00+07:00", {"transition": "return_result", "channel": "counter"}),
        ):
            moved = httpx.post(
                f"{intake}/v1/dossiers/{code}/events",
                json={"event_id": f"up-{uuid.uuid4()}", "occurred_at": at, **step},
                headers=auth(systems.hanoi),
            )
            assert moved.status_code == 200, moved.text
        yield ReturnedDossier(intake, ratings_key, code, dossier_id)
