"""How a service runs its relay: the settings every publishing service shares, and the
supervised loop its lifespan starts and stops."""

from __future__ import annotations

import threading

import pytest
from pydantic import ValidationError

from motcua.outbox import OutboxSettings, supervise_relay
from motcua.supervision import Supervisor
from services.deadlines.settings import DeadlinesSettings
from services.intake.settings import IntakeSettings
from services.ratings.settings import RatingsSettings


def _unreachable(*, enabled: bool = True) -> OutboxSettings:
    """Nothing listens there: the relay keeps trying to connect until it is stopped."""
    return OutboxSettings(
        database_url="postgresql://127.0.0.1:1/none?connect_timeout=1",
        kafka_bootstrap_servers="127.0.0.1:1",
        outbox_relay_enabled=enabled,
    )


def _relay_threads(service: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"{service}-outbox-relay"]


@pytest.mark.parametrize("settings", [IntakeSettings, RatingsSettings, DeadlinesSettings])
def test_every_publishing_service_reads_the_same_relay_settings(
    settings: type[OutboxSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert issubclass(settings, OutboxSettings)
    monkeypatch.setenv("OUTBOX_RELAY_ENABLED", "false")
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "25")
    read = settings()
    assert (read.outbox_relay_enabled, read.outbox_batch_size) == (False, 25)
    monkeypatch.setenv("OUTBOX_BATCH_SIZE", "0")
    with pytest.raises(ValidationError):
        settings()


def test_the_relay_runs_in_a_thread_for_the_block_only() -> None:
    settings = _unreachable()
    loops = Supervisor("unit-lifespan")
    supervise_relay(loops, settings, service="unit-lifespan")
    with loops.running():
        assert len(_relay_threads("unit-lifespan")) == 1
    assert _relay_threads("unit-lifespan") == []


def test_a_disabled_relay_starts_no_thread() -> None:
    settings = _unreachable(enabled=False)
    loops = Supervisor("unit-disabled")
    supervise_relay(loops, settings, service="unit-disabled")
    with loops.running():
        assert _relay_threads("unit-disabled") == []
