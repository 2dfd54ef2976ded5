"""The relay never lets a key's (here: a dossier's) later event overtake one Kafka refused.

The rows sit in intake's outbox, the relay being any service's.

A topic of this test's own with a small ``max.message.bytes`` makes the broker refuse an
oversized event; the same dossier's next (small) event must wait in the outbox until the
refused one goes through, while other dossiers' events are published at once. Between the
two, many other dossiers' events: producing them outlasts ``linger.ms``, so the refused
event and its successor would travel in different requests — the successor accepted — if
the relay sent a dossier's events without waiting for each acknowledgement. One
partition, so the other dossiers' events also share the refused event's request.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any

import psycopg
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)

from motcua.outbox import RETRY_AFTER_S, OutboxRelay, enqueue, relay_producer_config
from tests.conftest import Infra

SMALL_LIMIT = 2_000
FILLERS = 2_000


def _create_topic(infra: Infra, name: str) -> AdminClient:
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    futures = admin.create_topics(
        [NewTopic(name, 1, 1, config={"max.message.bytes": str(SMALL_LIMIT)})]
    )
    futures[name].result(30)
    deadline = time.monotonic() + 30
    while name not in admin.list_topics(timeout=10).topics:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return admin


def _raise_limit(admin: AdminClient, name: str) -> None:
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        name,
        incremental_configs=[
            ConfigEntry("max.message.bytes", "1048588", incremental_operation=AlterConfigOpType.SET)
        ],
    )
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(30)


def _insert(conn: psycopg.Connection, topic: str, key: str, data: dict[str, Any]) -> None:
    enqueue(data, topic=topic, key=key, db_session=conn)


def _read_topic(infra: Infra, topic: str, *, expect: int, timeout_s: float) -> list[Any]:
    """(key, id) of every message on ``topic``, read until ``expect`` or the timeout."""
    consumer = Consumer(
        {
            "bootstrap.servers": infra.bootstrap_servers,
            "group.id": f"test-{uuid.uuid4()}",
            "enable.auto.commit": False,
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    found: list[tuple[str, str]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len(found) < expect:
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            found.append(
                ((message.key() or b"").decode(), json.loads(message.value() or b"{}")["id"])
            )
    finally:
        consumer.close()
    return found


def _unpublished(conn: psycopg.Connection, ids: list[str]) -> set[str]:
    rows = conn.execute(
        "SELECT event_id FROM outbox WHERE published_at IS NULL AND event_id = ANY(%s)", (ids,)
    ).fetchall()
    return {row[0] for row in rows}


def test_a_refused_event_blocks_its_dossier_but_not_the_others(
    infra: Infra, intake_url: str
) -> None:
    topic = f"test-relay-order-{uuid.uuid4().hex[:8]}"
    admin = _create_topic(infra, topic)
    blocked = f"dossier-{uuid.uuid4()}"
    # Random padding: the relay compresses (lz4), so repeated bytes would fit.
    first: dict[str, Any] = {
        "id": f"ev-{uuid.uuid4()}",
        "seq": 1,
        "pad": secrets.token_urlsafe(SMALL_LIMIT * 3),
    }
    second: dict[str, Any] = {"id": f"ev-{uuid.uuid4()}", "seq": 2}
    others: list[dict[str, Any]] = [{"id": f"ev-{uuid.uuid4()}", "seq": 1} for _ in range(FILLERS)]
    ids: list[str] = [first["id"], second["id"], *(event["id"] for event in others)]
    producer = Producer(relay_producer_config(infra.bootstrap_servers))
    relay = OutboxRelay(intake_url, producer, service="intake", batch_size=100_000)
    with psycopg.connect(intake_url, autocommit=True) as conn:
        try:
            with conn.transaction():
                _insert(conn, topic, blocked, first)  # too large for the topic: refused
                for event in others:
                    _insert(conn, topic, f"dossier-{event['id']}", event)
                _insert(conn, topic, blocked, second)

            relay.publish_batch(conn)
            for _ in range(3):  # more rounds: the blocked dossier must stay blocked
                time.sleep(RETRY_AFTER_S)
                relay.publish_batch(conn)

            assert _unpublished(conn, ids) == {first["id"], second["id"]}
            # Give a wrongly published message time to show up before asserting its absence.
            published = _read_topic(infra, topic, expect=FILLERS + 1, timeout_s=10)
            assert sorted(event_id for _, event_id in published) == sorted(
                event["id"] for event in others
            )

            _raise_limit(admin, topic)
            deadline = time.monotonic() + 30
            while _unpublished(conn, ids):
                assert time.monotonic() < deadline, "the refused event never went through"
                time.sleep(RETRY_AFTER_S / 4)
                relay.publish_batch(conn)

            on_topic = _read_topic(infra, topic, expect=FILLERS + 2, timeout_s=30)
            assert sorted(event_id for _, event_id in on_topic) == sorted(ids)
            assert [i for k, i in on_topic if k == blocked] == [first["id"], second["id"]]
        finally:
            conn.execute("DELETE FROM outbox WHERE event_id = ANY(%s)", (ids,))
            admin.delete_topics([topic])


def test_an_event_for_a_missing_topic_blocks_its_dossier_until_the_topic_exists(
    infra: Infra, intake_url: str
) -> None:
    present = f"test-relay-present-{uuid.uuid4().hex[:8]}"
    missing = f"test-relay-missing-{uuid.uuid4().hex[:8]}"
    admin = _create_topic(infra, present)
    blocked, free = f"dossier-{uuid.uuid4()}", f"dossier-{uuid.uuid4()}"
    first: dict[str, Any] = {"id": f"ev-{uuid.uuid4()}", "seq": 1}
    second: dict[str, Any] = {"id": f"ev-{uuid.uuid4()}", "seq": 2}
    other: dict[str, Any] = {"id": f"ev-{uuid.uuid4()}", "seq": 1}
    ids = [first["id"], second["id"], other["id"]]
    producer = Producer(relay_producer_config(infra.bootstrap_servers))
    relay = OutboxRelay(intake_url, producer, service="intake", batch_size=100_000)
    with psycopg.connect(intake_url, autocommit=True) as conn:
        try:
            with conn.transaction():
                _insert(conn, missing, blocked, first)  # auto-create is off: refused
                _insert(conn, present, blocked, second)
                _insert(conn, present, free, other)
            deadline = time.monotonic() + 120
            while other["id"] in _unpublished(conn, ids):
                assert time.monotonic() < deadline, "the other dossier was held back"
                relay.publish_batch(conn)
            relay.publish_batch(conn)
            assert _unpublished(conn, ids) == {first["id"], second["id"]}
            assert _read_topic(infra, present, expect=2, timeout_s=5) == [(free, other["id"])]

            admin.create_topics([NewTopic(missing, 1, 1)])[missing].result(30)
            deadline = time.monotonic() + 120
            while _unpublished(conn, ids):
                assert time.monotonic() < deadline, "the refused event never went through"
                time.sleep(RETRY_AFTER_S / 4)
                relay.publish_batch(conn)
            assert _read_topic(infra, missing, expect=1, timeout_s=30) == [(blocked, first["id"])]
            assert _read_topic(infra, present, expect=2, timeout_s=30)[-1] == (
                blocked,
                second["id"],
            )
        finally:
            conn.execute("DELETE FROM outbox WHERE event_id = ANY(%s)", (ids,))
            admin.delete_topics([present, missing])
