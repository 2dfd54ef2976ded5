"""CPU seconds spent by the platform's processes: where a benchmark's time goes when the
machine, not one service, is the limit.

Read from ``/proc`` (user + system time of every process whose command line matches), so
it counts what each process did, whichever of its threads did it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

PROCESSES = {
    "intake": "-m services.intake",
    # Before the worker's: the first kind whose marker a command line holds is its kind.
    "deadlines-web": "-m services.deadlines.officers_web",
    "deadlines": "-m services.deadlines",
    "ratings": "-m services.ratings",
    "reporting": "-m services.reporting",
    "kafka": "kafka.Kafka",
    "postgres": "postgres",
}
_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> Iterator[tuple[str, Path]]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for name, marker in PROCESSES.items():
            if marker in cmdline and "rotate_log" not in cmdline:
                yield name, entry
                break


def pids(kind: str) -> list[int]:
    """The pids of one kind's processes (``intake``, ``deadlines`` …), lowest first."""
    return sorted(int(entry.name) for name, entry in _processes() if name == kind)


def cpu_seconds() -> dict[str, float]:
    """CPU seconds so far, by process kind (the stack's processes only run once here)."""
    totals = dict.fromkeys(PROCESSES, 0.0)
    for name, entry in _processes():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        totals[name] += (int(fields[11]) + int(fields[12])) / _TICKS
    return totals


def idle_rates(seconds: float = 5.0) -> dict[str, float]:
    """Each process kind's CPU share while nothing is offered (its pollers and timers)."""
    before = cpu_seconds()
    time.sleep(seconds)
    after = cpu_seconds()
    return {name: (after[name] - before[name]) / seconds for name in PROCESSES}


def settle(idle: dict[str, float], every_s: float = 2.0, timeout_s: float = 300) -> float:
    """Wait until the processes together use no more than their ``idle`` shares plus a
    tenth of a core (the consumers have caught up); the seconds waited."""
    started = time.monotonic()
    before = sum(cpu_seconds().values())
    threshold = sum(idle.values()) + 0.1
    while time.monotonic() - started < timeout_s:
        time.sleep(every_s)
        now = sum(cpu_seconds().values())
        if (now - before) / every_s <= threshold:
            break
        before = now
    return time.monotonic() - started


class Phase:
    """The CPU a phase's events cost each process kind: from its start until the
    consumers settled, less what the process spends idle over the same time."""

    def __init__(self, idle: dict[str, float]) -> None:
        self.idle = idle
        self.started = time.monotonic()
        self.before = cpu_seconds()

    def per_event_ms(self, events: int) -> str:
        """``name a.b`` ms per event, largest first, once :func:`settle` returned."""
        elapsed = time.monotonic() - self.started
        after = cpu_seconds()
        spent = {
            name: max(0.0, after[name] - self.before[name] - self.idle[name] * elapsed)
            * 1000
            / events
            for name in PROCESSES
        }
        return ", ".join(
            f"{name} {ms:.2f}" for name, ms in sorted(spent.items(), key=lambda item: -item[1])
        )
