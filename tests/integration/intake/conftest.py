"""Intake's own fixtures: the FastAPI app in-process against the session's database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.conftest import Infra


def intake_settings(infra: Infra, intake_url: str, **overrides: Any) -> IntakeSettings:
    """Intake in-process; its Kafka doors stay shut unless a test opens them (with a
    consumer group of its own), so no test consumes what another produced."""
    return IntakeSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=intake_url,
        **{"apology_letters_enabled": False, **overrides},
    )


@pytest.fixture
def client(infra: Infra, intake_url: str) -> Iterator[TestClient]:
    with TestClient(
        create_app(intake_settings(infra, intake_url, inbound_enabled=False))
    ) as test_client:
        yield test_client
