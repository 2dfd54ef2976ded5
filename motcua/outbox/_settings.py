"""The settings of a service that publishes through the outbox."""

from __future__ import annotations

from pydantic import Field

from motcua.settings import ServiceSettings


class OutboxSettings(ServiceSettings):
    """:class:`ServiceSettings` plus the relay's: whether it runs in the API process, and
    how much it takes per round."""

    outbox_relay_enabled: bool = Field(
        default=True, description="Run the outbox relay inside the API process."
    )
    outbox_batch_size: int = Field(
        default=1000, ge=1, description="Outbox rows the relay publishes per round."
    )
