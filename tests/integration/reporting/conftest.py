"""Reporting's integration fixtures. Each test gets topics of its own (standing for the five
reporting counts from), a province of its own (so the session's other dossiers never fall
in its subtree), a consumer group of its own, and the real Kafka and PostgreSQL."""

from __future__ import annotations

import random
import string
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from fastapi.testclient import TestClient

from motcua.calendar import default_calendar
from motcua.contracts import EventType, encode_event
from motcua.db import open_pool
from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer
from motcua.kafka import Topic
from services.reporting.app import create_app
from services.reporting.consumer import FactConsumer
from services.reporting.projection import TOPICS, Applied, Record, apply_batch
from services.reporting.settings import ReportingSettings
from tests.conftest import Database, Infra
from tests.integration.kafka_log import ends
from tests.services.reporting.events import ROOT, Dossier

CALENDAR = default_calendar()

ROLE_OF_TYPE = {
    **{t: Topic.DOSSIER_EVENTS for t in EventType if t.value.startswith("vn.motcua.dossier.")},
    EventType.APOLOGY_ISSUED: Topic.APOLOGY_LETTERS,
    EventType.APOLOGY_DELIVERY_UPDATED: Topic.APOLOGY_DELIVERIES,
    EventType.RATING_INVITED: Topic.RATING_INVITATIONS,
    EventType.RATING_SUBMITTED: Topic.RATING_SUBMISSIONS,
    EventType.RATING_FOLLOWUP_OPENED: Topic.RATING_SUBMISSIONS,
    EventType.RATING_FOLLOWUP_CLOSED: Topic.RATING_SUBMISSIONS,
}


def _code_part(n: int) -> str:
    return "".join(random.choices(string.digits + string.ascii_uppercase, k=n))


_PREFIXES_GIVEN: set[str] = set()
"""Every province's prefix drawn this session: the communes' codes hang on the prefix
alone, so two provinces sharing one would share communes (and, read by today's tree,
each other's dossiers)."""


def _new_prefix() -> str:
    while (prefix := _code_part(3)) in _PREFIXES_GIVEN:
        pass
    _PREFIXES_GIVEN.add(prefix)
    return prefix


@dataclass(frozen=True)
class Province:
    """A province of the test's own, with two communes under it."""

    code: str
    communes: tuple[str, str]

    @classmethod
    def new(cls) -> Province:
        prefix = _new_prefix()
        return cls(
            f"{prefix}.{_code_part(2)}.00.T{random.randrange(100):02d}",
            (f"{prefix}.01.01.T01", f"{prefix}.01.02.T01"),
        )

    def path(self, commune: int = 0) -> tuple[str, ...]:
        return (ROOT, self.code, self.communes[commune])

    def dossier(self, commune: int = 0, **changes: Any) -> Dossier:
        return Dossier(unit_path=self.path(commune), **changes)


@dataclass(frozen=True)
class Topics:
    """Five topics of the test's own, each standing for one of reporting's."""

    infra: Infra
    names: dict[Topic, str]

    @property
    def prefix(self) -> str:
        """``REPORTING_TOPIC_PREFIX`` for a reporting process reading these topics."""
        return self.names[Topic.DOSSIER_EVENTS].removesuffix(Topic.DOSSIER_EVENTS.value)

    @property
    def roles(self) -> dict[str, str]:
        return {name: role.value for role, name in self.names.items()}

    def publish(self, events: Sequence[dict[str, Any]], *, raw: Sequence[bytes] = ()) -> None:
        producer = Producer({"bootstrap.servers": self.infra.bootstrap_servers, "linger.ms": 5})
        for event in events:
            topic = self.names[ROLE_OF_TYPE[EventType(event["type"])]]
            producer.produce(topic, key=event["subject"].encode(), value=encode_event(event))
        for value in raw:
            producer.produce(self.names[Topic.DOSSIER_EVENTS], key=b"poison", value=value)
        assert producer.flush(30) == 0


@dataclass
class Log:
    """Events as the topics of a test's own would hold them: each at the next offset of
    its partition. Nothing is published; the records go to ``apply_batch`` directly."""

    prefix: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}-")
    records: list[Record] = field(default_factory=list)

    @property
    def roles(self) -> dict[str, str]:
        return {f"{self.prefix}{topic.value}": topic.value for topic in TOPICS}

    @property
    def ends(self) -> dict[tuple[str, int], int]:
        ends: dict[tuple[str, int], int] = {}
        for r in self.records:
            ends[(r.topic, r.partition)] = max(ends.get((r.topic, r.partition), 0), r.offset + 1)
        return ends

    def append(self, partition: int, *events: dict[str, Any]) -> None:
        for event in events:
            topic = self.prefix + ROLE_OF_TYPE[EventType(event["type"])].value
            offset = self.ends.get((topic, partition), 0)
            self.records.append(Record(topic, partition, offset, encode_event(event)))

    def offsets(self, first: int, end: int | None = None) -> list[Record]:
        """Every partition's records from offset ``first`` up to ``end`` (excluded)."""
        return [r for r in self.records if first <= r.offset and (end is None or r.offset < end)]


