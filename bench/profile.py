"""What bounds a Python service while a phase runs: py-spy samples of the thread holding
the GIL, summed by the innermost function of our own code on each stack.

The innermost own frame is what a change of ours can act on: time in pydantic, orjson or
psycopg is charged to the function of ours that called it, and an asyncio task with no
frame of ours (Faust's and aiokafka's machinery, uvicorn's HTTP) to the library whose
task it is. A second view gives each package's own time (the innermost frame's). The
share of the phase some thread held the GIL says how close the process is to one core.

Sampling runs ``--nonblocking`` (the process is never paused), in a phase of its own so
that the benchmark's figures are not taken under it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bench.cpu import pids

OWN_CODE = ("motcua/", "services/", "bench/")
LOOP_DISPATCH = frozenset(
    {
        "Handle._run (asyncio/events.py)",
        "_run (asyncio/events.py)",
        "BaseEventLoop._run_once (asyncio/base_events.py)",
        "_run_once (asyncio/base_events.py)",
    }
)
RATE = 100


@dataclass(frozen=True)
class Hotspots:
    process: str
    seconds: float
    samples: int
    functions: tuple[tuple[str, float], ...]
    """The largest shares of the GIL-holding samples, by innermost own function."""
    packages: tuple[tuple[str, float], ...] = ()
    """The same samples by the package of the innermost frame (its own time)."""

    @property
    def gil_share(self) -> float:
        return self.samples / (self.seconds * RATE) if self.seconds else 0.0

    def line(self) -> str:
        top = "; ".join(f"{name} {share:.0%}" for name, share in self.functions)
        own = ", ".join(f"{name} {share:.0%}" for name, share in self.packages)
        return (
            f"{self.process} held the GIL {self.gil_share:.0%} of {self.seconds:.0f} s "
            f"({self.samples:,} samples); of that: {top}"
            + (f" — own time by package: {own}" if own else "")
        )


def _frame_name(frame: str) -> tuple[str, str]:
    """``("Class.method", "package/module.py")`` from py-spy's ``name (file)``."""
    name, _, where = frame.rpartition(" (")
    return name, where.rstrip(")")


def _package(where: str) -> str:
    return where.split("/", 1)[0] if "/" in where else "stdlib"


def _owner(stack: list[str]) -> str:
    """The innermost own function, looking only inside the running asyncio task: the
    frames that started the event loop (a worker's ``main``) own nothing it runs."""
    task = stack
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth] in LOOP_DISPATCH:
            task = stack[depth + 1 :]
            break
    for frame in reversed(task):
        name, where = _frame_name(frame)
        if where.startswith(OWN_CODE):
            return f"{where.removesuffix('.py').replace('/', '.')}.{name}"
    first = _frame_name(task[0])[1] if task else ""
    return f"{_package(first)} (no frame of ours)"


def summarise(process: str, seconds: float, raw: Iterable[str], top: int = 8) -> Hotspots:
    """The hotspots of py-spy's ``raw`` output: one ``frame;frame;… count`` per line."""
    owners: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for line in raw:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
        owners[_owner(frames)] += int(count)
        packages[_package(_frame_name(frames[-1])[1])] += int(count)
    samples = sum(owners.values())

    def shares(counter: Counter[str], n: int) -> tuple[tuple[str, float], ...]:
        return tuple((name, k / samples) for name, k in counter.most_common(n))

    if not samples:
        return Hotspots(process, seconds, 0, ())
    return Hotspots(process, seconds, samples, shares(owners, top), shares(packages, 6))


def py_spy() -> str:
    """py-spy from the benchmark's own environment (a dev dependency), else the PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("py-spy is missing: `pip install -e '.[dev]'` installs it")
    return found


class Sampling:
    """py-spy on the first process of each kind for the ``with`` block's duration."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self.kinds = list(kinds)
        self.hotspots: list[Hotspots] = []
        self._dir = tempfile.TemporaryDirectory(prefix="bench-profile-")
        self._running: list[tuple[str, subprocess.Popen[bytes], Path]] = []
        self._started = 0.0

    def __enter__(self) -> Sampling:
        # Every process found and py-spy located before one sampler starts: a failure here
        # leaves none running (``__exit__`` is not called when ``__enter__`` raises).
        targets = {kind: pids(kind) for kind in self.kinds}
        missing = [kind for kind, found in targets.items() if not found]
        if missing:
            raise SystemExit(f"no {', '.join(missing)} process to profile")
        spy_binary = py_spy()
        for kind, found in targets.items():
            output = Path(self._dir.name) / f"{kind}.txt"
            command = [spy_binary, "record", "--gil", "--nonblocking", "--nolineno"]
            command += ["-r", str(RATE), "-f", "raw", "-o", str(output), "-p", str(found[0])]
            spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self._running.append((kind, spy, output))
        self._started = time.monotonic()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        seconds = time.monotonic() - self._started
        try:
            for process, spy, output in self._running:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
                _, stderr = spy.communicate(timeout=60)
                if not output.exists():
                    message = stderr.decode(errors="replace").strip()
                    raise SystemExit(f"py-spy wrote no profile of {process}: {message}")
                with output.open() as raw:
                    self.hotspots.append(summarise(process, seconds, raw))
        finally:
            for _, spy, _ in self._running:
                if spy.poll() is None:
                    spy.kill()
            self._dir.cleanup()


def can_sample() -> bool:
    """py-spy reads another process's memory: root, or ptrace allowed for this user."""
    if os.geteuid() == 0:
        return True
    scope = Path("/proc/sys/kernel/yama/ptrace_scope")
    return not scope.exists() or scope.read_text().strip() == "0"
