"""``python -m services.deadlines.relay``: run deadlines' outbox relay on its own.

The worker runs the relay beside it by default (``OUTBOX_RELAY_ENABLED``); this entry point
is for deployments that scale the worker and the relay apart, and for the crash tests.
"""

from __future__ import annotations

from motcua.outbox import run_relay
from services.deadlines.settings import DeadlinesSettings


def main() -> None:
    run_relay(DeadlinesSettings(), service="deadlines")


if __name__ == "__main__":
    main()
