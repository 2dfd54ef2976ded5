"""The local stack's logs rotate at their size cap: a storm keeps the newest lines whole
and fills at most the cap times the files kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

WRITER = ROOT / "deploy" / "local" / "rotate_log.py"


def test_a_log_storm_is_kept_under_the_cap_with_its_newest_lines(tmp_path: Path) -> None:
    log = tmp_path / "deadlines.log"
    lines = [f'{{"n": {n}, "message": "Kafka unreachable; retrying — lỗi"}}' for n in range(60_000)]
    storm = ("\n".join(lines) + "\n").encode()
    assert len(storm) > 3_000_000
    subprocess.run(
        [sys.executable, str(WRITER), str(log), "--max-bytes=1000000", "--backups=2"],
        input=storm,
        check=True,
        timeout=60,
    )
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["deadlines.log", "deadlines.log.1", "deadlines.log.2"]
    assert all(f.stat().st_size <= 1_000_000 for f in files)
    kept = (
        log.with_name("deadlines.log.2").read_text()
        + log.with_name("deadlines.log.1").read_text()
        + log.read_text()
    ).splitlines()
    assert kept == lines[-len(kept) :], "the newest lines, whole and in order"
    assert len(kept) > 20_000
