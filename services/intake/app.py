"""Intake: the system of record for dossiers and the only door into the platform."""

from __future__ import annotations

from fastapi import FastAPI

from motcua.health import standard_checks
from motcua.http import create_service_app
from services.intake.settings import IntakeSettings


def create_app(settings: IntakeSettings) -> FastAPI:
    return create_service_app(
        service="intake",
        version="0.1.0",
        checks=standard_checks(settings),
        description="Receives dossier events from upstream case systems.",
    )
