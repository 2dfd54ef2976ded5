"""Settings of the ratings service, from the environment (see the README's settings table)."""

from __future__ import annotations

from motcua.settings import ServiceSettings


class RatingsSettings(ServiceSettings):
    """Everything ratings reads from its environment."""
