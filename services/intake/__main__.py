"""`python -m services.intake`: run the intake service."""

from motcua.http import serve
from services.intake.settings import IntakeSettings

serve("services.intake.app:app_from_environment", IntakeSettings(), "intake")
