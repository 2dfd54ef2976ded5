"""`python -m services.intake`: run the intake service."""

from motcua.http import serve
from services.intake.app import create_app
from services.intake.settings import IntakeSettings

settings = IntakeSettings()
serve(create_app(settings), settings, "intake")
