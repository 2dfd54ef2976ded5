"""Ratings' integration fixtures: closed-dossier events produced to the real Kafka, the
invitations they made read back from ratings' schema, and a contact directory standing in
for intake where a test is about a channel rather than about intake."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer

from motcua.contracts import EventType, encode_event, new_event
from motcua.kafka import Topic
from services.ratings.delivery.contacts import Contact
from services.ratings.delivery.sender import Sender
from services.ratings.settings import RatingsSettings
from tests.conftest import Database, Infra

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
        "dossier_code": f"{unit_path[-1]}-250627-{uuid.uuid4().int % 10_000:04d}",
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
OUTBOX = "SELECT count(*) FROM outbox WHERE message_key = ANY(%s)"


def wait_for(check: Callable[[], bool], *, timeout_s: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what or check}")


@dataclass
class FixedContacts:
    """Every dossier's applicant has the same phone and address (a test of a channel)."""

    phone: str | None = "0912345678"
    email: str | None = "khai.nguyen@example.vn"

    async def contact(self, dossier_code: str) -> Contact:
        return Contact(self.phone, self.email)


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
