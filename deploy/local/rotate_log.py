"""Copy a process's output (stdin) into a log file that rotates at a size cap.

The local stack starts each component with its stdout and stderr on a pipe to one of these,
so a log storm fills at most ``--max-bytes`` × (1 + ``--backups``) of disk: ``name.log``,
then ``name.log.1`` … the oldest dropped. It exits when the component does (end of input).
"""

from __future__ import annotations

import argparse
import logging
import sys
from logging.handlers import RotatingFileHandler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--max-bytes", type=int, default=20 * 1024 * 1024)
    parser.add_argument("--backups", type=int, default=3)
    args = parser.parse_args(argv)
    handler = RotatingFileHandler(
        args.path, maxBytes=args.max_bytes, backupCount=args.backups, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        handler.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
    handler.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
