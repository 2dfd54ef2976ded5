"""Settings of the reporting service, from the environment (see the README's settings table)."""

from __future__ import annotations

from motcua.identity import PagesSettings, SignInSettings
from motcua.streaming import StreamSettings


class ReportingSettings(StreamSettings, SignInSettings, PagesSettings):
    """Everything reporting reads from its environment."""
