"""The outbox table on the real PostgreSQL: one shape in every schema that has one, whether
the schema was made by today's migrations or kept from before the DDL moved into
``motcua.outbox`` (intake's and ratings' own copies, which had drifted); and deadlines'
letters left unpublished by the old worker are staged in its outbox, not lost."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from yoyo import read_migrations

from motcua.db import (
    SERVICES,
    apply_migrations,
    bootstrap_database,
    migrations_dir,
    with_database,
)
from motcua.db._migrations import migration_backend
from motcua.kafka import Topic
from services.deadlines.letters.service import LetterTask, apology_event
from tests.conftest import Database, Infra

PUBLISHERS = ("intake", "ratings", "deadlines")

# The outbox as each service's own migrations created it before this package held the one
# copy: what a database kept from then (`make up`'s .stack/) has.
INTAKE_0001 = """
CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      text        NOT NULL UNIQUE,
    topic         text        NOT NULL,
    message_key   text        NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
"""
INTAKE_0003 = (
    "ALTER TABLE outbox ADD COLUMN created_xid xid8 NOT NULL DEFAULT pg_current_xact_id();"
)
RATINGS_0002 = """
CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      text        NOT NULL UNIQUE,
    topic         text        NOT NULL,
    message_key   text        NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    created_xid   xid8        NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
"""


def _shape(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The outbox table of the URL's own schema: columns, indexes and constraints, with the
    schema's name taken out."""
    with psycopg.connect(url) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()
        assert schema is not None
        columns = conn.execute(
            "SELECT ordinal_position, column_name, data_type, is_nullable, column_default, "
            "is_identity, identity_generation FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'outbox' "
            "ORDER BY ordinal_position"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, replace(indexdef, current_schema() || '.', '') FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = 'outbox' ORDER BY indexname"
        ).fetchall()
        constraints = conn.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass('outbox') ORDER BY conname"
        ).fetchall()
    return {"columns": columns, "indexes": indexes, "constraints": constraints}


@pytest.fixture
def kept(infra: Infra) -> Iterator[dict[str, str]]:
    """A database of its own with every service's role and schema and no migration yet:
    the test brings it to the state a kept database was in."""
    suffix = secrets.token_hex(4)
    name, prefix = f"motcua_kept_{suffix}", f"mk{suffix}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin_url = with_database(infra.admin_url, name)
    passwords = {service: secrets.token_urlsafe(16) for service in SERVICES}
    try:
        yield bootstrap_database(admin_url, passwords, role_prefix=prefix)
    finally:
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for service in SERVICES:
                conn.execute(f'DROP ROLE IF EXISTS "{prefix}_{service}"')


def test_every_service_with_an_outbox_has_the_one_shape(database: Database) -> None:
    shapes = {service: _shape(database.service_urls[service]) for service in PUBLISHERS}
    assert all(shape["columns"] for shape in shapes.values()), shapes
    assert shapes["intake"] == shapes["ratings"] == shapes["deadlines"]
    assert [column[1] for column in shapes["intake"]["columns"]] == [
        "id", "event_id", "topic", "message_key", "payload", "created_at", "published_at",
        "created_xid",
    ]  # fmt: skip
    assert _shape(database.service_urls["reporting"])["columns"] == []


@pytest.mark.parametrize(
    ("service", "copy"),
    [
        ("intake", [INTAKE_0001]),
        ("intake", [INTAKE_0001, INTAKE_0003]),
        ("ratings", [RATINGS_0002]),
    ],
    ids=["intake-0001", "intake-0003", "ratings-0002"],
)
def test_a_kept_outbox_comes_to_the_one_shape_and_keeps_its_rows(
    kept: dict[str, str], database: Database, service: str, copy: list[str]
) -> None:
    url = kept[service]
    with psycopg.connect(url) as conn:
        for statement in copy:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO outbox (event_id, topic, message_key, payload) "
            "VALUES ('kept-1', 'motcua.dossier-events', 'k', '{}')"
        )
    applied = apply_migrations(url, migrations_dir(service))
    assert "outbox.0001.table" in applied
    assert _shape(url) == _shape(database.service_urls[service])
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT event_id, published_at, created_xid IS NOT NULL FROM outbox"
        ).fetchall()
    assert rows == [("kept-1", None, True)]
    assert apply_migrations(url, migrations_dir(service)) == []


