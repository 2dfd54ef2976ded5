"""Integration fixtures shared by every service's tests: intake's reference data seeded into
the session database, upstream systems with keys, and helpers to build and read dossier
events."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, Message, TopicPartition

from motcua.identity import TokenIssuer, generate_keypair
from motcua.kafka import Topic
from services.intake.auth import Scope, register_system
from services.intake.reference.service import seed_reference_data
from tests.cloudevents_sdk import structured_event
from tests.conftest import Database, Infra
from tests.live_server import free_port


@dataclass(frozen=True)
class Systems:
    """API keys of three upstream systems with different scopes."""

    hanoi: str
    haiphong: str
    admin: str
    hanoi_province: str
    hanoi_commune: str
    haiphong_commune: str


def unit_in_province(conn: psycopg.Connection, province_name: str, level: str) -> str:
    """The first unit in service of that level under the province (not one the 2025
    reform retired: those take no new dossier)."""
    row = conn.execute(
        "SELECT u.code FROM units u JOIN units p ON p.code = ANY(u.path) "
        "WHERE p.level = 'province' AND p.name LIKE %s AND u.level = %s "
        "AND u.retired_on IS NULL ORDER BY u.code LIMIT 1",
        (f"%{province_name}%", level),
    ).fetchone()
    assert row, f"the seed has no {level} in {province_name}"
    return str(row[0])


@pytest.fixture(scope="session")
def intake_url(database: Database) -> str:
    url = database.service_urls["intake"]
    with psycopg.connect(url) as conn:
        seed_reference_data(db_session=conn)
        # The national list carries no public phone numbers: a department loads its units'
        # own. The test world gives the units in service of the two provinces the tests use
        # one, as such a list would, so pages and messages that print it can be checked.
        conn.execute(
            "UPDATE units SET public_phone = '024 3942 1234' WHERE retired_on IS NULL "
            "AND public_phone IS NULL AND (path && ARRAY['000.00.00.H01', '000.00.00.H31'])"
        )
    load_procedure_codes(url)
    return url


@pytest.fixture(scope="session")
def systems(intake_url: str) -> Systems:
    with psycopg.connect(intake_url) as conn:
        hanoi_province = unit_in_province(conn, "Hà Nội", "province")
        haiphong_province = unit_in_province(conn, "Hải Phòng", "province")
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        assert root
        keys = {
            "hanoi": register_system(
                f"hanoi-{uuid.uuid4().hex[:6]}",
                hanoi_province,
                [Scope.WRITE, Scope.READ],
                db_session=conn,
            )[1],
            "haiphong": register_system(
                f"haiphong-{uuid.uuid4().hex[:6]}",
                haiphong_province,
                [Scope.WRITE, Scope.READ],
                db_session=conn,
            )[1],
            "admin": register_system(
                f"admin-{uuid.uuid4().hex[:6]}", root[0], [Scope.ADMIN], db_session=conn
            )[1],
        }
        return Systems(
            **keys,
            hanoi_province=hanoi_province,
            hanoi_commune=unit_in_province(conn, "Hà Nội", "commune"),
            haiphong_commune=unit_in_province(conn, "Hải Phòng", "commune"),
        )


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def receive_command(unit: str, **overrides: Any) -> dict[str, Any]:
    command: dict[str, Any] = {
        "event_id": f"up-{uuid.uuid4()}",
        "occurred_at": "2025-04-21T09:30:00+07:00",
        "procedure_code": _procedure_code("residence", 7),
        "unit_code": unit,
        "channel": "in_person",
        "applicant": {
            "full_name": "Nguyễn Thị Minh Khai",
            "id_number": "001190012345",
            "phone": "0912345678",
            "address": "12 phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
        },
        "contact_preference": "sms",
        "documents": ["Tờ khai thay đổi thông tin cư trú (CT01)"],
    }
    command.update(overrides)
    return command


_PROCEDURES: dict[tuple[str, int], str] = {}


def load_procedure_codes(intake_url: str) -> None:
    with psycopg.connect(intake_url) as conn:
        for code, field, amount, unit in conn.execute(
            "SELECT code, field, processing_amount, processing_unit FROM procedures"
        ):
            if unit == "working_days":
                _PROCEDURES.setdefault((field, amount), code)


def _procedure_code(field: str, days: int) -> str:
    return _PROCEDURES[(field, days)]


def procedure_code(field: str, days: int) -> str:
    return _procedure_code(field, days)


def table_counts(intake_url: str) -> tuple[int, int, int, int]:
    """Dossiers, outbox rows, timeline entries, applicants: what a refused command must not
    change."""
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM dossiers), (SELECT count(*) FROM outbox), "
            "(SELECT count(*) FROM dossier_events), (SELECT count(*) FROM applicants)"
        ).fetchone()
    assert row
    return row[0], row[1], row[2], row[3]


def new_procedure(**changes: Any) -> dict[str, Any]:
    """The admin API's body for a procedure of a test's own (a fresh code in series 9)."""
    code = f"9.{uuid.uuid4().int % 1_000_000:06d}"
    return {
        "code": code,
        "name": "Thủ tục thử nghiệm",
        "field": "residence",
        "processing_time": {"amount": 3, "unit": "working_days"},
        "online_level": "partial",
        "result_channels": ["counter"],
        "pause_policy": "resume_remaining",
        "basis": "Thử nghiệm",
        **changes,
    }


def read_events(
    infra: Infra,
    keys: set[str],
    *,
    expect: int,
    timeout_s: float = 30,
    topic_of: Topic = Topic.DOSSIER_EVENTS,
) -> list[dict[str, Any]]:
    """Every event in Kafka (dossier events unless ``topic_of`` says) keyed by one of
    ``keys``, duplicates included, each read by the CloudEvents SDK in structured mode by
    its ``content-type`` header (a message without it fails).

    Waits until ``expect`` distinct event ids have been read (or the timeout).
    """
    consumer = Consumer(
        {
            "bootstrap.servers": infra.bootstrap_servers,
            "group.id": f"test-{uuid.uuid4()}",
            "enable.auto.commit": False,
        }
    )
    topic = topic_of.value
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and len({e["id"] for e in found}) < expect:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            key = (message.key() or b"").decode()
            if key in keys:
                found.append(
                    structured_event(message.headers(), message.key(), message.value() or b"")
                )
    finally:
        consumer.close()
    return found


def read_dead_letters(
    infra: Infra, topic: Topic, key: bytes, *, expect: int, timeout_s: float = 45
) -> list[dict[str, bytes]]:
    """The headers (and ``value``) of the dead letters keyed ``key``, once ``expect`` came."""
    consumer = Consumer(
        {"bootstrap.servers": infra.bootstrap_servers, "group.id": f"t-{uuid.uuid4()}"}
    )
    partitions = consumer.list_topics(topic.value, timeout=10).topics[topic.value].partitions
    consumer.assign([TopicPartition(topic.value, p, 0) for p in partitions])
    found: list[dict[str, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < expect and time.monotonic() < deadline:
            message = consumer.poll(0.3)
            if message is None or message.error() or message.key() != key:
                continue
            found.append(dead_letter(message))
    finally:
        consumer.close()
    return found


def dead_letter(message: Message) -> dict[str, bytes]:
    """A dead letter's headers by name, and its ``value`` (the message it holds)."""
    raw_headers = message.headers() or []
    pairs = raw_headers.items() if isinstance(raw_headers, dict) else raw_headers
    headers = {k: v for k, v in pairs if isinstance(v, bytes)}
    return {**headers, "value": message.value() or b""}


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="session")
def signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[TokenIssuer, Path]:
    """The platform's sign-in key pair: the issuer signs officers' tokens, the services
    under test hold only the public key's file."""
    private_pem, public_pem = generate_keypair()
    public = tmp_path_factory.mktemp("keys") / "officer-token.pub.pem"
    public.write_bytes(public_pem)
    return TokenIssuer.from_pem(private_pem), public


def wait_for(check: Callable[[], bool], *, timeout_s: float = 60, what: str = "") -> None:
    """Poll ``check`` until it holds; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what or check}")


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A real SMTP server process (aiosmtpd) writing what it receives to a maildir:
    ``(port, maildir)``."""
    port, maildir = free_port(), tmp_path / "maildir"
    log = (tmp_path / "smtpd.log").open("wb")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"),
            *("-c", "aiosmtpd.handlers.Mailbox", str(maildir)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not maildir.exists() or _closed(port):
            assert process.poll() is None, (tmp_path / "smtpd.log").read_text()
            assert time.monotonic() < deadline, "the SMTP server did not start"
            time.sleep(0.1)
        yield port, maildir
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
