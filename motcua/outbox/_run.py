"""How a service runs its relay: a supervised loop of its API process, or a process of its own."""

from __future__ import annotations

import signal
import threading

from confluent_kafka import Producer

from motcua.logging import configure_logging
from motcua.outbox._relay import OutboxRelay, relay_producer_config
from motcua.outbox._settings import OutboxSettings
from motcua.supervision import Supervisor

LOOP_NAME = "outbox-relay"


def relay_from(settings: OutboxSettings, *, service: str) -> OutboxRelay:
    """The relay of ``service``'s outbox, with its own producer (and a new one after a fatal
    producer error)."""
    config = relay_producer_config(settings.kafka_bootstrap_servers)
    return OutboxRelay(
        settings.database_url,
        Producer(config),
        service=service,
        batch_size=settings.outbox_batch_size,
        new_producer=lambda: Producer(config),
    )


def supervise_relay(supervisor: Supervisor, settings: OutboxSettings, *, service: str) -> None:
    """Add the relay to the API process's loops, if ``OUTBOX_RELAY_ENABLED``; when the
    process stops it finishes the batch in flight (or leaves it, if Kafka is away)."""
    if settings.outbox_relay_enabled:
        supervisor.add(LOOP_NAME, relay_from(settings, service=service).run)


def run_relay(settings: OutboxSettings, *, service: str) -> None:
    """Run the relay in the foreground until SIGTERM or SIGINT: for deployments that scale
    the API and the relay apart."""
    configure_logging(f"{service}-relay", settings.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    supervisor = Supervisor(f"{service}-relay")
    supervisor.add(LOOP_NAME, relay_from(settings, service=service).run)
    with supervisor.running():
        stop.wait()
