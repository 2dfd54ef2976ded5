"""``python -m services.ratings.relay``: run ratings' outbox relay on its own.

Ratings runs the relay in-process by default (``OUTBOX_RELAY_ENABLED``); this entry point
is for deployments that scale the API and the relay apart.
"""

from __future__ import annotations

from motcua.outbox import run_relay
from services.ratings.settings import RatingsSettings


def main() -> None:
    run_relay(RatingsSettings(), service="ratings")


if __name__ == "__main__":
    main()
