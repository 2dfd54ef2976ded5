"""librdkafka's log lines go through the services' logging, held to one a condition per 10 s."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer

from motcua.kafka import client_config
from motcua.logging import configure_logging


def _refused_address() -> str:
    """A local port nothing listens on: every connection attempt is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """The services' own logging configuration, writing to a buffer; pytest's put back."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("test")
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    out = io.StringIO()
    handler.setStream(out)
    yield out
    root.handlers[:], root.level = saved[0], saved[1]


def test_a_client_whose_broker_refuses_logs_one_json_line_per_ten_seconds(
    service_log: io.StringIO,
) -> None:
    consumer = Consumer(client_config(_refused_address(), **{"group.id": "refused"}))
    consumer.subscribe(["motcua.dossier-events"])
    try:
        end = time.monotonic() + 3
        while time.monotonic() < end:  # ~30 refused connections at librdkafka's 100 ms
            consumer.poll(0.2)
    finally:
        consumer.close()
    lines = [json.loads(line) for line in service_log.getvalue().splitlines()]
    failures = [line for line in lines if line["logger"] == "librdkafka"]
    assert len(failures) == 1, lines
    assert "Connection refused" in failures[0]["message"]
    assert failures[0]["service"] == "test"


def test_librdkafka_conditions_are_held_back_apart() -> None:
    from motcua.logging import RepeatFilter

    repeats = RepeatFilter(clock=lambda: 0.0)

    def record(facility: str) -> logging.LogRecord:
        args = (facility, "rdkafka#consumer-1", "127.0.0.1:9092/bootstrap: …")
        return logging.LogRecord("librdkafka", logging.ERROR, __file__, 1, "%s [%s] %s", args, None)

    assert repeats.filter(record("FAIL"))
    assert not repeats.filter(record("FAIL"))
    assert repeats.filter(record("REQTMOUT")), "another condition has its own line"
