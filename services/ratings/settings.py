"""Settings of the ratings service, from the environment (see the README's settings table)."""

from __future__ import annotations

from motcua.identity import PagesSettings, SignInSettings
from motcua.settings import ServiceSettings


class RatingsSettings(ServiceSettings, SignInSettings, PagesSettings):
    """Everything ratings reads from its environment."""
