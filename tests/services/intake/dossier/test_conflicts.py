"""Conflicts between writers: a single request whose transaction PostgreSQL aborts (deadlock,
serialization) runs again, then answers 503 with Retry-After — never a bare 500; a batch
item that conflicts twice is refused alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from psycopg import errors

import services.intake.dossier.views as views
from motcua.http import Problem
from services.intake.dossier.service import Outcome


class _Connection:
    @contextmanager
    def pipeline(self) -> Iterator[None]:
        yield


class _Pool:
    @contextmanager
    def connection(self) -> Iterator[_Connection]:
        yield _Connection()


def _context() -> Any:
    return SimpleNamespace(pool=_Pool(), rules=None)


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "check_occurred_at", lambda *_: None)
    monkeypatch.setattr(views.time, "sleep", lambda _: None)


def _failing(times: int, error: type[Exception]) -> tuple[list[int], Any]:
    calls: list[int] = []

    def work(_: object) -> Outcome:
        calls.append(1)
        if len(calls) <= times:
            raise error("aborted")
        return Outcome(201, {"dossier_code": "000.00.01.H01-261202-0001"})

    return calls, work


@pytest.mark.parametrize("error", [errors.DeadlockDetected, errors.SerializationFailure])
def test_an_aborted_request_runs_again_and_succeeds(error: type[Exception]) -> None:
    calls, work = _failing(views.BATCH_ATTEMPTS - 1, error)
    outcome = views._run(_context(), work, "http", occurred_at=datetime.now(UTC))
    assert outcome.status == 201
    assert len(calls) == views.BATCH_ATTEMPTS


def test_a_request_aborted_every_time_is_a_503_problem_to_retry() -> None:
    calls, work = _failing(99, errors.DeadlockDetected)
    with pytest.raises(Problem) as problem:
        views._run(_context(), work, "http", occurred_at=datetime.now(UTC))
    assert problem.value.status == 503
    assert problem.value.headers == {"Retry-After": "1"}
    assert problem.value.detail == "concurrent writes to the same dossiers; retry the request"
    assert len(calls) == views.BATCH_ATTEMPTS


class _BatchConnection(_Connection):
    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield


class _BatchPool:
    @contextmanager
    def connection(self) -> Iterator[_BatchConnection]:
        yield _BatchConnection()


def test_an_item_that_conflicts_twice_is_refused_alone_and_the_others_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "_lock_in_order", lambda *_: None)
    monkeypatch.setattr(views, "_already_recorded", lambda *_: set())

    def execute(item: dict[str, Any], **_: Any) -> Outcome:
        if item["event_id"] == "conflicting":
            raise errors.UniqueViolation("duplicate key")
        return Outcome(201, {"event_id": item["event_id"]})

    monkeypatch.setattr(views, "execute_command", execute)
    items = [{"event_id": "first"}, {"event_id": "conflicting"}, {"event_id": "last"}]
    context = SimpleNamespace(pool=_BatchPool(), rules=None)
    results, refusals = views._run_batch_item_by_item(items, principal=None, ctx=context)  # type: ignore[arg-type]
    assert [result.status for result in results] == [201, 409, 201]
    assert refusals == ["conflict"]
    assert results[1].body["title"] == "Conflict"


def test_a_receipt_whose_group_never_commits_is_a_503_to_send_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A committer that is down must not hold the request forever."""
    import asyncio
    from concurrent.futures import Future

    monkeypatch.setattr(views, "RECEIPT_WAIT_S", 0.05)
    never: Future[Outcome] = Future()
    context = SimpleNamespace(rules=None, receipts=SimpleNamespace(submit=lambda *_: never))
    command = SimpleNamespace(occurred_at=datetime.now(UTC))
    with pytest.raises(Problem) as problem:
        asyncio.run(
            views.post_dossier(None, command, None, context)  # type: ignore[arg-type]
        )
    assert problem.value.status == 503
    assert problem.value.headers == {"Retry-After": "1"}
    assert "same event_id" in (problem.value.detail or "")
