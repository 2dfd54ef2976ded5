"""The real PostgreSQL under the migrations: rows go in and out, and schemas stay private."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from motcua.db import (
    AsyncSweepingPool,
    SweepingPool,
    apply_migrations,
    check_database,
    migrations_dir,
    recordset,
    with_login,
)
from tests.conftest import Database


def test_outbox_row_is_written_and_read_back_through_psycopg(database: Database) -> None:
    event_id = str(uuid.uuid4())
    payload = {"type": "vn.motcua.dossier.received.v1", "data": {"unit_code": "000.00.12.H26"}}
    with psycopg.connect(database.service_urls["intake"]) as conn:
        conn.execute(
            "INSERT INTO outbox (event_id, topic, message_key, payload) VALUES (%s, %s, %s, %s)",
            (event_id, "motcua.dossier-events", "k", Jsonb(payload)),
        )
    with psycopg.connect(database.service_urls["intake"]) as conn:
        row = conn.execute(
            "SELECT topic, payload, published_at FROM intake.outbox WHERE event_id = %s",
            (event_id,),
        ).fetchone()
    assert row is not None
    topic, stored, published_at = row
    assert topic == "motcua.dossier-events"
    assert stored == json.loads(json.dumps(payload))
    assert published_at is None


def test_migrations_are_recorded_and_not_applied_twice(database: Database) -> None:
    assert apply_migrations(database.service_urls["intake"], migrations_dir("intake")) == []
    with psycopg.connect(database.service_urls["intake"]) as conn:
        applied = conn.execute("SELECT migration_id FROM _yoyo_migration").fetchall()
    assert ("outbox.0001.table",) in applied  # motcua.outbox's, in intake's own schema


def test_a_service_role_cannot_read_another_services_tables(database: Database) -> None:
    with (
        psycopg.connect(database.service_urls["deadlines"]) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT count(*) FROM intake.outbox")


def test_each_role_lands_in_its_own_schema(database: Database) -> None:
    for service, url in database.service_urls.items():
        with psycopg.connect(url) as conn:
            (schema,) = conn.execute("SELECT current_schema()").fetchone() or (None,)
        assert schema == service


def test_readiness_check_fails_on_a_wrong_password(database: Database) -> None:
    url = database.service_urls["intake"]
    wrong = with_login(url, str(conninfo_to_dict(url)["user"]), "wrong")
    with pytest.raises(psycopg.OperationalError):
        check_database(wrong, timeout_s=2)
    check_database(url, timeout_s=2)


def test_a_recordset_brings_every_kind_of_value_back_as_it_went(database: Database) -> None:
    instant = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=7)))
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "text": "Hồ sơ \"trả\" \\ 'kết quả' {1,2}",
            "at": instant,
            "raw": b"\x00\xffsealed",
            "path": ["000.00.00.B01", "000.00.04.H01"],
            "flag": True,
            "count": 3,
            "doc": {"tên": "Đánh giá", "n": [1, None]},
        },
        {
            "id": str(uuid.uuid4()),
            "text": None,
            "at": None,
            "raw": None,
            "path": [],
            "flag": None,
            "count": None,
            "doc": None,
        },
    ]
    with psycopg.connect(database.service_urls["ratings"]) as conn:
        back = conn.execute(
            "SELECT r.id, r.text, r.at, decode(r.raw, 'hex'), r.path, r.flag, r.count, r.doc "
            "FROM ROWS FROM (jsonb_to_recordset(%s) AS (id uuid, text text, at timestamptz, "
            "raw text, path text[], flag boolean, count integer, doc jsonb)) WITH ORDINALITY "
            "AS r(id, text, at, raw, path, flag, count, doc, n) ORDER BY r.n",
            (recordset(rows),),
        ).fetchall()
    first, second = back
    assert first == (
        rows[0]["id"],
        rows[0]["text"],
        instant,
        b"\x00\xffsealed",
        ["000.00.00.B01", "000.00.04.H01"],
        True,
        3,
        {"tên": "Đánh giá", "n": [1, None]},
    )
    assert second == (uuid.UUID(str(rows[1]["id"])), None, None, None, [], None, None, None)


def _drop_every_connection_of(url: str, name: str) -> None:
    """What a restart or a switch to the standby does to a pool's connections."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        ).fetchall()


def test_a_pool_sweeps_its_dead_connections_when_the_first_comes_back_broken(
    database: Database,
) -> None:
    name = f"test-sweep-{uuid.uuid4().hex[:8]}"
    url = make_conninfo(database.service_urls["intake"], application_name=name)
    with SweepingPool(url, min_size=3, max_size=3, open=True) as pool:
        pool.wait()
        _drop_every_connection_of(database.service_urls["intake"], name)
        with pytest.raises(psycopg.OperationalError), pool.connection() as conn:
            conn.execute("SELECT 1")
        assert pool.get_stats().get("connections_lost", 0) == 2, "the two idle ones swept"
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_the_async_pool_sweeps_too(database: Database) -> None:
    name = f"test-sweep-{uuid.uuid4().hex[:8]}"
    url = make_conninfo(database.service_urls["ratings"], application_name=name)

    async def scenario() -> tuple[int, object]:
        async with AsyncSweepingPool(url, min_size=3, max_size=3, open=False) as pool:
            await pool.wait()
            _drop_every_connection_of(database.service_urls["ratings"], name)
            with pytest.raises(psycopg.OperationalError):
                async with pool.connection() as conn:
                    await conn.execute("SELECT 1")
            lost = pool.get_stats().get("connections_lost", 0)
            async with pool.connection() as conn:
                row = await (await conn.execute("SELECT 1")).fetchone()
            return lost, row

    assert asyncio.run(scenario()) == (2, (1,))
