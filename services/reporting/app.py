"""Reporting: live figures per unit, procedure and day for leaders and for ops."""

from __future__ import annotations

import faust

from motcua.streaming import create_faust_app
from services.reporting.settings import ReportingSettings


def create_app(settings: ReportingSettings) -> faust.App:
    return create_faust_app("motcua-reporting", settings)


settings = ReportingSettings()
app = create_app(settings)
