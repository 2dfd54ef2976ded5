"""Commands produced straight to Kafka: same code path, rejects dead-lettered with reasons."""

from __future__ import annotations

import json
import time
import uuid

import psycopg
from confluent_kafka import Consumer, Producer, TopicPartition
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from motcua.kafka import Topic
from services.intake.app import create_app
from tests.conftest import Infra
from tests.integration.conftest import Systems, read_dead_letters, receive_command
from tests.integration.intake.conftest import intake_settings


def _system_name(intake_url: str, unit_code: str) -> str:
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT name FROM upstream_systems WHERE unit_code = %s AND name LIKE 'hanoi-%%'",
            (unit_code,),
        ).fetchone()
    assert row
    return str(row[0])


def _kafka_replays() -> float:
    labels = {"door": "kafka"}
    return REGISTRY.get_sample_value("motcua_intake_commands_replayed_total", labels) or 0.0


def _dossiers_of(intake_url: str, full_name: str) -> list[str]:
    """Every dossier of an applicant: what a command applied twice would have made twice."""
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT d.id FROM dossiers d JOIN applicants a ON a.ref = d.applicant_ref "
            "WHERE a.full_name = %s",
            (full_name,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def _messages_keyed(infra: Infra, key: str, *, settle_s: float) -> list[bytes]:
    """Every message on motcua.dossier-events keyed ``key``, polling until ``settle_s``
    have passed since the last one (or 30 s without any)."""
    consumer = Consumer(
        {"bootstrap.servers": infra.bootstrap_servers, "group.id": f"t-{uuid.uuid4()}"}
    )
    topic = Topic.DOSSIER_EVENTS.value
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    found: list[bytes] = []
    last = time.monotonic() + 30 - settle_s
    try:
        while time.monotonic() < last + settle_s:
            message = consumer.poll(0.2)
            if message is None or message.error() or message.key() != key.encode():
                continue
            found.append(message.value() or b"")
            last = time.monotonic()
    finally:
        consumer.close()
    return found


def test_kafka_commands_apply_and_poison_goes_to_the_dead_letter_topic(
    infra: Infra, intake_url: str, systems: Systems
) -> None:
    system = _system_name(intake_url, systems.hanoi_province).encode()
    key = f"upstream-{uuid.uuid4()}".encode()
    applicant = {"full_name": f"Người Thử {uuid.uuid4().hex[:8]}"}
    good = {"kind": "receive", **receive_command(systems.hanoi_commune, applicant=applicant)}
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

    replays_before = _kafka_replays()
    settings = intake_settings(infra, intake_url)
    with TestClient(create_app(settings)):
        letters = read_dead_letters(infra, Topic.DLQ_INTAKE, key, expect=4)
        # The last message repeats the good command: once it was answered as a replay, the
        # door has handled all six.
        deadline = time.monotonic() + 30
        while _kafka_replays() == replays_before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _kafka_replays() == replays_before + 1
        dossier_ids = _dossiers_of(intake_url, good["applicant"]["full_name"])
        assert len(dossier_ids) == 1, "the good command behind the poison made one dossier"
        published = _messages_keyed(infra, dossier_ids[0], settle_s=3)
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox WHERE message_key = %s", (dossier_ids[0],)
        ).fetchone()
    assert row == (1,), "one event in the outbox for it"
    assert len(published) == 1, "and one message on motcua.dossier-events"
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


def test_bad_input_on_the_kafka_door_is_dead_lettered_with_its_reason(
    infra: Infra, intake_url: str, systems: Systems
) -> None:
    system = _system_name(intake_url, systems.hanoi_province).encode()
    key = f"upstream-{uuid.uuid4()}".encode()
    applicant = {"full_name": f"Người Thử {uuid.uuid4().hex[:8]}"}
    good = {"kind": "receive", **receive_command(systems.hanoi_commune, applicant=applicant)}
    reused = {**good, "channel": "postal"}  # the same event id, another receipt
    nul = {"kind": "receive", **receive_command(systems.hanoi_commune, event_id="up-\x00")}
    ancient = {
        "kind": "receive",
        **receive_command(systems.hanoi_commune, occurred_at="0143-06-01T09:00:00+07:00"),
    }
    too_deep = b"[" * 100_000 + b"]" * 100_000
    messages: list[tuple[bytes, list[tuple[str, str | bytes | None]]]] = [
        (too_deep, [("motcua-system", system)]),
        (json.dumps(nul).encode(), [("motcua-system", system)]),
        (json.dumps(ancient).encode(), [("motcua-system", system)]),
        (json.dumps(good).encode(), [("motcua-system", b"hanoi\x00")]),
        (json.dumps(good).encode(), [("motcua-system", system)]),
        (json.dumps(reused).encode(), [("motcua-system", system)]),
    ]
    producer = Producer({"bootstrap.servers": infra.bootstrap_servers})
    for value, headers in messages:
        producer.produce(Topic.INTAKE_COMMANDS.value, key=key, value=value, headers=headers)
    assert producer.flush(10) == 0

    settings = intake_settings(infra, intake_url, outbox_relay_enabled=False)
    with TestClient(create_app(settings)):
        letters = read_dead_letters(infra, Topic.DLQ_INTAKE, key, expect=5)
    reasons = [letter["motcua-dlq-reason"].decode() for letter in letters]
    assert reasons == [
        "malformed_json",  # nesting too deep for the parser: the door goes on
        "invalid",
        "implausible_time",
        "unknown_system",
        "event_id_reused",
    ]
    letters = letters[1:]
    assert b"event_id" in letters[0]["motcua-dlq-detail"]
    assert b"0143-06-01" in letters[1]["motcua-dlq-detail"]
    [dossier_id] = _dossiers_of(intake_url, applicant["full_name"])
    with psycopg.connect(intake_url) as conn:
        row = conn.execute("SELECT code FROM dossiers WHERE id = %s", (dossier_id,)).fetchone()
    assert row
    assert row[0].encode() in letters[3]["motcua-dlq-detail"], "names the original dossier"
