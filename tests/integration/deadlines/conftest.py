"""Deadlines tests that need intake's seeded reference data and upstream systems reuse
intake's fixtures."""

from tests.integration.intake.conftest import (  # noqa: F401  (fixtures)
    _procedure_codes,
    intake_url,
    systems,
)
