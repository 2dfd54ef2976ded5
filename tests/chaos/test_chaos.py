"""The short chaos run of ``make test``: 5,000 dossiers on three brokers with two processes
of every service, one kill of each kind while they are filed, every invariant kept.
``make chaos`` runs the same with 100,000 (``python -m tests.chaos``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.chaos.__main__ import render
from tests.chaos.run import run_chaos

pytestmark = [pytest.mark.integration, pytest.mark.alone]

DOSSIERS = int(os.environ.get("MOTCUA_CHAOS_DOSSIERS", "5000"))
PACE = 40.0
"""Dossiers filed a second: the 5,000 take two minutes, so every fault meets traffic."""


@pytest.mark.timeout(900)  # four to six minutes: the suite's 300 s would cut it short
def test_a_short_chaos_run_keeps_every_promise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environment = dict(os.environ)
    report = run_chaos(DOSSIERS, state_dir=tmp_path / "stack", pace=PACE, settle_s=300)
    assert dict(os.environ) == environment, "the run changed the suite's own environment"
    printed = render(report)
    with capsys.disabled():  # the table in CI's log, passed or failed
        print(f"\n{printed}")
    harm = "\n".join(report.faults)
    assert "SIGKILL broker" in harm, printed
    for process in ("intake", "deadlines", "deadlines-web", "ratings", "reporting"):
        assert f"SIGKILL {process} " in harm or f"SIGKILL {process}-2 " in harm, printed
    assert "PostgreSQL crashed" in harm, printed
    assert "joined" in harm, printed
    assert harm.count("poison message") == 15, printed
    assert report.counts["dossiers filed"] == DOSSIERS, printed
    assert report.passed, printed
