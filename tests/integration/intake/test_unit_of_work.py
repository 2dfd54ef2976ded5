"""The unit of work's one retry policy, on the real PostgreSQL: a transaction PostgreSQL
aborted (a deadlock, a serialization failure) or whose connection it dropped runs again
and commits; any other error is not run again; aborted on every attempt, or with
PostgreSQL unreachable, the API answers its one 503 problem with ``Retry-After`` — never
a bare 500."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from psycopg import Connection
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool
from tenacity import wait_none
from tenacity.wait import WaitBaseT

from motcua.calendar import default_calendar
from motcua.db import open_pool
from services.intake.app import create_app
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.unit_of_work import ATTEMPTS, JITTER, UnitOfWork, unavailable
from tests.conftest import Infra
from tests.integration.intake.conftest import intake_settings

DAY = date(1999, 1, 4)  # counters of made-up units on a day no test receives on


@pytest.fixture
def pool(intake_url: str) -> Iterator[ConnectionPool]:
    with ConnectionPool(intake_url, min_size=2, max_size=4, open=True) as opened:
        yield opened


NO_WAIT = wait_none()


def _writes(pool: ConnectionPool, *, wait: WaitBaseT = NO_WAIT) -> UnitOfWork:
    return UnitOfWork(pool, IntakeRules(calendar=default_calendar()), wait=wait)


def _counters(intake_url: str, n: int) -> list[str]:
    units = [f"test-uow-{uuid.uuid4()}" for _ in range(n)]
    with psycopg.connect(intake_url) as conn:
        conn.execute(
            "INSERT INTO dossier_code_counters (unit_code, day, last) "
            "SELECT u, %s, 0 FROM unnest(%s::text[]) AS u",
            (DAY, units),
        )
    return units


def _bump(conn: Connection, unit: str) -> int:
    """Take the counter's row lock (the statement is sent and answered before it returns)."""
    row = conn.execute(
        "UPDATE dossier_code_counters SET last = last + 1 WHERE unit_code = %s AND day = %s "
        "RETURNING last",
        (unit, DAY),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _last(intake_url: str, unit: str) -> int:
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT last FROM dossier_code_counters WHERE unit_code = %s", (unit,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def _aborts(reason: str) -> float:
    name = "motcua_intake_batch_aborts_total"
    return REGISTRY.get_sample_value(name, {"error": reason}) or 0.0


def test_a_real_deadlock_is_run_again_and_both_writers_commit(
    pool: ConnectionPool, intake_url: str
) -> None:
    """Two writers lock the same two rows in opposite orders: PostgreSQL aborts one, which
    runs again (after the policy's jitter) and commits. Run again at once, the victim can
    take its first row back before the other writer, woken, takes it: a second deadlock,
    run again too; every abort is one more attempt, and both writers commit."""
    first, second = _counters(intake_url, 2)
    both_hold_one = threading.Barrier(2, timeout=30)
    attempts = {first: 0, second: 0}

    def writer(one: str, other: str) -> Callable[[Connection], int]:
        def work(conn: Connection) -> int:
            attempts[one] += 1
            _bump(conn, one)
            if attempts[one] == 1:
                both_hold_one.wait()
            return _bump(conn, other)

        return work

    before = _aborts("deadlock")
    threads = [
        threading.Thread(target=_writes(pool, wait=JITTER).run, args=(writer(first, second),)),
        threading.Thread(target=_writes(pool, wait=JITTER).run, args=(writer(second, first),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert (_last(intake_url, first), _last(intake_url, second)) == (2, 2), "both committed"
    aborted = _aborts("deadlock") - before
    assert aborted >= 1, "PostgreSQL broke the deadlock by aborting a writer"
    assert sum(attempts.values()) == 2 + aborted, "each aborted attempt ran again"


def _losing_to_a_concurrent_update(
    intake_url: str, unit: str, times: int
) -> tuple[list[int], Callable[[Connection], int]]:
    """Work that reads ``unit``'s counter in a repeatable-read snapshot and then updates
    it; its first ``times`` attempts, another session updates it in between: a real
    serialization failure."""
    attempts: list[int] = []

    def work(conn: Connection) -> int:
        attempts.append(1)
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute(
            "SELECT last FROM dossier_code_counters WHERE unit_code = %s", (unit,)
        ).fetchone()
        if len(attempts) <= times:
            with psycopg.connect(intake_url, autocommit=True) as other:
                _bump(other, unit)
        return _bump(conn, unit)

    return attempts, work


def test_a_real_serialization_failure_is_run_again_and_commits(
    pool: ConnectionPool, intake_url: str
) -> None:
    [unit] = _counters(intake_url, 1)
    attempts, work = _losing_to_a_concurrent_update(intake_url, unit, times=ATTEMPTS - 1)
    before = _aborts("serialization")
    assert _writes(pool).run(work) == ATTEMPTS  # the others' updates, then its own
    assert len(attempts) == ATTEMPTS
    assert _aborts("serialization") == before + ATTEMPTS - 1


def test_a_dropped_connection_is_swept_out_with_its_idle_siblings_and_the_work_runs_again(
    intake_url: str,
) -> None:
    """PostgreSQL drops every connection of intake's pool (what a restart or a switch to
    the standby does) while the work runs: the idle ones are swept out, not handed to the
    next attempt, which runs on a new connection and commits once."""
    [unit] = _counters(intake_url, 1)
    name = f"test-uow-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    def work(conn: Connection) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid <> pg_backend_pid()",
                (name,),
            ).fetchall()
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return _bump(conn, unit)

    before = _aborts("connection_lost")
    with open_pool(make_conninfo(intake_url, application_name=name), max_size=3) as pool:
        pool.wait()
        assert _writes(pool).run(work) == 1
        assert pool.get_stats().get("connections_lost", 0) == 2, "both idle ones swept out"
    assert len(attempts) == 2
    assert _last(intake_url, unit) == 1, "committed once"
    assert _aborts("connection_lost") == before + 1


def test_an_error_that_is_not_an_abort_is_not_run_again(
    pool: ConnectionPool, intake_url: str
) -> None:
    """A unique violation (a conflict), a refusal: the same work would fail the same way."""
    [unit] = _counters(intake_url, 1)
    calls: list[int] = []

    def conflicting(conn: Connection) -> None:
        calls.append(1)
        conn.execute(
            "INSERT INTO dossier_code_counters (unit_code, day, last) VALUES (%s, %s, 0)",
            (unit, DAY),
        )

    with pytest.raises(psycopg.errors.UniqueViolation):
        _writes(pool).run(conflicting)
    assert calls == [1]

    def refused(conn: Connection) -> None:
        calls.append(1)
        _bump(conn, unit)
        raise IntakeError(409, "Illegal transition", "not from this state")

    with pytest.raises(IntakeError):
        _writes(pool).run(refused)
    assert calls == [1, 1]
    assert _last(intake_url, unit) == 0, "the refused work's write was rolled back"


def _route(app: FastAPI, writes: UnitOfWork, work: Callable[[Connection], object]) -> TestClient:
    def endpoint() -> dict[str, str]:
        writes.run(work)
        return {}

    app.add_api_route("/test/write", endpoint)
    return TestClient(app, raise_server_exceptions=False)


def test_aborted_on_every_attempt_is_intakes_one_503_problem(
    infra: Infra, pool: ConnectionPool, intake_url: str
) -> None:
    app = create_app(intake_settings(infra, intake_url, inbound_enabled=False))
    assert app.exception_handlers[psycopg.OperationalError] is unavailable
    [unit] = _counters(intake_url, 1)
    attempts, work = _losing_to_a_concurrent_update(intake_url, unit, times=99)
    response = _route(app, _writes(pool), work).get("/test/write")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "concurrent writes to the same dossiers; retry the request"
    assert len(attempts) == ATTEMPTS
    assert _last(intake_url, unit) == ATTEMPTS, "only the other sessions' updates committed"


def test_postgresql_unreachable_is_the_same_503_at_once(infra: Infra, intake_url: str) -> None:
    app = create_app(intake_settings(infra, intake_url, inbound_enabled=False))
    calls: list[int] = []
    with ConnectionPool(
        "postgresql://nobody@127.0.0.1:9/none", min_size=1, timeout=1, open=True
    ) as away:
        response = _route(app, _writes(away), lambda _: calls.append(1)).get("/test/write")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["title"] == "Unavailable"
    assert calls == []
