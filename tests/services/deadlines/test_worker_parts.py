"""The deadlines worker's parts, each without Faust, Kafka or PostgreSQL: what they send,
record, mark and schedule, with the stream, the table and the database faked."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast
from unittest.mock import patch

import pytest
from faust.streams import _current_event
from psycopg import OperationalError

from motcua.contracts import EventType
from motcua.kafka import DeadLetter
from motcua.outage import Outage
from services.deadlines.board.service import compliance, record_alerts, sync_board
from services.deadlines.checking import COMPARE_WITH_CHANGELOG, Agents
from services.deadlines.database import Database
from services.deadlines.dead_letters import FaustSource
from services.deadlines.emitting import Emitter
from services.deadlines.figures import export_consumer_lag, export_figures
from services.deadlines.metrics import (
    CLOCKS_RESTORED,
    CONSUMER_LAG,
    EVENT_GAPS,
    LATE_WITHOUT_LETTER,
    OVERDUE_NOW,
)
from services.deadlines.missed import STORE_EVERY
from services.deadlines.records import clock_from_record, clock_to_record
from services.deadlines.recovery import Recovery
from services.deadlines.tracking import AlertKind, DossierClock
from tests.services.deadlines.test_tracking import (
    DOSSIER,
    POLICY,
    RECEIPT,
    at,
    clock_json,
    event,
    received,
    rescheduled,
)


@dataclass
class FakeDb:
    """Records the work it is given instead of running it."""

    calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = field(default_factory=list)

    async def run(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((work, args))

    run_until_done = run


@dataclass
class Sent:
    """The alerts topic: takes each alert at once and acknowledges it at once, unless told
    to hold (``held``: the acknowledgements the test resolves or fails itself)."""

    messages: list[tuple[bytes, dict[str, Any]]] = field(default_factory=list)
    hold: bool = False
    held: list[asyncio.Future[None]] = field(default_factory=list)

    async def __call__(self, key: bytes, value: bytes) -> asyncio.Future[None]:
        self.messages.append((key, json.loads(value)))
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.hold:
            self.held.append(ack)
        else:
            ack.set_result(None)
        return ack


def emitter(db: FakeDb, sent: Sent) -> Emitter:
    return Emitter(POLICY, cast(Database, db), sent)


def test_due_alerts_go_on_the_board_then_to_kafka_then_are_marked() -> None:
    db, sent = FakeDb(), Sent()
    clock = received(at(24, 9))
    due = clock.due_alerts(at(24, 10), POLICY)
    [marked] = asyncio.run(emitter(db, sent).emit([(clock, due)], at(24, 10)))
    [(work, (board,))] = db.calls
    assert work is record_alerts
    assert [r.alert.kind for r in board] == [AlertKind.DUE_SOON, AlertKind.OVERDUE]
    assert [key for key, _ in sent.messages] == [DOSSIER.encode()] * 2
    assert [m["id"] for _, m in sent.messages] == [a.event_id for a in due]
    assert marked.due_alerts(at(24, 10), POLICY) == []


def test_a_clock_is_marked_only_once_kafka_acknowledged_its_alerts() -> None:
    """Marked before the acknowledgement, a clock written to the changelog before a crash
    would say an alert went out that never reached the topic."""
    db, sent = FakeDb(), Sent(hold=True)
    clock = received(at(24, 9))
    due = clock.due_alerts(at(24, 10), POLICY)

    async def emit_with_acks(fail: bool) -> list[DossierClock]:
        task = asyncio.create_task(emitter(db, sent).emit([(clock, due)], at(24, 10)))
        while len(sent.held) < len(due):
            await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        assert not task.done(), "returned marked clocks before any acknowledgement"
        for ack in sent.held:
            if fail:
                ack.set_exception(RuntimeError("broker gone"))
            else:
                ack.set_result(None)
        return await task

    [marked] = asyncio.run(emit_with_acks(fail=False))
    assert marked.due_alerts(at(24, 10), POLICY) == []
    sent.held.clear()
    with pytest.raises(RuntimeError, match="broker gone"):  # no marked clock comes back
        asyncio.run(emit_with_acks(fail=True))


def test_an_alert_a_dead_owner_sent_is_marked_and_not_sent_again() -> None:
    db, sent = FakeDb(), Sent()
    clock = received(at(24, 9))
    soon, overdue = clock.due_alerts(at(24, 10), POLICY)
    parts = emitter(db, sent)
    parts.delivered[DOSSIER] = {soon.marker}
    [marked] = asyncio.run(parts.emit([(clock, [soon, overdue])], at(24, 10)))
    assert [m["id"] for _, m in sent.messages] == [overdue.event_id]
    assert marked.due_alerts(at(24, 10), POLICY) == []


def test_schedule_puts_the_next_check_in_the_index_and_drops_a_finished_clock() -> None:
    parts = emitter(FakeDb(), Sent())
    clock = received(at(24, 9))
    parts.schedule(clock)
    assert parts.index.pop_due((at(22, 9) - timedelta(seconds=1)).timestamp()) == []
    assert parts.index.pop_due(at(22, 9).timestamp()) == [DOSSIER]
    done = clock
    for alert in clock.due_alerts(at(24, 10), POLICY):
        done = done.mark(alert)
    parts.schedule(done)
    assert len(parts.index) == 0


_OFFSETS = itertools.count()


def _next_message() -> Any:
    """Where a fake event sits: the next offset of one partition."""
    return SimpleNamespace(
        topic="motcua.dossier-events", partition=0, offset=next(_OFFSETS), headers=[]
    )


@dataclass
class FakeEvent:
    key: bytes
    value: bytes
    message: Any = field(default_factory=_next_message)


def faust_message(headers: Any) -> Any:
    return SimpleNamespace(topic="motcua.dossier-events", partition=3, offset=41, headers=headers)


def test_a_faust_event_is_dead_lettered_with_the_shared_record_and_its_own_headers() -> None:
    source = FaustSource(faust_message([("traceparent", b"00-abc")]))
    headers = dict(DeadLetter("contract_violation", "bad").headers("deadlines", source))
    assert headers["motcua-dlq-reason"] == b"contract_violation"
    assert headers["motcua-dlq-topic"] == b"motcua.dossier-events"
    assert headers["motcua-dlq-offset"] == b"41"
    assert headers["traceparent"] == b"00-abc"
    as_mapping = FaustSource(faust_message({"traceparent": b"00-def"}))
    as_pairs = DeadLetter("contract_violation", "bad").headers("deadlines", as_mapping)
    assert ("traceparent", b"00-def") in as_pairs


def test_track_dead_letters_a_poison_event_and_leaves_the_table_alone() -> None:
    letters: list[dict[str, Any]] = []

    async def send(**message: Any) -> None:
        letters.append(message)

    clocks: dict[str, Any] = {}
    agents = Agents(clocks, emitter(FakeDb(), Sent()), send)
    poison = FakeEvent(b"k", b"{not json", faust_message([("origin", b"intake")]))
    asyncio.run(agents.track(poison))
    [letter] = letters
    assert letter["value"] == b"{not json"
    headers = dict(letter["headers"])
    assert headers["motcua-dlq-reason"] == b"contract_violation"
    assert headers["origin"] == b"intake"
    assert clocks == {}


def test_track_stores_the_clock_an_event_states_and_schedules_its_next_check() -> None:
    db = FakeDb()
    clocks: dict[str, Any] = {DOSSIER: clock_to_record(received(at(24, 9)))}
    agents = Agents(clocks, emitter(db, Sent()), lambda **_: asyncio.sleep(0))
    moved = rescheduled(2, clock_json(at(30, 9), rescheduled=True), at(30, 9))
    asyncio.run(agents.track(FakeEvent(DOSSIER.encode(), json.dumps(moved).encode())))
    clock = clock_from_record(clocks[DOSSIER])
    assert isinstance(clock, DossierClock)
    assert clock.due_at == at(30, 9)
    assert [work for work, _ in db.calls] == [sync_board]  # a rescheduled clock's board row
    assert len(agents.emitter.index) == 1


def test_an_event_after_a_missed_one_is_counted_and_the_next_in_line_is_not() -> None:
    clocks: dict[str, Any] = {DOSSIER: clock_to_record(received(at(24, 9)))}
    agents = Agents(clocks, emitter(FakeDb(), Sent()), lambda **_: asyncio.sleep(0))
    lost = EVENT_GAPS.labels("missing")
    before = lost._value.get()
    skipped = rescheduled(3, clock_json(at(30, 9), rescheduled=True), at(30, 9))
    asyncio.run(agents.track(FakeEvent(DOSSIER.encode(), json.dumps(skipped).encode())))
    assert lost._value.get() == before + 1, "sequence 2 never came, and nothing read it back"
    following = rescheduled(4, clock_json(at(30, 9), rescheduled=True), at(30, 9))
    asyncio.run(agents.track(FakeEvent(DOSSIER.encode(), json.dumps(following).encode())))
    assert lost._value.get() == before + 1


@dataclass(frozen=True)
class Partition:
    topic: str
    partition: int


def test_consumer_lag_is_the_highwater_less_the_next_offset_per_partition() -> None:
    tp = Partition("motcua.dossier-events", 2)
    consumer = SimpleNamespace(
        assignment=lambda: [tp], _read_offset={tp: 9}, highwater=lambda _: 25
    )
    export_consumer_lag(consumer)
    assert CONSUMER_LAG.labels("motcua.dossier-events", "2")._value.get() == 15
    export_consumer_lag(SimpleNamespace(assignment=list, _read_offset={}, highwater=None))
    assert CONSUMER_LAG._metrics == {}  # a partition taken away disappears


class WatchedTable(dict[str, Any]):
    """A table that notes under which event each key was written (Faust's partition)."""

    written_under: dict[str, Any]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.written_under = {}

    def __setitem__(self, key: str, value: Any) -> None:
        current = _current_event.get(None)
        self.written_under[key] = current() if current else None
        super().__setitem__(key, value)


def test_a_batch_of_checks_emits_once_per_dossier_and_writes_under_its_last_check() -> None:
    sent = Sent()
    clock = received(at(24, 9))
    clocks = WatchedTable({DOSSIER: clock_to_record(clock)})
    agents = Agents(clocks, emitter(FakeDb(), sent), lambda **_: asyncio.sleep(0))
    first, last = FakeEvent(DOSSIER.encode(), b""), FakeEvent(DOSSIER.encode(), b"")
    asyncio.run(agents.check([first, last]))  # now is long after the due instant
    assert len(sent.messages) == 2  # due soon and overdue, once each
    assert clocks.written_under[DOSSIER] is last
    marked = clock_from_record(clocks[DOSSIER])
    assert marked is not None
    assert marked.due_alerts(at(24, 10), POLICY) == []


def test_a_completion_arriving_while_a_check_awaits_kafka_is_not_written_over() -> None:
    """The check reads the clock, sends its alerts and waits for Kafka; the completion
    comes in meanwhile. The check's write must not put back the clock it read: the
    completion (and its resolved-late alert) would be lost, as the chaos run saw."""
    sent = Sent(hold=True)
    clocks: dict[str, Any] = {DOSSIER: clock_to_record(received(at(24, 9)))}
    agents = Agents(clocks, emitter(FakeDb(), sent), lambda **_: asyncio.sleep(0))
    done = clock_json(at(24, 9), closed=True)
    completed = event(EventType.DOSSIER_COMPLETED, at(25, 9), 2, done, outcome="granted", late=True)

    async def interleaved() -> None:
        checking = asyncio.create_task(agents.check([FakeEvent(DOSSIER.encode(), b"")]))
        while not sent.held:  # the check's alerts are on their way, unacknowledged
            await asyncio.sleep(0)
        checks_acks = list(sent.held)
        tracking = asyncio.create_task(
            agents.track(FakeEvent(DOSSIER.encode(), json.dumps(completed).encode()))
        )
        for _ in range(50):  # the completion goes as far as it may while the check waits
            await asyncio.sleep(0)
        for ack in sent.held[len(checks_acks) :]:
            ack.set_result(None)  # Kafka is quicker with the completion's alert
        for _ in range(50):
            await asyncio.sleep(0)
        for ack in checks_acks:
            ack.set_result(None)
        await checking
        while not tracking.done():
            for ack in sent.held:
                if not ack.done():
                    ack.set_result(None)
            await asyncio.sleep(0)

    asyncio.run(interleaved())
    final = clock_from_record(clocks[DOSSIER])
    assert final is not None
    assert final.last_sequence == 2, "the completion was written over"
    assert not final.open
    assert {"due_soon:1", "overdue:1", "resolved_late:1"} <= final.emitted, "a mark was lost"
    kinds = [m["type"].split(".")[-2] for _, m in sent.messages]
    assert kinds == ["due_soon", "overdue", "resolved_late"]


def _late_completion() -> dict[str, Any]:
    done = clock_json(at(24, 9), closed=True)
    return event(EventType.DOSSIER_COMPLETED, at(25, 9), 2, done, outcome="granted", late=True)


def test_offsets_the_stream_skipped_on_a_partition_are_read_back_and_applied_first() -> None:
    """The stream went through offset 800 of partition 4, skipped the completion (805) and
    hands over another dossier's event (812): the offsets between are read back and the
    completion applied, so its resolved-late alert goes out."""
    sent = Sent()
    clocks: dict[str, Any] = {DOSSIER: clock_to_record(received(at(24, 9)))}
    asked: list[tuple[Any, ...]] = []

    def read_back(*args: Any) -> list[bytes]:
        asked.append(args)
        return [json.dumps(_late_completion()).encode()]

    agents = Agents(clocks, emitter(FakeDb(), sent), lambda **_: asyncio.sleep(0), read_back)
    agents.positions.passed(4, 800)
    read_before = EVENT_GAPS.labels("read_back")._value.get()
    where = SimpleNamespace(topic="motcua.dossier-events", partition=4, offset=812, headers=[])
    asyncio.run(agents.track(FakeEvent(b"k", b"{not json", where)))  # any event shows it
    assert asked == [("motcua.dossier-events", 4, range(801, 812))]
    assert EVENT_GAPS.labels("read_back")._value.get() == read_before + 1
    assert [m["type"].split(".")[-2] for _, m in sent.messages] == ["resolved_late"]
    final = clock_from_record(clocks[DOSSIER])
    assert final is not None
    assert final.last_sequence == 2
    assert not final.open
    assert agents.positions.last[4] == 812
    next_one = SimpleNamespace(topic="motcua.dossier-events", partition=4, offset=813, headers=[])
    asyncio.run(agents.track(FakeEvent(b"k", b"{not json", next_one)))
    assert len(asked) == 1, "the next offset in line is no gap"


def test_a_partitions_position_is_stored_under_its_own_events_every_so_often() -> None:
    """A worker taking the partition over starts from the table's position, at most
    ``STORE_EVERY`` offsets behind."""
    stored = WatchedTable()
    agents = Agents({}, emitter(FakeDb(), Sent()), lambda **_: asyncio.sleep(0))
    agents = replace(agents, stored_positions=stored, flush=lambda: asyncio.sleep(0))
    events = [
        FakeEvent(b"k", b"{not json", SimpleNamespace(topic="t", partition=2, offset=o, headers=[]))
        for o in range(100, 100 + STORE_EVERY + 1)
    ]
    asyncio.run(agents.track(events[0]))
    assert stored == {"2": 100}
    assert stored.written_under["2"] is events[0]  # the partition's own changelog
    for e in events[1:-1]:
        asyncio.run(agents.track(e))
    assert stored == {"2": 100}
    asyncio.run(agents.track(events[-1]))
    assert stored == {"2": 100 + STORE_EVERY}


class JournalTable(dict[str, Any]):
    """A table whose writes are noted, in order, in a journal it shares."""

    def __init__(self, name: str, journal: list[str], *args: Any) -> None:
        super().__init__(*args)
        self.name, self.journal = name, journal

    def __setitem__(self, key: str, value: Any) -> None:
        self.journal.append(f"{self.name} {key}")
        super().__setitem__(key, value)


def test_a_position_is_stored_only_once_the_clocks_written_before_it_are_on_the_brokers() -> None:
    """The clock and the position are records of two changelogs: sent side by side, a kill
    can land the position and lose the clock, and the next owner would never apply the
    event (a chaos run lost a dossier's completion so). The producer is flushed between."""
    journal: list[str] = []

    async def flush() -> None:
        journal.append("flush")

    clocks = JournalTable("clocks", journal, {DOSSIER: clock_to_record(received(at(24, 9)))})
    agents = Agents(
        clocks,
        emitter(FakeDb(), Sent()),
        lambda **_: asyncio.sleep(0),
        stored_positions=JournalTable("positions", journal),
        flush=flush,
    )
    moved = rescheduled(2, clock_json(at(30, 9), rescheduled=True), at(30, 9))
    where = SimpleNamespace(topic="motcua.dossier-events", partition=5, offset=700, headers=[])
    asyncio.run(agents.track(FakeEvent(DOSSIER.encode(), json.dumps(moved).encode(), where)))
    assert journal == [f"clocks {DOSSIER}", "flush", "positions 5"]


def test_stored_positions_without_the_producers_flush_are_refused() -> None:
    with pytest.raises(ValueError, match="flush"):
        Agents({}, emitter(FakeDb(), Sent()), lambda **_: asyncio.sleep(0), stored_positions={})


def test_a_skipped_last_event_behind_the_committed_offset_is_applied_by_a_check() -> None:
    """The stream skipped a dossier's completion and nothing came after it on the
    partition: the group's committed offset is past the worker's position, the offsets
    between are read back and left for the check sent to the dossier, which applies them
    on the dossier's partition; its resolved-late alert goes out."""
    sent = Sent()
    clocks: dict[str, Any] = {DOSSIER: clock_to_record(received(at(24, 9)))}
    already = event(EventType.DOSSIER_RECEIVED, at(21, 9), 1, clock_json(at(24, 9)), **RECEIPT)

    def read_back(topic: str, partition: int, offsets: range) -> list[bytes]:
        assert (topic, partition, offsets) == ("motcua.dossier-events", 1, range(31, 40))
        return [json.dumps(already).encode(), json.dumps(_late_completion()).encode()]

    agents = Agents(clocks, emitter(FakeDb(), sent), lambda **_: asyncio.sleep(0), read_back)
    agents.positions.passed(1, 30)
    checks: list[str] = []

    async def send_check(dossier_id: str) -> None:
        checks.append(dossier_id)

    asyncio.run(agents.catch_up_committed({1: 40, 2: 7}, send_check))
    assert checks == [DOSSIER]  # once, for the event newer than its clock
    assert agents.positions.last[1] == 30, "not gone through before a check applies it"
    asyncio.run(agents.catch_up_committed({1: 40}, send_check))
    assert checks == [DOSSIER], "caught up: nothing read again"
    asyncio.run(agents.check([FakeEvent(DOSSIER.encode(), b"")]))
    final = clock_from_record(clocks[DOSSIER])
    assert final is not None
    assert final.last_sequence == 2
    assert "resolved_late" in [m["type"].split(".")[-2] for _, m in sent.messages]
    assert agents.pending == {}


def test_a_skipped_first_event_makes_the_clock_when_its_check_comes() -> None:
    clocks: dict[str, Any] = {}
    agents = Agents(clocks, emitter(FakeDb(), Sent()), lambda **_: asyncio.sleep(0))
    agents.pending[DOSSIER] = [
        event(EventType.DOSSIER_RECEIVED, at(21, 9), 1, clock_json(at(24, 9)), **RECEIPT)
    ]
    asyncio.run(agents.check([FakeEvent(DOSSIER.encode(), b"")]))
    made = clock_from_record(clocks[DOSSIER])
    assert made is not None
    assert made.last_sequence == 1
    assert agents.pending == {}


def test_a_clock_the_table_lost_is_found_in_the_changelog_and_the_completion_resolves() -> None:
    """Faust's recovery left the table without the dossier's clock; its completion finds it
    in the clocks changelog (with every other clock the table lacks), and resolves late."""
    sent = Sent()
    clocks: dict[str, Any] = {}
    other = replace(received(at(24, 9)), dossier_id="another")
    newer_here = replace(received(at(24, 9)), dossier_id="newer-here", last_sequence=5)
    clocks["newer-here"] = clock_to_record(newer_here)
    changelog = {
        DOSSIER: clock_to_record(received(at(24, 9))),
        "another": clock_to_record(other),
        "newer-here": clock_to_record(replace(newer_here, last_sequence=2)),
    }
    asked: list[int] = []

    def read_changelog(partition: int) -> dict[str, Any]:
        asked.append(partition)
        return changelog

    agents = Agents(
        clocks,
        emitter(FakeDb(), sent),
        lambda **_: asyncio.sleep(0),
        read_changelog=read_changelog,
    )
    restored = CLOCKS_RESTORED._value.get()
    asyncio.run(agents.track(FakeEvent(DOSSIER.encode(), json.dumps(_late_completion()).encode())))
    assert asked == [0]
    assert CLOCKS_RESTORED._value.get() == restored + 2
    assert [m["type"].split(".")[-2] for _, m in sent.messages] == ["resolved_late"]
    final = clock_from_record(clocks[DOSSIER])
    assert final is not None
    assert final.last_sequence == 2
    assert clock_from_record(clocks["another"]) == other
    assert clock_from_record(clocks["newer-here"]) == newer_here, "the table's newer clock stays"
    lost_again = replace(received(at(24, 9)), dossier_id="gone")
    event_of_gone = _late_completion() | {"subject": lost_again.dossier_id}
    asyncio.run(agents.track(FakeEvent(b"gone", json.dumps(event_of_gone).encode())))
    assert asked == [0], "the changelog is read once per partition and rebalance"


def _lost_clock_agents(
    sent: Sent, read_back: Any = None
) -> tuple[Agents, dict[str, Any], list[int]]:
    """A table Faust's recovery left without the dossier's clock; its changelog has it."""
    clocks: dict[str, Any] = {}
    asked: list[int] = []

    def read_changelog(partition: int) -> dict[str, Any]:
        asked.append(partition)
        return {DOSSIER: clock_to_record(received(at(24, 9)))}

    agents = Agents(
        clocks,
        emitter(FakeDb(), sent),
        lambda **_: asyncio.sleep(0),
        read_back,
        read_changelog=read_changelog,
    )
    return agents, clocks, asked


def test_an_event_read_back_onto_a_clock_the_table_lost_finds_the_clock_first() -> None:
    """A chaos run's worker read back a dossier's assignment onto a clock Faust's recovery
    had lost: applied to no clock, it was dropped unseen, and the completion found the
    gap. The read-back finds the clock in the changelog first, and applies onto it."""
    sent = Sent()
    agents, clocks, asked = _lost_clock_agents(
        sent, lambda *_: [json.dumps(_late_completion()).encode()]
    )
    agents.positions.passed(4, 800)
    where = SimpleNamespace(topic="motcua.dossier-events", partition=4, offset=812, headers=[])
    asyncio.run(agents.track(FakeEvent(b"k", b"{not json", where)))
    assert asked == [4]
    final = clock_from_record(clocks[DOSSIER])
    assert final is not None
    assert final.last_sequence == 2, "the read-back event was applied onto the found clock"
    assert [m["type"].split(".")[-2] for _, m in sent.messages] == ["resolved_late"]


def test_an_event_left_to_a_check_onto_a_clock_the_table_lost_finds_the_clock_first() -> None:
    sent = Sent()
    agents, clocks, asked = _lost_clock_agents(sent)
    agents.pending[DOSSIER] = [_late_completion()]
    asyncio.run(agents.check([FakeEvent(DOSSIER.encode(), b"")]))
    assert asked == [0]
    final = clock_from_record(clocks[DOSSIER])
    assert final is not None
    assert final.last_sequence == 2
    assert "resolved_late" in [m["type"].split(".")[-2] for _, m in sent.messages]
    assert agents.pending == {}


def test_a_lost_clock_no_event_shows_is_found_by_the_check_each_recovery_sends() -> None:
    """The dossier's partition stays quiet: the compare check restores its clock once per
    rebalance, schedules its next check, and its overdue alert then goes out."""
    sent = Sent()
    agents, clocks, asked = _lost_clock_agents(sent)
    asyncio.run(agents.check([FakeEvent(COMPARE_WITH_CHANGELOG, b"")]))
    asyncio.run(agents.check([FakeEvent(COMPARE_WITH_CHANGELOG, b"")]))
    assert asked == [0], "the changelog is read once per partition and rebalance"
    assert clock_from_record(clocks[DOSSIER]) == received(at(24, 9))
    assert sent.messages == [], "a compare check alerts nothing by itself"
    assert agents.emitter.index.pop_due(at(24, 9).timestamp()) == [DOSSIER]
    asyncio.run(agents.check([FakeEvent(DOSSIER.encode(), b"")]))
    assert "overdue" in [m["type"].split(".")[-2] for _, m in sent.messages]


def test_recovery_sends_each_partition_its_compare_check() -> None:
    sent_to: list[int] = []

    async def send_compare(partition: int) -> None:
        sent_to.append(partition)

    recovery = Recovery("127.0.0.1:1", {}, emitter(FakeDb(), Sent()), send_compare=send_compare)

    async def recovered() -> None:
        await recovery.recovered([4, 1])
        await asyncio.gather(*recovery.rebuilding)

    with patch("services.deadlines.recovery.alerts_already_sent", return_value=set()):
        asyncio.run(recovered())
    assert sent_to == [1, 4]


@dataclass
class FlakyDb:
    """PostgreSQL restarting: every query fails until ``up``."""

    up: bool = False
    figures: Any = None
    by_unit: list[Any] = field(default_factory=list)

    async def run(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if not self.up:
            raise OperationalError("server closed the connection unexpectedly")
        return self.figures if work is compliance else self.by_unit


def test_the_figures_ride_out_a_database_restart_and_catch_up_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An exception out of the figures timer would stop the whole worker (chaos run 48)."""
    outage = Outage("PostgreSQL", logging.getLogger("test.figures"))
    db = FlakyDb(
        figures=SimpleNamespace(overdue=7, letters_draft=2, letters_issued=5),
        by_unit=[SimpleNamespace(unit_code="U1", late_without_letter=1, letters_issued_late=0)],
    )
    OVERDUE_NOW.set(3)
    with caplog.at_level(logging.WARNING, logger="test.figures"):
        asyncio.run(export_figures(cast(Database, db), outage))
    assert OVERDUE_NOW._value.get() == 3, "the last figure stays while the database is away"
    assert outage.ongoing
    assert "PostgreSQL unreachable" in caplog.text
    db.up = True
    asyncio.run(export_figures(cast(Database, db), outage))
    assert OVERDUE_NOW._value.get() == 7
    assert LATE_WITHOUT_LETTER.labels("U1")._value.get() == 1
    assert not outage.ongoing
