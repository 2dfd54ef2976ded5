"""Deadlines: follows every open dossier's clock and makes lateness impossible to ignore."""

from __future__ import annotations

import faust

from motcua.streaming import create_faust_app
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.web import install_officer_views


def create_app(settings: DeadlinesSettings) -> faust.App:
    app = create_faust_app("motcua-deadlines", settings)
    install_officer_views(app, settings.database_url)
    return app


settings = DeadlinesSettings()
app = create_app(settings)
