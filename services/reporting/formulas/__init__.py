"""The formulas behind every official figure, as plain functions of counts: no I/O, so a
figure can be recomputed and explained from the numbers beside it.

``FORMULA_VERSION`` is written beside every frozen month ("chốt số liệu"): a change to
any formula here changes it.
"""

from services.reporting.formulas.satisfaction import (
    AgencyBand,
    OfficerBand,
    agency_band,
    criterion_score,
    officer_band,
    officer_score,
    response_rate,
    satisfaction_rate,
)

FORMULA_VERSION = "2026.12-2"

__all__ = [
    "FORMULA_VERSION",
    "AgencyBand",
    "OfficerBand",
    "agency_band",
    "criterion_score",
    "officer_band",
    "officer_score",
    "response_rate",
    "satisfaction_rate",
]
