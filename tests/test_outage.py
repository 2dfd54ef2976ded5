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


def test_a_library_repeating_itself_is_held_to_a_line_every_ten_seconds() -> None:
    from motcua.logging import RepeatFilter

    clock = Clock()
    repeats = RepeatFilter(clock=clock)

    def record(msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("aiokafka", logging.ERROR, __file__, 1, msg, args, None)

    passed = []
    for i in range(25 * 1024):  # 25 s of a reconnect loop, a line every 1/1024 s
        line = record("Unable connect to node with id %s: %s", 1, f"attempt {i}")
        if repeats.filter(line):
            passed.append(line)
        clock.now += 1 / 1024
    assert len(passed) == 3
    assert [getattr(r, "repeated", 0) for r in passed] == [0, 10239, 10239]
    other = record("Unable to update metadata from %s", 1)
    assert repeats.filter(other), "another message is not held back by the first"
    info = logging.LogRecord("motcua", logging.INFO, __file__, 1, "dossier received", (), None)
    assert all(repeats.filter(info) for _ in range(3)), "information lines are never held"
