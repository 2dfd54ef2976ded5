"""Conflicts between writers: a command that conflicts twice is refused alone, the others
commit; a receipt whose group never commits is told to send it again. (The retry of a
transaction PostgreSQL aborted is proved on the real PostgreSQL:
tests/integration/intake/test_unit_of_work.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from psycopg import errors

import services.intake.dossier.service as service
import services.intake.dossier.views as views
from motcua.http import Problem
from services.intake.dossier.commands import Parsed
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.plans import Outcome


class _Connection:
    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield


def test_an_item_that_conflicts_twice_is_refused_alone_and_the_others_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service.store, "lock_dossiers", lambda *_, **__: {})
    monkeypatch.setattr(service.store, "lock_counters", lambda *_, **__: None)
    monkeypatch.setattr(service.store, "recorded", lambda *_, **__: {})

    def write(parsed: Parsed, *_: Any, **__: Any) -> Outcome:
        if parsed.command.event_id == "conflicting":
            raise errors.UniqueViolation("duplicate key")
        return Outcome(201, {"event_id": parsed.command.event_id})

    monkeypatch.setattr(service, "_write", write)
    commands: list[Parsed | IntakeError] = [
        Parsed(SimpleNamespace(event_id=event_id))  # type: ignore[arg-type]
        for event_id in ("first", "conflicting", "last")
    ]
    results = service.write_one_by_one(
        commands,
        principal=SimpleNamespace(system_id=None),  # type: ignore[arg-type]
        rules=None,  # type: ignore[arg-type]
        db_session=_Connection(),  # type: ignore[arg-type]
    )
    assert [result.status for result in results] == [201, 409, 201]
    assert [r.reason for r in results if isinstance(r, IntakeError)] == ["conflict"]
    assert views.BatchItemResult.of(1, results[1]).body["title"] == "Conflict"


def test_a_receipt_whose_group_never_commits_is_a_503_to_send_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A committer that is down must not hold the request forever."""
    monkeypatch.setattr(views, "checked", lambda command, *_: Parsed(command))
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
