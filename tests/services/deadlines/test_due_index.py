"""The timer's dispatch: a dossier whose check Kafka did not take stays in the index."""

from __future__ import annotations

import asyncio
from typing import Any

from services.deadlines.due_index import DueIndex, dispatch_due


class _Refused(Exception):
    pass


def _future(error: Exception | None = None) -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
    return future


def test_a_check_whose_delivery_failed_is_put_back_and_the_others_are_not() -> None:
    index = DueIndex()
    for number, dossier_id in enumerate(["a", "b", "c"]):
        index.schedule(dossier_id, 10.0 + number)
    index.schedule("later", 100.0)
    sent: list[str] = []

    async def send(dossier_id: str) -> Any:
        sent.append(dossier_id)
        return _future(_Refused() if dossier_id == "b" else None)

    async def scenario() -> tuple[list[str], list[str]]:
        failed = await dispatch_due(index, 50.0, send)
        return failed, await dispatch_due(index, 51.0, send)

    failed, retried = asyncio.run(scenario())
    assert failed == ["b"]
    assert sent == ["a", "b", "c", "b"]  # the next tick sent b again, and only b
    assert retried == ["b"]  # still refused: still in the index
    assert len(index) == 2
    assert index.pop_due(1_000.0) == ["b", "later"]


def test_a_send_that_raises_keeps_that_dossier_and_every_one_after_it() -> None:
    index = DueIndex()
    for number, dossier_id in enumerate(["a", "b", "c"]):
        index.schedule(dossier_id, 10.0 + number)

    async def send(dossier_id: str) -> Any:
        if dossier_id == "b":
            raise _Refused("producer buffer closed")
        return _future()

    failed = asyncio.run(dispatch_due(index, 50.0, send))
    assert failed == ["b", "c"]
    assert index.pop_due(50.0) == ["b", "c"]


def test_a_put_back_never_overrides_a_newer_schedule() -> None:
    index = DueIndex()
    index.schedule("a", 10.0)
    assert index.pop_due(20.0) == ["a"]
    index.schedule("a", 500.0)  # an event moved its next check while the send failed
    index.put_back("a", 20.0)
    assert index.pop_due(100.0) == []
    assert index.pop_due(500.0) == ["a"]


def test_a_rebuild_never_overrides_what_an_event_decided_meanwhile() -> None:
    index = DueIndex()
    index.schedule("stale", 50.0)
    index.start_rebuild()
    assert len(index) == 0
    assert index.rebuilding
    # Events processed while the rebuild runs: one resumed clock, one stopped.
    index.schedule("resumed", 100.0)
    index.schedule("stopped", None)
    # The rebuild reaches them with what it read before the events: it leaves them be.
    index.restore("resumed", None)
    index.restore("stopped", 40.0)
    index.restore("untouched", 60.0)
    index.finish_rebuild()
    assert not index.rebuilding
    assert index.pop_due(1_000.0) == ["untouched", "resumed"]
    # After the rebuild an event's schedule and a restore are plain schedules again.
    index.restore("later", 10.0)
    assert index.pop_due(1_000.0) == ["later"]
