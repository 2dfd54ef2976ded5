"""``python -m services.intake.relay``: run the outbox relay on its own.

Intake runs the relay in-process by default (``OUTBOX_RELAY_ENABLED``); this entry point
is for deployments that scale the API and the relay apart, and for the crash tests.
"""

from __future__ import annotations

from motcua.outbox import run_relay
from services.intake.settings import IntakeSettings


def main() -> None:
    run_relay(IntakeSettings(), service="intake")


if __name__ == "__main__":
    main()
