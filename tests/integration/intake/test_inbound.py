"""Commands produced straight to Kafka: same code path, rejects dead-lettered with reasons."""

from __future__ import annotations

import json
import time
import uuid

import psycopg
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from motcua.kafka import Topic
from services.intake.app import create_app
from tests.conftest import Infra
from tests.integration.conftest import Systems, dead_letter, receive_command
from tests.integration.intake.conftest import door_group, intake_settings, wait_until_handled
from tests.integration.kafka_log import Headers, produce_where, read_to_end


def _system_name(intake_url: str, unit_code: str) -> str:
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT name FROM upstream_systems WHERE unit_code = %s AND name LIKE 'hanoi-%%'",
            (unit_code,),
        ).fetchone()
    assert row
    return str(row[0])


def _dossiers_of(intake_url: str, full_name: str) -> list[str]:
    """Every dossier of an applicant: what a command applied twice would have made twice."""
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT d.id FROM dossiers d JOIN applicants a ON a.ref = d.applicant_ref "
            "WHERE a.full_name = %s",
            (full_name,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def _produce(
    infra: Infra, key: bytes, messages: list[tuple[bytes, Headers]]
) -> tuple[int, list[int]]:
    """The commands on motcua.intake-commands under ``key``: their partition (one key, one
    partition) and their offsets in order."""
    landed = produce_where(
        infra.bootstrap_servers,
        Topic.INTAKE_COMMANDS.value,
        [(key, value, headers) for value, headers in messages],
    )
    [partition] = {partition for partition, _ in landed}
    return partition, [offset for _, offset in landed]


def _dead_letters(infra: Infra, key: bytes) -> list[dict[str, bytes]]:
    """The headers (and ``value``) of every dead letter keyed ``key``, the topic read to
    its end."""
    return [
        dead_letter(message)
        for message in read_to_end(infra.bootstrap_servers, Topic.DLQ_INTAKE.value, keys=[key])
    ]


def _published(infra: Infra, intake_url: str, dossier_id: str) -> list[bytes]:
    """Every message keyed ``dossier_id`` on motcua.dossier-events, once the relay has
    published all of the dossier's outbox rows."""
    deadline = time.monotonic() + 30
    with psycopg.connect(intake_url, autocommit=True) as conn:
        while conn.execute(
            "SELECT count(*) FROM outbox WHERE message_key = %s AND published_at IS NULL",
            (dossier_id,),
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the relay did not publish the dossier's events"
            time.sleep(0.1)
    return [
        message.value() or b""
        for message in read_to_end(
            infra.bootstrap_servers, Topic.DOSSIER_EVENTS.value, keys=[dossier_id]
        )
    ]


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
    group = door_group(infra)
    partition, offsets = _produce(
        infra,
        key,
        [
            (b"{not json", [("motcua-system", system)]),
            (json.dumps(good).encode(), []),
            (json.dumps(good).encode(), [("motcua-system", b"no-such-system")]),
            (json.dumps(refused).encode(), [("motcua-system", system)]),
            (json.dumps(good).encode(), [("motcua-system", system)]),
            (json.dumps(good).encode(), [("motcua-system", system)]),  # a replay: nothing new
        ],
    )

    settings = intake_settings(infra, intake_url, inbound_group_id=group)
    with TestClient(create_app(settings)):
        wait_until_handled(infra, group, Topic.INTAKE_COMMANDS, partition, offsets[-1])
        dossier_ids = _dossiers_of(intake_url, good["applicant"]["full_name"])
        assert len(dossier_ids) == 1, "the good command behind the poison made one dossier"
        published = _published(infra, intake_url, dossier_ids[0])
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox WHERE message_key = %s", (dossier_ids[0],)
        ).fetchone()
    assert row == (1,), "one event in the outbox for it"
    assert len(published) == 1, "and one message on motcua.dossier-events"
    letters = _dead_letters(infra, key)
    # One letter for each of the four refused commands, naming it; none for the others.
    assert [int(letter["motcua-dlq-offset"]) for letter in letters] == offsets[:4]
    assert {letter["motcua-dlq-partition"] for letter in letters} == {str(partition).encode()}
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
    group = door_group(infra)
    partition, offsets = _produce(
        infra,
        key,
        [
            (too_deep, [("motcua-system", system)]),
            (json.dumps(nul).encode(), [("motcua-system", system)]),
            (json.dumps(ancient).encode(), [("motcua-system", system)]),
            (json.dumps(good).encode(), [("motcua-system", b"hanoi\x00")]),
            (json.dumps(good).encode(), [("motcua-system", system)]),
            (json.dumps(reused).encode(), [("motcua-system", system)]),
        ],
    )

    settings = intake_settings(
        infra, intake_url, outbox_relay_enabled=False, inbound_group_id=group
    )
    with TestClient(create_app(settings)):
        wait_until_handled(infra, group, Topic.INTAKE_COMMANDS, partition, offsets[-1])
    letters = _dead_letters(infra, key)
    # Every command but the good one, each named by its offset.
    assert [int(letter["motcua-dlq-offset"]) for letter in letters] == [
        offsets[0],
        offsets[1],
        offsets[2],
        offsets[3],
        offsets[5],
    ]
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


def _writes() -> float:
    """Units of work intake has written in this process, whichever path they took."""
    return sum(
        REGISTRY.get_sample_value("motcua_intake_batch_paths_total", {"path": path}) or 0.0
        for path in ("set_based", "item_by_item")
    )


def test_a_polled_batch_is_written_as_one_unit_of_work_not_one_per_message(
    infra: Infra, intake_url: str, systems: Systems
) -> None:
    system = _system_name(intake_url, systems.hanoi_province).encode()
    key = f"upstream-{uuid.uuid4()}".encode()
    names = [f"Người Lô {uuid.uuid4().hex[:8]}" for _ in range(40)]
    commands = [
        {"kind": "receive", **receive_command(systems.hanoi_commune, applicant={"full_name": n})}
        for n in names
    ]
    group = door_group(infra)
    partition, offsets = _produce(
        infra, key, [(json.dumps(c).encode(), [("motcua-system", system)]) for c in commands]
    )
    settings = intake_settings(
        infra, intake_url, outbox_relay_enabled=False, inbound_group_id=group
    )
    before = _writes()
    with TestClient(create_app(settings)):
        wait_until_handled(infra, group, Topic.INTAKE_COMMANDS, partition, offsets[-1])
    assert all(len(_dossiers_of(intake_url, name)) == 1 for name in names)
    # Forty commands already waiting on the partition arrive in a few polls, each one
    # transaction: far fewer writes than messages.
    assert 1 <= _writes() - before <= 10
    assert _dead_letters(infra, key) == []
