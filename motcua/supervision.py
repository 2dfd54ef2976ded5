"""Background loops that come back after a failure, and a readiness check that says when
one has not.

A service's loops (outbox relay, inbound consumers, gauges) run in threads of its API
process. A thread whose loop raises would otherwise end silently and leave a green
``/readyz`` behind: events pile up in the outbox while every probe says all is well. The
:class:`Supervisor` restarts a loop that raised, or returned while the service runs, after a
backoff that doubles up to ``max_backoff_s`` (and starts again from ``backoff_s`` once the
loop has stayed up that long), and its :meth:`Supervisor.check` fails ``/readyz`` with the
loop's name, since when it is down and why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from motcua.metrics import LOOP_RESTARTS, LOOP_UP

_log = logging.getLogger("motcua.supervision")

BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
JOIN_TIMEOUT_S = 30.0

Loop = Callable[[threading.Event], None]
"""A loop runs until the event is set."""


class LoopDown(RuntimeError):
    """A supervised loop is not running: waiting to be restarted after a failure."""


@dataclass(frozen=True)
class LoopState:
    running: bool
    since: datetime
    error: str | None = None
    restarts: int = 0

    def describe(self, name: str) -> str:
        at = self.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{name} not running since {at} ({self.error}), {self.restarts} restarts"


class Supervisor:
    """The loops of one service process; ``add`` them, then run them ``with running()``."""

    def __init__(
        self,
        service: str,
        *,
        backoff_s: float = BACKOFF_S,
        max_backoff_s: float = MAX_BACKOFF_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.service = service
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.clock = clock
        self._loops: dict[str, Loop] = {}
        self._states: dict[str, LoopState] = {}
        self._lock = threading.Lock()

    def add(self, name: str, loop: Loop) -> None:
        if name in self._loops:
            raise ValueError(f"a loop named {name!r} is already supervised")
        self._loops[name] = loop

    @contextmanager
    def running(self) -> Iterator[None]:
        """Every added loop runs, and is restarted, until the block ends; then each is asked
        to stop and given ``JOIN_TIMEOUT_S`` to finish what it has in hand."""
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=self._keep_running,
                args=(name, loop, stop),
                name=f"{self.service}-{name}",
            )
            for name, loop in self._loops.items()
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            deadline = time.monotonic() + JOIN_TIMEOUT_S
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
            self._loops.clear()
            with self._lock:
                self._states.clear()

    def states(self) -> dict[str, LoopState]:
        with self._lock:
            return dict(self._states)

    def check(self) -> None:
        """For ``/readyz``: raises :class:`LoopDown` naming every loop that is not running."""
        down = [state.describe(name) for name, state in self.states().items() if not state.running]
        if down:
            raise LoopDown("; ".join(down))

    def _keep_running(self, name: str, loop: Loop, stop: threading.Event) -> None:
        backoff = self.backoff_s
        restarts = 0
        while not stop.is_set():
            self._set(name, LoopState(running=True, since=self.clock(), restarts=restarts))
            started = time.monotonic()
            try:
                loop(stop)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                _log.exception(
                    "loop failed; restarting it", extra={"loop": name, "restart_in_s": backoff}
                )
            else:
                if stop.is_set():
                    return
                error = "it returned while the service runs"
                _log.error("loop ended; restarting it", extra={"loop": name})
            if time.monotonic() - started >= self.max_backoff_s:
                backoff = self.backoff_s  # it had been up a while: not the same failure
            self._set(
                name,
                LoopState(running=False, since=self.clock(), error=error, restarts=restarts),
            )
            if stop.wait(backoff):
                return
            backoff = min(backoff * 2, self.max_backoff_s)
            restarts += 1
            LOOP_RESTARTS.labels(name).inc()

    def _set(self, name: str, state: LoopState) -> None:
        with self._lock:
            self._states[name] = state
        LOOP_UP.labels(name).set(1 if state.running else 0)
