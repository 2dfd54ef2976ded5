"""Commands produced straight to Kafka: same code path, rejects dead-lettered with reasons."""

from __future__ import annotations

import json
import time
import uuid

import psycopg
from confluent_kafka import Consumer, Producer, TopicPartition
from fastapi.testclient import TestClient

from motcua.kafka import Topic
from services.intake.app import create_app
from tests.conftest import Infra
from tests.integration.conftest import Systems, receive_command
from tests.integration.intake.conftest import intake_settings


def _system_name(intake_url: str, unit_code: str) -> str:
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT name FROM upstream_systems WHERE unit_code = %s AND name LIKE 'hanoi-%%'",
            (unit_code,),
        ).fetchone()
    assert row
    return str(row[0])


def _dead_letters(infra: Infra, key: bytes, expect: int) -> list[dict[str, bytes]]:
    consumer = Consumer(
        {"bootstrap.servers": infra.bootstrap_servers, "group.id": f"t-{uuid.uuid4()}"}
    )
    topic = Topic.DLQ_INTAKE.value
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    found: list[dict[str, bytes]] = []
    deadline = time.monotonic() + 60
    try:
        while len(found) < expect and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() or message.key() != key:
                continue
            raw_headers = message.headers() or []
            pairs = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
            headers = {k: v for k, v in pairs if isinstance(v, bytes)}
            found.append({**headers, "value": message.value() or b""})
    finally:
        consumer.close()
    return found


def test_kafka_commands_apply_and_poison_goes_to_the_dead_letter_topic(
    infra: Infra, intake_url: str, systems: Systems
) -> None:
    system = _system_name(intake_url, systems.hanoi_province).encode()
    key = f"upstream-{uuid.uuid4()}".encode()
    good = {"kind": "receive", **receive_command(systems.hanoi_commune)}
    refused = {
        "kind": "receive",
        **receive_command(systems.hanoi_commune, procedure_code="9.999999"),
    }
    messages: list[tuple[bytes, list[tuple[str, str | bytes | None]]]] = [
        (b"{not json", [("motcua-system", system)]),
        (json.dumps(good).encode(), []),
        (json.dumps(good).encode(), [("motcua-system", b"no-such-system")]),
        (json.dumps(refused).encode(), [("motcua-system", system)]),
        (json.dumps(good).encode(), [("motcua-system", system)]),
        (json.dumps(good).encode(), [("motcua-system", system)]),
    ]
    producer = Producer({"bootstrap.servers": infra.bootstrap_servers})
    for value, headers in messages:
        producer.produce(Topic.INTAKE_COMMANDS.value, key=key, value=value, headers=headers)
    assert producer.flush(10) == 0

    settings = intake_settings(infra, intake_url, outbox_relay_enabled=False)
    with TestClient(create_app(settings)):
        letters = _dead_letters(infra, key, expect=4)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with psycopg.connect(intake_url) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM dossier_events WHERE upstream_event_id = %s",
                    (good["event_id"],),
                ).fetchone()
            if row and row[0]:
                break
            time.sleep(0.2)
    assert row == (1,), "the good command behind the poison was applied exactly once"
    reasons = [letter["motcua-dlq-reason"].decode() for letter in letters]
    assert reasons == [
        "malformed_json",
        "unknown_system",
        "unknown_system",
        "unknown_procedure_code",
    ]
    assert letters[0]["value"] == b"{not json"
    assert b"9.999999" in letters[3]["motcua-dlq-detail"]
    assert all(
        letter["motcua-dlq-topic"] == Topic.INTAKE_COMMANDS.value.encode() for letter in letters
    )
