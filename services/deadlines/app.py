"""Deadlines: follows every open dossier's clock and makes lateness impossible to ignore."""

from __future__ import annotations

import faust

from motcua.streaming import create_faust_app
from services.deadlines.settings import DeadlinesSettings


def create_app(settings: DeadlinesSettings) -> faust.App:
    return create_faust_app("motcua-deadlines", settings)


settings = DeadlinesSettings()
app = create_app(settings)