def _deadlines_before_the_outbox(url: str) -> None:
    """Deadlines' migrations as they stood before its letters went through the outbox."""
    backend = migration_backend(url)
    migrations = read_migrations(str(migrations_dir("deadlines")))
    old = migrations.__class__([m for m in migrations if m.id < "0008"])
    with backend.lock():
        backend.apply_migrations(backend.to_apply(old))


def _issued_letter(conn: psycopg.Connection, *, versions_published: list[bool]) -> LetterTask:
    """A dossier on the board with an issued letter whose versions the old worker had (or
    had not) seen acknowledged."""
    now = datetime(2025, 11, 18, 3, 0, tzinfo=UTC)
    task = LetterTask(
        letter_id=0,
        dossier_id=str(uuid.uuid4()),
        dossier_code="000.00.12.H26-251110-0042",
        unit_code="000.00.12.H26",
        unit_path=("000.00.00.H26", "000.00.12.H26"),
        procedure_code="1.004222",
        episode=1,
        status="issued",
        letter_number="7/PXL",
        original_due_at=now,
        new_due_at=now + timedelta(days=3),
        last_version=len(versions_published),
        last_reason="Chờ xác minh",
    )
    conn.execute(
        "INSERT INTO officers (username, display_name, unit_code, password_scrypt, "
        "password_salt) VALUES ('truc', 'Trực ban', %s, '\\x00', '\\x00')",
        (task.unit_code,),
    )
    conn.execute(
        "INSERT INTO watched_dossiers (dossier_id, dossier_code, unit_code, unit_path, "
        "procedure_code, episode, due_at, original_due_at, status) "
        "VALUES (%s, %s, %s, %s, %s, 1, %s, %s, 'overdue')",
        (task.dossier_id, task.dossier_code, task.unit_code, list(task.unit_path),
         task.procedure_code, now, now),
    )  # fmt: skip
    row = conn.execute(
        "INSERT INTO apology_letters (dossier_id, episode, letter_number, unit_code, "
        "original_due_at, status, letter_year, new_due_at, issued_at) "
        "VALUES (%s, 1, %s, %s, %s, 'issued', 2025, %s, %s) RETURNING id",
        (task.dossier_id, task.letter_number, task.unit_code, now, task.new_due_at, now),
    ).fetchone()
    assert row is not None
    for version, published in enumerate(versions_published, 1):
        conn.execute(
            "INSERT INTO apology_letter_versions (letter_id, version, reason, issued_by, "
            "issued_at, pdf, published_at) VALUES (%s, %s, %s, 'truc', %s, '\\x00', %s)",
            (row[0], version, f"Chờ xác minh {version}", now, now if published else None),
        )
    return LetterTask(**{**task.__dict__, "letter_id": int(row[0])})


def test_letters_the_old_worker_had_not_published_are_staged_in_the_outbox(
    kept: dict[str, str], database: Database
) -> None:
    url = kept["deadlines"]
    _deadlines_before_the_outbox(url)
    with psycopg.connect(url) as conn:
        task = _issued_letter(conn, versions_published=[True, False])

    applied = apply_migrations(url, migrations_dir("deadlines"))

    # The outbox and the move onto it first; the migrations written since come after.
    assert applied[:2] == ["outbox.0001.table", "0008.letters_through_outbox"]
    assert all(name > "0008" for name in applied[2:]), applied
    assert _shape(url) == _shape(database.service_urls["deadlines"])
    assert task.letter_number is not None
    assert task.new_due_at is not None
    expected = apology_event(
        task, task.letter_number, 2, "Chờ xác minh 2", task.new_due_at, task.original_due_at
    )
    with psycopg.connect(url) as conn:
        staged = conn.execute(
            "SELECT event_id, topic, message_key, payload, published_at FROM outbox"
        ).fetchall()
        flag = conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = 'apology_letter_versions' "
            "AND column_name = 'published_at'"
        ).fetchone()
    # Only the version never acknowledged, rebuilt under its one id, waiting for the relay.
    assert staged == [
        (expected["id"], Topic.APOLOGY_LETTERS.value, task.dossier_id, expected, None)
    ]
    assert flag == (0,), "the old flag is gone"
    assert apply_migrations(url, migrations_dir("deadlines")) == []
