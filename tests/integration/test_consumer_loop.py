"""The one consumer loop on a real broker: each commit policy, the dead letter (reason and
the source's own headers), an outage waited out with the batch in hand, a clean stop
(SIGTERM included), the assigned mode's catch-up and the range read."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, Message, TopicPartition

from motcua.contracts import STRUCTURED_CONTENT_TYPE
from motcua.kafka import (
    Assigned,
    Commit,
    ConsumerLoop,
    DeadLetter,
    DeadLetterNotAcknowledged,
    DeadLetters,
    Group,
    Handler,
    Topic,
    TopicSpec,
    ensure_topics,
    from_beginning,
    read_range,
)
from motcua.kafka import _consumer as _consumer_module
from motcua.metrics import CONSUMED, CONSUMER_LAG
from tests.conftest import ROOT, Infra
from tests.integration.conftest import dead_letter
from tests.integration.kafka_log import committed, produce_where, read_to_end


@pytest.fixture
def topic(infra: Infra) -> str:
    name = f"test.consumer-loop.{uuid.uuid4().hex[:8]}"
    ensure_topics(infra.bootstrap_servers, [TopicSpec(name, "a consumer loop test", partitions=1)])
    return name


def _produce(infra: Infra, topic: str, count: int, key: bytes = b"k") -> None:
    produce_where(
        infra.bootstrap_servers,
        topic,
        [(key, f"m{n}".encode(), [("trace-id", f"t{n}".encode())]) for n in range(count)],
    )


class Seen:
    """A handler that records what it was given, after an optional step of its own."""

    def __init__(self, step: Callable[[Sequence[Message], DeadLetters], object] | None = None):
        self.step = step
        self.values: list[bytes] = []
        self.calls = 0

    def __call__(self, batch: Sequence[Message], dead_letters: DeadLetters) -> None:
        self.calls += 1
        if self.step is not None:
            self.step(batch, dead_letters)
        self.values += [m.value() or b"" for m in batch]


@contextmanager
def running(loop: ConsumerLoop) -> Iterator[threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), name="test-loop")
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the loop did not stop"


def _until(condition: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _loop(infra: Infra, topic: str, handler: Handler, mode: Group | Assigned) -> ConsumerLoop:
    return ConsumerLoop(
        f"test-{uuid.uuid4().hex[:6]}",
        infra.bootstrap_servers,
        [topic],
        handler,
        mode,
        service="intake",
        retry_wait_s=0.1,
    )


def test_after_handler_commits_a_batch_only_once_the_handler_returned(
    infra: Infra, topic: str
) -> None:
    release = threading.Event()
    handler = Seen(lambda *_: release.wait(30))
    group = f"test-loop-{uuid.uuid4().hex[:8]}"
    _produce(infra, topic, 5)
    loop = _loop(infra, topic, handler, Group(group, Commit.AFTER_HANDLER))
    consumed = CONSUMED.labels(topic)._value.get()
    with running(loop):
        _until(lambda: handler.calls == 1, "the handler was not given the batch")
        time.sleep(1)
        assert committed(infra.bootstrap_servers, group, topic)[0] < 0, "committed too soon"
        release.set()
        _until(lambda: committed(infra.bootstrap_servers, group, topic)[0] == 5, "not committed")
    assert handler.values == [f"m{n}".encode() for n in range(5)]
    assert CONSUMED.labels(topic)._value.get() - consumed == 5
    assert CONSUMER_LAG.labels(loop.name, topic, "0")._value.get() == 0


def test_stored_offsets_decide_where_a_member_starts_not_kafkas(infra: Infra, topic: str) -> None:
    handler = Seen()
    group = f"test-loop-{uuid.uuid4().hex[:8]}"
    _produce(infra, topic, 6)
    mode = Group(group, Commit.STORED, stored_offsets=lambda: {(topic, 0): 4})
    with running(_loop(infra, topic, handler, mode)):
        _until(lambda: len(handler.values) >= 2, "the stored offsets were not read from")
        # Committed too, as a hint for the lag (asynchronously).
        _until(lambda: committed(infra.bootstrap_servers, group, topic)[0] == 6, "no lag hint")
    assert handler.values == [b"m4", b"m5"]


def test_stored_offsets_go_with_the_stored_policy_only() -> None:
    with pytest.raises(ValueError, match="stored offsets"):
        Group("g", Commit.STORED)
    with pytest.raises(ValueError, match="stored offsets"):
        Group("g", Commit.AFTER_HANDLER, stored_offsets=dict)


def test_a_dead_letter_carries_its_reason_and_the_source_headers(infra: Infra, topic: str) -> None:
    key = uuid.uuid4().hex.encode()

    def refuse(batch: Sequence[Message], dead_letters: DeadLetters) -> None:
        for message in batch:
            dead_letters.send(message, DeadLetter("contract_violation", "no such field"))

    group = f"test-loop-{uuid.uuid4().hex[:8]}"
    # A message that says it is a structured CloudEvent but is not one.
    claim = ("content-type", STRUCTURED_CONTENT_TYPE.encode())
    produce_where(infra.bootstrap_servers, topic, [(key, b"m0", [("trace-id", b"t0"), claim])])
    with running(_loop(infra, topic, Seen(refuse), Group(group))):
        _until(lambda: committed(infra.bootstrap_servers, group, topic)[0] == 1, "not committed")
    [letter] = [
        dead_letter(m)
        for m in read_to_end(infra.bootstrap_servers, Topic.DLQ_INTAKE.value, keys=[key])
    ]
    assert letter["value"] == b"m0"
    assert letter["motcua-dlq-reason"] == b"contract_violation"
    assert letter["motcua-dlq-detail"] == b"no such field"
    assert letter["motcua-dlq-topic"] == topic.encode()
    assert letter["motcua-dlq-offset"] == b"0"
    assert letter["trace-id"] == b"t0", "the source's own headers were dropped"
    assert "content-type" not in letter, "a dead letter never claims to be a CloudEvent"
    assert letter["motcua-dlq-content-type"] == claim[1], "the source's claim, kept apart"


@pytest.mark.parametrize(
    ("error", "what"),
    [
        (psycopg.OperationalError("server closed the connection"), "PostgreSQL"),
        (DeadLetterNotAcknowledged("dead letter not acknowledged: timeout"), "Kafka"),
    ],
)
def test_an_outage_is_waited_out_quietly_with_the_same_batch(
    infra: Infra, topic: str, caplog: pytest.LogCaptureFixture, error: Exception, what: str
) -> None:
    failures = {"left": 5}

    def away_then_back(*_: object) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise error

    handler = Seen(away_then_back)
    group = f"test-loop-{uuid.uuid4().hex[:8]}"
    _produce(infra, topic, 3)
    with (
        caplog.at_level(logging.WARNING, logger="motcua.kafka.consumer"),
        running(_loop(infra, topic, handler, Group(group))),
    ):
        _until(lambda: committed(infra.bootstrap_servers, group, topic)[0] == 3, "not committed")
    assert handler.calls == 6, "the batch was not tried again until it passed"
    assert handler.values == [b"m0", b"m1", b"m2"], "the same batch, handled once"
    lines = [r.getMessage() for r in caplog.records if what in r.getMessage()]
    assert lines == [f"{what} unreachable; retrying", lines[-1]]
    assert lines[-1].startswith(f"{what} reachable again after")


def test_a_stopped_loop_leaves_the_batch_it_had_not_finished_uncommitted(
    infra: Infra, topic: str
) -> None:
    def database_away(*_: object) -> None:
        raise psycopg.OperationalError("connection refused")

    handler = Seen(database_away)
    group = f"test-loop-{uuid.uuid4().hex[:8]}"
    _produce(infra, topic, 2)
    loop = _loop(infra, topic, handler, Group(group))
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    _until(lambda: handler.calls >= 2, "the handler was not retried")
    stop.set()
    asked = time.monotonic()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert time.monotonic() - asked < 2, "stopping waited for the outage"
    assert committed(infra.bootstrap_servers, group, topic)[0] < 0


SIGTERM_CHILD = """
import signal, sys, threading, psycopg
from motcua.kafka import ConsumerLoop, Group
from motcua.supervision import Supervisor

