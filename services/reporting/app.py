"""Reporting: live figures per unit, procedure and day for leaders and for ops."""

from __future__ import annotations

import faust

from motcua.streaming import create_faust_app
from services.reporting.pages import install_report_pages
from services.reporting.settings import ReportingSettings


def create_app(settings: ReportingSettings) -> faust.App:
    app = create_faust_app("motcua-reporting", settings)
    install_report_pages(app, settings)
    return app


settings = ReportingSettings()
app = create_app(settings)
