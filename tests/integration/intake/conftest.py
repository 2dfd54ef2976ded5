"""Intake's own fixtures: the FastAPI app in-process against the session's database."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient

from motcua.kafka import Topic
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.conftest import Infra
from tests.integration.kafka_log import committed, start_group_at_end


def intake_settings(infra: Infra, intake_url: str, **overrides: Any) -> IntakeSettings:
    """Intake in-process; its Kafka doors stay shut unless a test opens them (with a
    consumer group of its own), so no test consumes what another produced."""
    settings = IntakeSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=intake_url,
        **{"apology_letters_enabled": False, **overrides},
    )
    if settings.inbound_enabled or settings.apology_letters_enabled:
        assert "inbound_group_id" in overrides, "an open Kafka door needs a group of its own"
    return settings


def door_group(infra: Infra, topics: Sequence[Topic] = (Topic.INTAKE_COMMANDS,)) -> str:
    """A consumer group of the test's own for intake's door, at the end of ``topics``: the
    door reads what the test produces next, not what other tests left."""
    group = f"test-door-{uuid.uuid4()}"
    start_group_at_end(infra.bootstrap_servers, group, [topic.value for topic in topics])
    return group


def wait_until_handled(
    infra: Infra, group: str, topic: Topic, partition: int, last: int, *, timeout_s: float = 60
) -> None:
    """Until ``group`` committed past offset ``last``: the door commits a message only once
    its transaction or its dead letter is done, so everything up to ``last`` was handled."""
    deadline = time.monotonic() + timeout_s
    while committed(infra.bootstrap_servers, group, topic.value)[partition] <= last:
        assert time.monotonic() < deadline, f"{group} did not get past offset {last}"
        time.sleep(0.2)


@pytest.fixture
def client(infra: Infra, intake_url: str) -> Iterator[TestClient]:
    with TestClient(
        create_app(intake_settings(infra, intake_url, inbound_enabled=False))
    ) as test_client:
        yield test_client
