"""``make chaos``: a long run, its invariants printed as a table; exit 1 if any fails."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from tests.chaos.invariants import table
from tests.chaos.run import Report, run_chaos


def render(report: Report) -> str:
    lines = [table(report.checks), "", "Harm done:"]
    lines += [f"- {line}" for line in report.faults]
    lines += ["", "Counts: " + ", ".join(f"{k} {v:,}" for k, v in report.counts.items())]
    lines += ["Timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in report.timings.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    # The run's own clients lose brokers on purpose: their connection errors are expected.
    logging.getLogger("librdkafka").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--pace", type=float, default=None, help="dossiers filed per second, at most"
    )
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="default: a fresh temporary folder"
    )
    parser.add_argument("--keep", action="store_true", help="leave the stack running afterwards")
    args = parser.parse_args(argv)
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="motcua-chaos-")) / "stack"
    report = run_chaos(
        args.dossiers, state_dir=state_dir, seed=args.seed, pace=args.pace, keep=args.keep
    )
    print(render(report), flush=True)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