bootstrap, topic, group = sys.argv[1:4]

def handler(batch, _):
    print("handling", flush=True)
    raise psycopg.OperationalError("away")

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
supervisor = Supervisor("test")
loop = ConsumerLoop("sigterm", bootstrap, [topic], handler, Group(group), retry_wait_s=0.2)
supervisor.add("sigterm", loop.run)
with supervisor.running():
    stop.wait()
print("stopped", flush=True)
"""


def test_sigterm_stops_the_loop_cleanly(infra: Infra, topic: str) -> None:
    group = f"test-loop-{uuid.uuid4().hex[:8]}"
    _produce(infra, topic, 2)
    child = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_CHILD, infra.bootstrap_servers, topic, group],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "handling"
        child.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        out, _ = child.communicate(timeout=15)
        assert time.monotonic() - asked < 5, "SIGTERM took more than 5 s"
    finally:
        child.kill()
    assert child.returncode == 0
    assert out.strip().endswith("stopped")
    assert committed(infra.bootstrap_servers, group, topic)[0] < 0, "an unfinished batch moved"


def test_assigned_partitions_are_read_whole_caught_up_then_followed(
    infra: Infra, topic: str
) -> None:
    handler = Seen()
    caught_up: list[int] = []
    _produce(infra, topic, 3)
    loop = ConsumerLoop(
        "test-assigned",
        infra.bootstrap_servers,
        [topic],
        handler,
        Assigned(from_beginning(topic)),
        on_caught_up=lambda: caught_up.append(len(handler.values)),
    )
    with running(loop):
        assert loop.wait_caught_up(30)
        assert caught_up == [3], "caught up before (or long after) the ends it saw"
        _produce(infra, topic, 2)
        _until(lambda: len(handler.values) == 5, "the assigned loop stopped following")
    assert caught_up == [3], "caught up announced more than once"


def test_read_range_reads_from_its_start_to_the_ends_and_no_further(
    infra: Infra, topic: str
) -> None:
    _produce(infra, topic, 5)
    read = read_range(
        infra.bootstrap_servers, lambda _: [TopicPartition(topic, 0, 2)], timeout_s=30
    )
    assert [m.value() for m in read] == [b"m2", b"m3", b"m4"]
    assert read_range(infra.bootstrap_servers, lambda _: [], timeout_s=30) == []
    sooner = read_range(
        infra.bootstrap_servers,
        lambda _: [TopicPartition(topic, 0, 1)],
        timeout_s=30,
        stop_before={(topic, 0): 3},
    )
    assert [m.value() for m in sooner] == [b"m1", b"m2"]


def test_a_loop_reading_until_the_end_leaves_what_came_after_it_started(
    infra: Infra, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _produce(infra, topic, 3)
    ends_of = _consumer_module._Ends.of

    def then_more_arrives(
        consumer: Consumer, start: Sequence[TopicPartition], stop_before: Mapping[Any, int]
    ) -> object:
        ends = ends_of(consumer, start, stop_before)
        produce_where(infra.bootstrap_servers, topic, [(b"k", b"later", [])])
        return ends

    monkeypatch.setattr(_consumer_module._Ends, "of", then_more_arrives)
    read = read_range(infra.bootstrap_servers, from_beginning(topic), timeout_s=30)
    assert [m.value() for m in read] == [b"m0", b"m1", b"m2"]


def test_read_range_gives_up_when_kafka_does_not_answer() -> None:
    """After its timeout and the one metadata request in hand (at most 5 s), not later."""
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        read_range("127.0.0.1:9", from_beginning("anything"), timeout_s=1)
    assert 1 <= time.monotonic() - started < 8
