"""How a service runs its relay: in a thread of its API process, or as a process of its own."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from confluent_kafka import Producer

from motcua.logging import configure_logging
from motcua.outbox._relay import OutboxRelay, relay_producer_config
from motcua.outbox._settings import OutboxSettings

JOIN_TIMEOUT_S = 30.0


def relay_from(settings: OutboxSettings, *, service: str) -> OutboxRelay:
    """The relay of ``service``'s outbox, with its own producer."""
    producer = Producer(relay_producer_config(settings.kafka_bootstrap_servers))
    return OutboxRelay(
        settings.database_url, producer, service=service, batch_size=settings.outbox_batch_size
    )


@contextmanager
def relay_in_background(settings: OutboxSettings, *, service: str) -> Iterator[None]:
    """Run the relay in a thread for the duration of the block (a FastAPI lifespan), if
    ``OUTBOX_RELAY_ENABLED``; on exit it finishes the batch in flight and stops."""
    if not settings.outbox_relay_enabled:
        yield
        return
    stop = threading.Event()
    relay = relay_from(settings, service=service)
    worker = threading.Thread(target=relay.run, args=(stop,), name=f"{service}-outbox-relay")
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(timeout=JOIN_TIMEOUT_S)


def run_relay(settings: OutboxSettings, *, service: str) -> None:
    """Run the relay in the foreground until SIGTERM or SIGINT: for deployments that scale
    the API and the relay apart."""
    configure_logging(f"{service}-relay", settings.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    relay_from(settings, service=service).run(stop)
