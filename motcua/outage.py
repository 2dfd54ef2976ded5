"""One line about a dependency being down, not one per retry.

A loop that retries Kafka or PostgreSQL would otherwise log every attempt — thousands of
lines a second for a fast loop. :class:`Outage` logs the first failure, then at most one
line every ``every_s`` seconds with how long it has lasted and how many attempts failed
("Kafka unreachable for 2 m 10 s, 41 retries"), and one line when it is over. The clock
is injected, so the policy is tested without waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

LOG_EVERY_S = 10.0


def spoken_duration(seconds: float) -> str:
    """``2 m 10 s``, ``45 s``, ``1 h 3 m``: how an operator reads an outage's length."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} m"
    if minutes:
        return f"{minutes} m {secs} s"
    return f"{secs} s"


@dataclass
class Outage:
    """The state of one dependency as one loop sees it."""

    what: str
    """What is down, as the log says it: "Kafka", "PostgreSQL"."""
    log: logging.Logger
    every_s: float = LOG_EVERY_S
    clock: Callable[[], float] = time.monotonic
    since: float | None = field(default=None, init=False)
    failures: int = field(default=0, init=False)
    _last_logged: float = field(default=0.0, init=False)

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, error: object = None) -> None:
        """One more failed attempt; logs if this is the first or ``every_s`` have passed."""
        now = self.clock()
        self.failures += 1
        if self.since is None:
            self.since, self._last_logged = now, now
            self.log.warning(f"{self.what} unreachable; retrying", extra={"error": _short(error)})
            return
        if now - self._last_logged >= self.every_s:
            self._last_logged = now
            lasted = spoken_duration(now - self.since)
            self.log.warning(
                f"{self.what} unreachable for {lasted}, {self.failures} retries",
                extra={"error": _short(error), "down_s": round(now - self.since, 1)},
            )

    def recovered(self) -> None:
        """The dependency answered: one line if it had been down, then back to quiet."""
        if self.since is None:
            return
        lasted = self.clock() - self.since
        self.log.warning(
            f"{self.what} reachable again after {spoken_duration(lasted)}, {self.failures} retries",
            extra={"down_s": round(lasted, 1)},
        )
        self.since, self.failures = None, 0


def _short(error: object) -> str | None:
    if error is None:
        return None
    text = str(error) or type(error).__name__
    return text[:300]
