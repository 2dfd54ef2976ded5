"""``python -m services.intake.relay``: run the outbox relay on its own.

Intake runs the relay in-process by default (``OUTBOX_RELAY_ENABLED``); this entry point
is for deployments that scale the API and the relay apart, and for the crash tests.
"""

from __future__ import annotations

import signal
import threading

from confluent_kafka import Producer

from motcua.logging import configure_logging
from services.intake.outbox import OutboxRelay, relay_producer_config
from services.intake.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    configure_logging("intake-relay", settings.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    producer = Producer(relay_producer_config(settings.kafka_bootstrap_servers))
    OutboxRelay(settings.database_url, producer, batch_size=settings.outbox_batch_size).run(stop)


if __name__ == "__main__":
    main()