def apply(url: str, log: Log, records: Sequence[Record]) -> Applied:
    """One batch, one transaction, as ``FactConsumer`` applies it."""
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        return apply_batch(records, CALENDAR, roles=log.roles, db_session=conn)


@pytest.fixture
def topics(infra: Infra) -> Topics:
    prefix = f"test-{uuid.uuid4().hex[:8]}-"
    names = {role: f"{prefix}{role.value}" for role in TOPICS}
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=3, replication_factor=1) for name in names.values()]
    )
    for future in futures.values():
        future.result(timeout=30)
    topics = Topics(infra, names)
    assert topics.prefix == prefix
    return topics


@pytest.fixture
def province() -> Province:
    return Province.new()


@pytest.fixture(scope="session")
def reporting_db(database: Database) -> str:
    return database.service_urls["reporting"]


def consumer_for(
    infra: Infra, url: str, topics: Topics, *, group_id: str | None = None, batch_size: int = 500
) -> FactConsumer:
    pool = open_pool(url, max_size=3)
    pool.open(wait=True)
    return FactConsumer(
        infra.bootstrap_servers,
        pool,
        default_calendar(),
        group_id=group_id or f"test-reporting-{uuid.uuid4().hex[:8]}",
        topics=topics.roles,
        batch_size=batch_size,
        retry_wait_s=0.2,
    )


@contextmanager
def consuming(consumer: FactConsumer) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), name="test-facts")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        consumer.pool.close()


def stored_offsets(url: str, topics: Topics) -> int:
    """How many messages of the test's topics the stored offsets say were consumed."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(next_offset), 0) FROM consumed_offsets WHERE topic = ANY(%s)",
            (list(topics.names.values()),),
        ).fetchone()
    assert row
    return int(row[0])


def stored_by_partition(url: str, topics: Topics) -> dict[tuple[str, int], int]:
    """The next offset to read of each partition of the test's topics, as stored."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT topic, partition, next_offset FROM consumed_offsets WHERE topic = ANY(%s)",
            (list(topics.names.values()),),
        ).fetchall()
    return {(topic, partition): int(offset) for topic, partition, offset in rows if offset}


def topic_ends(topics: Topics) -> dict[tuple[str, int], int]:
    """The end (high watermark) of each non-empty partition of the test's topics, as Kafka
    says: what a consumer that missed nothing has stored."""
    return {
        (name, partition): high
        for name in topics.names.values()
        for partition, high in ends(topics.infra.bootstrap_servers, name).items()
        if high
    }


def reporting_settings(
    infra: Infra, url: str, public_key: Path, **changes: Any
) -> ReportingSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.bootstrap_servers,
        "database_url": url,
        "officer_token_public_key_file": str(public_key),
        "signin_url": "http://deadlines.test",
        "consumer_enabled": False,
        "exporter_enabled": False,
        "ranking_min_answers": 2,
    }
    values.update(changes)
    return ReportingSettings(**values)


NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
"""The tests' "now": December has begun, November is over and may be closed."""


@contextmanager
def reporting_at_now(infra: Infra, reporting_db: str, public_key: Path) -> Iterator[TestClient]:
    """Reporting's app, its clock stopped at the tests' ``NOW``."""
    app = create_app(reporting_settings(infra, reporting_db, public_key))
    with TestClient(app, follow_redirects=False) as test_client:
        ctx = app.state.reporting
        app.state.reporting = type(ctx)(ctx.settings, ctx.pool, ctx.gate, now=lambda: NOW)
        yield test_client


@pytest.fixture
def client(
    infra: Infra, reporting_db: str, signer: tuple[TokenIssuer, Path]
) -> Iterator[TestClient]:
    with reporting_at_now(infra, reporting_db, signer[1]) as test_client:
        yield test_client


def sign_in(
    client: TestClient, signer: tuple[TokenIssuer, Path], unit: str, *roles: Role
) -> Officer:
    officer = Officer(
        f"ld.{uuid.uuid4().hex[:6]}", "Lãnh đạo thử", unit, frozenset(roles or (Role.LEADER,))
    )
    client.cookies.set(TOKEN_COOKIE, signer[0].issue(officer))
    return officer
