"""CPU seconds spent by the platform's processes: where a benchmark's time goes when the
machine, not one service, is the limit.

Read from ``/proc`` (user + system time of every process whose command line matches), so
it counts what each process did, whichever of its threads did it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
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


def kind_of(pid: int) -> str | None:
    """The process kind whose marker ``pid``'s command line holds, if any."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    return next((name for name, marker in PROCESSES.items() if marker in cmdline), None)


def stack_roots(state_dir: Path) -> dict[int, str]:
    """The processes one ``deploy/local/stack.py`` state folder started, pid → kind: its
    pid files and PostgreSQL's postmaster. Other stacks on the same machine (other
    engineers', the test suite's) run the same command lines, so only these are counted."""
    roots: dict[int, str] = {}
    for pid_file in state_dir.glob("*.pid"):
        pid = int(pid_file.read_text().split()[0])
        kind = kind_of(pid)
        if kind is not None:
            roots[pid] = kind
    postmaster = next(state_dir.glob("**/postmaster.pid"), None)
    if postmaster is not None:
        roots[int(postmaster.read_text().split()[0])] = "postgres"
    return roots


def _tree_seconds(roots: Mapping[int, str]) -> dict[str, float]:
    """CPU seconds of every root's tree: each process's own time and its reaped children's
    (PostgreSQL's backends come and go; what an exited one spent is in its parent's
    ``cutime``), live descendants included once each."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = sum(int(field) for field in fields[11:15])
        stats[int(entry.name)] = (int(fields[1]), ticks / _TICKS)
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    totals = dict.fromkeys(PROCESSES, 0.0)
    for root, kind in roots.items():
        pending = [root] if root in stats else []
        while pending:
            pid = pending.pop()
            totals[kind] += stats[pid][1]
            pending.extend(children.get(pid, ()))
    return totals


def cpu_seconds(roots: Mapping[int, str] | None = None) -> dict[str, float]:
    """CPU seconds so far, by process kind: of ``roots``' process trees (:func:`stack_roots`)
    when given, else of every process on the machine whose command line matches."""
    if roots is not None:
        return _tree_seconds(roots)
    totals = dict.fromkeys(PROCESSES, 0.0)
    for name, entry in _processes():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        totals[name] += (int(fields[11]) + int(fields[12])) / _TICKS
    return totals


def idle_rates(seconds: float = 5.0, roots: Mapping[int, str] | None = None) -> dict[str, float]:
    """Each process kind's CPU share while nothing is offered (its pollers and timers)."""
    before = cpu_seconds(roots)
    time.sleep(seconds)
    after = cpu_seconds(roots)
    return {name: (after[name] - before[name]) / seconds for name in PROCESSES}


def settle(
    idle: dict[str, float],
    every_s: float = 2.0,
    timeout_s: float = 300,
    roots: Mapping[int, str] | None = None,
) -> float:
    """Wait until the processes together use no more than their ``idle`` shares plus a
    tenth of a core (the consumers have caught up); the seconds waited."""
    started = time.monotonic()
    before = sum(cpu_seconds(roots).values())
    threshold = sum(idle.values()) + 0.1
    while time.monotonic() - started < timeout_s:
        time.sleep(every_s)
        now = sum(cpu_seconds(roots).values())
        if (now - before) / every_s <= threshold:
            break
        before = now
    return time.monotonic() - started


class Phase:
    """The CPU a phase's events cost each process kind: from its start until the
    consumers settled, less what the process spends idle over the same time."""

    def __init__(self, idle: dict[str, float], roots: Mapping[int, str] | None = None) -> None:
        self.idle = idle
        self.roots = roots
        self.started = time.monotonic()
        self.before = cpu_seconds(roots)

    def spent(self) -> dict[str, float]:
        """CPU seconds each kind spent on the phase's work so far, idle use taken off."""
        elapsed = time.monotonic() - self.started
        after = cpu_seconds(self.roots)
        return {
            name: max(0.0, after[name] - self.before[name] - self.idle[name] * elapsed)
            for name in PROCESSES
        }

    def per_event_ms(self, events: int) -> str:
        """``name a.b`` ms per event, largest first, once :func:`settle` returned."""
        spent = {name: seconds * 1000 / events for name, seconds in self.spent().items()}
        return ", ".join(
            f"{name} {ms:.2f}" for name, ms in sorted(spent.items(), key=lambda item: -item[1])
        )
