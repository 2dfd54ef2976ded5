"""Supervised loops: one that fails comes back after a capped backoff, and until it does the
readiness check names it, since when and why."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from motcua.supervision import LoopDown, LoopState, Supervisor


def _until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


class FailingLoop:
    """Raises on its first ``failures`` runs, then runs until stopped."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs = 0
        self.started: list[float] = []
        self.healthy = threading.Event()

    def __call__(self, stop: threading.Event) -> None:
        self.runs += 1
        self.started.append(time.monotonic())
        if self.runs <= self.failures:
            raise RuntimeError(f"connection lost (run {self.runs})")
        self.healthy.set()
        stop.wait()


def test_a_loop_that_fails_is_restarted_with_a_doubling_capped_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = FailingLoop(failures=4)
    supervisor = Supervisor("unit", backoff_s=0.05, max_backoff_s=0.2)
    supervisor.add("relay", loop)
    with caplog.at_level(logging.ERROR, logger="motcua.supervision"), supervisor.running():
        assert loop.healthy.wait(5), "the loop did not come back"
        supervisor.check()  # running again: ready
        assert supervisor.states()["relay"].restarts == 4
    # The waits it chose, as logged (not as timed: a loaded machine only adds to them).
    waits = [getattr(record, "restart_in_s", None) for record in caplog.records]
    assert waits == [0.05, 0.1, 0.2, 0.2]
    gaps = [b - a for a, b in zip(loop.started, loop.started[1:], strict=False)]
    assert all(gap >= want * 0.95 for gap, want in zip(gaps, waits, strict=True)), "it waited"


def test_readiness_names_the_loop_that_is_down_since_when_and_why() -> None:
    at = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
    supervisor = Supervisor("unit", backoff_s=60, clock=lambda: at)
    supervisor.add("relay", FailingLoop(failures=1))
    supervisor.add("inbound", FailingLoop(failures=0))
    with supervisor.running():
        running = LoopState(running=True, since=at)
        _until(lambda: not supervisor.states().get("relay", running).running)
        with pytest.raises(LoopDown) as down:
            supervisor.check()
    message = str(down.value)
    assert message == (
        "relay not running since 2026-12-02T03:04:05Z "
        "(RuntimeError: connection lost (run 1)), 0 restarts"
    )
    assert "inbound" not in message


def test_a_loop_that_returns_while_the_service_runs_is_restarted() -> None:
    runs: list[int] = []

    def returns_at_once(stop: threading.Event) -> None:
        runs.append(1)
        if len(runs) > 2:
            stop.wait()

    supervisor = Supervisor("unit", backoff_s=0.01)
    supervisor.add("gauges", returns_at_once)
    with supervisor.running():
        _until(lambda: len(runs) == 3)
        _until(lambda: supervisor.states()["gauges"].running)
        supervisor.check()


def test_leaving_the_block_stops_every_loop_and_forgets_it() -> None:
    supervisor = Supervisor("unit-stop")
    supervisor.add("relay", FailingLoop(failures=0))
    with supervisor.running():
        _until(lambda: "relay" in supervisor.states())
        assert [t.name for t in threading.enumerate()].count("unit-stop-relay") == 1
    assert "unit-stop-relay" not in [t.name for t in threading.enumerate()]
    assert supervisor.states() == {}
    supervisor.add("relay", FailingLoop(failures=0))  # the next lifespan adds it again


def test_two_loops_cannot_share_a_name() -> None:
    supervisor = Supervisor("unit")
    supervisor.add("relay", FailingLoop(failures=0))
    with pytest.raises(ValueError, match="relay"):
        supervisor.add("relay", FailingLoop(failures=0))
