"""The exporter's tick: a broker still starting costs one line, a real fault its stack trace,
and neither stops the other steps."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from services.reporting.gauges import Exporter


def _exporter(raising: BaseException) -> tuple[Exporter, list[str]]:
    exporter = Exporter(
        "postgresql://unused",
        pool=None,  # type: ignore[arg-type]
        bootstrap_servers="unused:9092",
        lag_groups=[],
        intake=None,
    )
    ran: list[str] = []

    def failing() -> None:
        raise raising

    def step(name: str) -> Any:
        def run() -> None:
            ran.append(name)

        run.__name__ = name
        return run

    failing.__name__ = "consumer_lag"
    exporter.business = step("business")  # type: ignore[method-assign]
    exporter.consumer_lag = failing  # type: ignore[method-assign]
    exporter.reconcile_if_due = step("reconcile_if_due")  # type: ignore[method-assign]
    return exporter, ran


def test_a_coordinator_not_ready_yet_is_one_warning_without_a_stack_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter, ran = _exporter(KafkaException(KafkaError(KafkaError.NOT_COORDINATOR)))
    with caplog.at_level(logging.INFO, logger="motcua.reporting.gauges"):
        exporter.tick()
    assert ran == ["business", "reconcile_if_due"]
    [record] = caplog.records
    assert (record.levelname, record.getMessage(), record.exc_info) == (
        "WARNING",
        "gauge step deferred",
        None,
    )
    assert record.step == "consumer_lag"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "error",
    [KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED)), RuntimeError("bug")],
)
def test_any_other_failure_is_an_error_with_its_stack_trace(
    caplog: pytest.LogCaptureFixture, error: BaseException
) -> None:
    exporter, ran = _exporter(error)
    with caplog.at_level(logging.INFO, logger="motcua.reporting.gauges"):
        exporter.tick()
    assert ran == ["business", "reconcile_if_due"]
    [record] = caplog.records
    assert (record.levelname, record.getMessage()) == ("ERROR", "gauge step failed")
    assert record.exc_info is not None
