"""CPU seconds of one stack's processes: a process tree's own time and what its exited
children spent, so PostgreSQL's backends that came and went still count."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.cpu import cpu_seconds, kind_of, stack_roots

BURN = "x = 0\nfor i in range(20_000_000):\n    x += i\n"
PARENT = (
    "import subprocess, sys\n"
    f"subprocess.run([sys.executable, '-c', {BURN!r}], check=True)\n"
    "print('reaped', flush=True)\n"
    "sys.stdin.read()\n"
)


def _own_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_tree_counts_the_children_it_reaped() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "reaped"  # the child burnt and exited
        counted = cpu_seconds({parent.pid: "postgres"})
        own = _own_seconds(parent.pid)
        # the child's loop is most of it: far more than the parent's own start-up
        assert counted["postgres"] >= own + 0.3
        assert counted["intake"] == 0.0  # only the kinds of the roots given
    finally:
        parent.communicate("")


def test_a_state_folder_names_its_processes_by_kind(tmp_path: Path) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "-m services.deadlines"],
        stdin=subprocess.PIPE,
    )
    try:
        (tmp_path / "deadlines.pid").write_text(f"{worker.pid}\n")
        (tmp_path / "gone.pid").write_text("999999999\n")  # no such process: left out
        (tmp_path / "pg" / "data").mkdir(parents=True)
        (tmp_path / "pg" / "data" / "postmaster.pid").write_text("4242\n/data\n")
        deadline = time.monotonic() + 10
        while kind_of(worker.pid) is None and time.monotonic() < deadline:
            time.sleep(0.05)  # until the child has exec'd: its command line is the parent's
        assert stack_roots(tmp_path) == {worker.pid: "deadlines", 4242: "postgres"}
    finally:
        worker.communicate(b"")
