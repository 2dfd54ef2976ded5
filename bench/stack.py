"""The stack a benchmark runs on: the one ``BENCH_ENV`` names (a stack's ``endpoints.json``;
left running), or one started for this run in ``.bench-stack/`` (free ports, no demo
traffic; stopped and removed afterwards)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".bench-stack"


def open_bench_stack(*, infra_only: bool) -> tuple[dict[str, str], Path, Callable[[], None]]:
    """The stack's endpoints, its state directory, and how to stop it when done.

    ``infra_only`` starts Kafka and PostgreSQL alone, for benchmarks that run the service
    under test in their own process.
    """
    named = os.environ.get("BENCH_ENV")
    if named:
        path = Path(named)
        return json.loads(path.read_text()), path.parent, lambda: None
    stack_cmd = [sys.executable, str(ROOT / "deploy/local/stack.py")]
    down = [*stack_cmd, "down", "--state-dir", str(STATE)]

    def stop() -> None:
        subprocess.run(down, check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(STATE, ignore_errors=True)

    stop()
    kind = ["--infra-only"] if infra_only else ["--no-demo"]
    subprocess.run(
        [*stack_cmd, "up", *kind, "--any-port", "--state-dir", str(STATE)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads((STATE / "endpoints.json").read_text()), STATE, stop
