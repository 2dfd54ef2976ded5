"""Settings of the intake service, from the environment (see the README's settings table)."""

from __future__ import annotations

from motcua.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Everything intake reads from its environment."""
