"""The sender loop over a service's own store: a round claims what is due with a lease,
delivers each, and hands the outcomes and the recorded messages to the store together; a
delivery that raises becomes the service's crash outcome, not a lost round, and the
database away neither loses nor repeats a message that went out."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from motcua.delivery import (
    Contact,
    Message,
    RecordedRow,
    RecordingChannel,
    RetryPolicy,
    SenderLoop,
    send_with_retries,
)

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@dataclass
class Store:
    """A table of messages in memory."""

    due: list[str]
    claims: list[tuple[datetime, int, datetime]] = field(default_factory=list)
    records: list[tuple[list[str], list[RecordedRow]]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    async def open(self) -> None:
        self.events.append("open")

    async def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[str]:
        self.claims.append((now, limit, lease_until))
        taken, self.due = self.due[:limit], self.due[limit:]
        return taken

    async def record(self, outcomes: Sequence[str], recorded: Sequence[RecordedRow]) -> None:
        self.records.append((list(outcomes), list(recorded)))

    async def sweep(self, now: datetime) -> None:
        self.events.append("sweep")

    async def close(self) -> None:
        self.events.append("close")


class Directory:
    async def contact(self, dossier_code: str) -> Contact:
        return Contact("0912345678", None)


class Loop(SenderLoop[str, str]):
    async def deliver(self, item: str) -> str:
        if item == "broken":
            raise RuntimeError("a bug")
        if item == "database away":
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        channel = self.channels["sms"]
        contact = await self.directory.contact("D-1")
        assert contact.phone is not None
        message = Message(item, "D-1", "sms", "notice", "https://x/l", None, f"text {item}")
        sent = await send_with_retries(channel, message, contact.phone, RetryPolicy())
        return f"{item}:sent after {sent.attempts}"

    def crashed(self, item: str, error: Exception) -> str:
        return f"{item}:crashed {type(error).__name__}"

    def log_extra(self, item: str) -> dict[str, object]:
        return {"reference": item}


def _loop(store: Store, batch_size: int = 200) -> Loop:
    return Loop(
        store,
        {"sms": RecordingChannel("sms")},
        Directory(),
        clock=lambda: NOW,
        batch_size=batch_size,
    )


def test_a_round_claims_with_a_lease_and_records_outcomes_with_the_messages() -> None:
    store = Store(["a", "b", "c"])
    loop = _loop(store, batch_size=2)
    assert asyncio.run(loop.round()) == 2
    assert store.claims == [(NOW, 2, NOW + timedelta(minutes=10))]
    [(outcomes, recorded)] = store.records
    assert outcomes == ["a:sent after 1", "b:sent after 1"]
    assert [(row["reference"], row["destination_masked"]) for row in recorded] == [
        ("a", "09******78"),
        ("b", "09******78"),
    ]


def test_a_delivery_that_raises_is_the_services_crash_outcome() -> None:
    store = Store(["broken", "ok"])
    assert asyncio.run(_loop(store).round()) == 2
    [(outcomes, recorded)] = store.records
    assert outcomes == ["broken:crashed RuntimeError", "ok:sent after 1"]
    assert [row["reference"] for row in recorded] == ["ok"]


def test_the_database_away_before_a_send_leaves_that_message_to_the_lease_alone() -> None:
    """PostgreSQL restarting is not the message's fault: the delivery it stopped gets no
    outcome (neither given up nor counted as sent; the lease hands it to a later round),
    while the messages of the same round that went out are recorded, or they would go
    again."""
    store = Store(["database away", "ok"])
    assert asyncio.run(_loop(store).round()) == 2
    [(outcomes, recorded)] = store.records
    assert outcomes == ["ok:sent after 1"]
    assert [row["reference"] for row in recorded] == ["ok"]


def test_the_database_away_is_one_log_line_not_one_per_delivery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store(["database away"] * 50)
    loop = _loop(store)
    with caplog.at_level(logging.WARNING, logger="motcua.delivery"):
        asyncio.run(loop.round())
        store.due = ["ok"]
        asyncio.run(loop.round())
    assert [r.getMessage() for r in caplog.records] == [
        "PostgreSQL unreachable; retrying",
        "PostgreSQL reachable again after 0 s, 50 retries",
    ]


@dataclass
class FlakyStore(Store):
    """A store whose database is away for the first ``away`` records."""

    away: int = 0

    async def record(self, outcomes: Sequence[str], recorded: Sequence[RecordedRow]) -> None:
        if self.away:
            self.away -= 1
            raise psycopg.OperationalError("the database system is starting up")
        await super().record(outcomes, recorded)


def test_a_round_whose_messages_went_out_waits_for_the_database_to_record_them() -> None:
    store = FlakyStore(["a", "b"], away=2)
    loop = _loop(store)
    loop.record_retry_s = 0.01
    assert asyncio.run(loop.round()) == 2
    [(outcomes, recorded)] = store.records
    assert outcomes == ["a:sent after 1", "b:sent after 1"]
    assert [row["reference"] for row in recorded] == ["a", "b"]


def test_a_record_that_outlasts_the_lease_fails_and_its_messages_are_written_later() -> None:
    """Past the lease another sender may hold the messages: the round gives up its record,
    and what went out is still written with the next round, so a second send shows."""
    store = FlakyStore(["a", "b"], away=1_000)
    loop = Loop(
        store,
        {"sms": RecordingChannel("sms")},
        Directory(),
        clock=lambda: NOW,
        lease=timedelta(seconds=0.05),
    )
    loop.record_retry_s = 0.01
    with pytest.raises(psycopg.OperationalError):
        asyncio.run(loop.round())
    assert store.records == []
    store.away, store.due = 0, ["a"]
    assert asyncio.run(loop.round()) == 1
    [(outcomes, recorded)] = store.records
    assert outcomes == ["a:sent after 1"]
    assert [row["reference"] for row in recorded] == ["a", "b", "a"]


def test_nothing_due_records_nothing() -> None:
    store = Store([])
    assert asyncio.run(_loop(store).round()) == 0
    assert store.records == []


def test_running_until_stopped_opens_sweeps_and_closes_the_store() -> None:
    store = Store(["a"])
    stop = threading.Event()
    loop = _loop(store)

    async def stop_after_the_first_round() -> None:
        while not store.records:
            await asyncio.sleep(0.01)
        stop.set()

    async def main() -> None:
        await asyncio.gather(loop.run_async(stop), stop_after_the_first_round())

    asyncio.run(main())
    assert store.events == ["open", "sweep", "close"]
    assert store.records[0][0] == ["a:sent after 1"]
