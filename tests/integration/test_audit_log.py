"""The shared audit log on a real PostgreSQL: appends chain, the table refuses changes,
``verify_chain`` names the first entry changed, removed or inserted behind its back, and
an inspector reads only their subtree."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from motcua.audit import (
    Action,
    ActorKind,
    AuditFilter,
    AuditScope,
    Outcome,
    read_entries,
    record,
    verify_chain,
)
from tests.conftest import Infra

DDL = Path(__file__).resolve().parents[2] / "motcua/audit/migrations/audit.0001.log.sql"


@pytest.fixture
def audit_url(infra: Infra) -> Iterator[str]:
    """A schema of its own holding just the audit log, dropped afterwards."""
    schema = f"audit_{secrets.token_hex(4)}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute(DDL.read_text())
    sep = "&" if "?" in infra.admin_url else "?"
    try:
        yield f"{infra.admin_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _act(n: int, unit_path: tuple[str, ...] = ("BCA", "HN", "HN-HK")) -> Action:
    return Action(
        actor=f"can-bo-{n % 3}",
        actor_kind=ActorKind.OFFICER,
        action="board.acknowledged" if n % 2 else "letter.issued",
        record_type="dossier",
        record_id=f"D-{n:04d}",
        unit_path=unit_path,
        address="10.0.0.7",
        details={"n": n},
    )


def _append(url: str, count: int, start: int = 0) -> None:
    with psycopg.connect(url) as conn:
        for n in range(start, start + count):
            with conn.transaction():
                record(_act(n), db_session=conn)


def test_a_clean_log_verifies_and_concurrent_writers_keep_one_chain(audit_url: str) -> None:
    writers = [threading.Thread(target=_append, args=(audit_url, 25, i * 100)) for i in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    with psycopg.connect(audit_url) as conn:
        check = verify_chain(db_session=conn)
        seqs = [r[0] for r in conn.execute("SELECT seq FROM audit_log ORDER BY seq")]
    assert check.intact, check
    assert check.checked == 100
    assert seqs == list(range(1, 101))


def _fail_after_recording(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    with conn.transaction():
        record(_act(7), db_session=conn)
        raise RuntimeError("the action failed")


def test_a_rolled_back_action_leaves_no_entry_and_no_gap(audit_url: str) -> None:
    _append(audit_url, 2)
    with psycopg.connect(audit_url) as conn:
        with pytest.raises(RuntimeError, match="the action failed"):
            _fail_after_recording(conn)
        with conn.transaction():
            record(_act(8), db_session=conn)
        assert verify_chain(db_session=conn).intact
        assert conn.execute("SELECT max(seq), count(*) FROM audit_log").fetchone() == (3, 3)


def test_the_table_refuses_update_delete_and_truncate(audit_url: str) -> None:
    _append(audit_url, 1)
    with psycopg.connect(audit_url, autocommit=True) as conn:
        for statement in (
            "UPDATE audit_log SET actor = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)


@pytest.mark.parametrize(
    ("tamper", "broken", "reason"),
    [
        ("UPDATE audit_log SET details = '{\"n\": 99}' WHERE seq = 4", 4, "content"),
        ("UPDATE audit_log SET outcome = 'refused' WHERE seq = 6", 6, "content"),
        ("DELETE FROM audit_log WHERE seq = 3", 4, "expected entry 3"),
        ("UPDATE audit_log SET prev_hash = hash WHERE seq = 5", 5, "link"),
    ],
)
def test_verify_names_the_first_entry_changed_behind_the_logs_back(
    audit_url: str, tamper: str, broken: int, reason: str
) -> None:
    _append(audit_url, 8)
    with psycopg.connect(audit_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # the triggers stay silent
        conn.execute(tamper)
    with psycopg.connect(audit_url) as conn:
        check = verify_chain(db_session=conn)
    assert check.first_broken == broken
    assert reason in check.reason


def test_an_inspector_reads_their_subtree_and_platform_entries_only_from_the_top(
    audit_url: str,
) -> None:
    with psycopg.connect(audit_url) as conn, conn.transaction():
        record(_act(1, ("BCA", "HN", "HN-HK")), db_session=conn)
        record(_act(2, ("BCA", "HCM")), db_session=conn)
        record(
            Action("root", ActorKind.ADMIN, "key.registered", outcome=Outcome.OK),
            db_session=conn,
        )
    with psycopg.connect(audit_url) as conn:

        def seen(scope: AuditScope, wanted: AuditFilter | None = None) -> list[str]:
            entries = read_entries(scope, wanted or AuditFilter(), db_session=conn)
            return [e.action.record_id or e.action.action for e in entries]

        assert seen(AuditScope("HN", sees_platform=False)) == ["D-0001"]
        assert seen(AuditScope("HCM", sees_platform=False)) == ["D-0002"]
        assert seen(AuditScope("BCA", sees_platform=True)) == [
            "key.registered",
            "D-0002",
            "D-0001",
        ]
        assert seen(AuditScope("BCA", sees_platform=True), AuditFilter(action="letter.")) == [
            "D-0002"
        ]
        assert seen(AuditScope("BCA", sees_platform=True), AuditFilter(actor="can-bo-1")) == [
            "D-0001"
        ]
