"""An outage is logged once, then at most every ten seconds, then once when it is over."""

from __future__ import annotations

import logging

import pytest

from motcua.outage import Outage, spoken_duration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_thousand_retries_a_second_make_a_line_every_ten_seconds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outage = Outage("Kafka", logging.getLogger("test.outage"), clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.outage"):
        for _ in range(130 * 1024):  # 130 s of a loop retrying every 1/1024 s (exact floats)
            outage.failed(ConnectionRefusedError("Connection refused"))
            clock.now += 1 / 1024
        outage.recovered()
        outage.recovered()  # already over: says nothing more
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "Kafka unreachable; retrying"
    assert messages[1] == "Kafka unreachable for 10 s, 10241 retries"
    assert messages[-2] == "Kafka unreachable for 2 m 0 s, 122881 retries"
    assert messages[-1] == "Kafka reachable again after 2 m 10 s, 133120 retries"
    assert len(messages) == 1 + 12 + 1
    assert not outage.ongoing


@pytest.mark.parametrize(
    ("seconds", "spoken"),
    [(0.4, "0 s"), (45, "45 s"), (130, "2 m 10 s"), (3780, "1 h 3 m")],
)
def test_durations_read_as_an_operator_says_them(seconds: float, spoken: str) -> None:
    assert spoken_duration(seconds) == spoken
