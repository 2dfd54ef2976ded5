"""Settings of the ratings service, from the environment (see the README's settings table)."""

from __future__ import annotations

from motcua.identity import PagesSettings, SignInSettings
from motcua.outbox import OutboxSettings


class RatingsSettings(OutboxSettings, SignInSettings, PagesSettings):
    """Everything ratings reads from its environment."""
