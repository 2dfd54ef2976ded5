"""Settings of the deadlines service, from the environment (see the README's settings table)."""

from __future__ import annotations

from motcua.streaming import StreamSettings


class DeadlinesSettings(StreamSettings):
    """Everything deadlines reads from its environment."""
