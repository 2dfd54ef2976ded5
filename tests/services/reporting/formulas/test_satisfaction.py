"""The evaluation formulas of Thông tư 01/2018, on the numbers a person would check."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.reporting.formulas import (
    AgencyBand,
    OfficerBand,
    agency_band,
    criterion_score,
    officer_band,
    officer_score,
    response_rate,
    satisfaction_rate,
)


def test_a_criterion_scores_its_points_over_its_answers_to_one_decimal() -> None:
    assert criterion_score(2 * 90 + 1 * 8, 100) == Decimal("1.9")  # 1.88
    assert criterion_score(5, 4) == Decimal("1.3")  # 1.25 rounds half up
    assert criterion_score(0, 3) == Decimal("0.0")
    assert criterion_score(0, 0) is None
    with pytest.raises(ValueError, match="cannot come from"):
        criterion_score(7, 3)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        ("18", AgencyBand.EXCELLENT),
        ("15.0", AgencyBand.EXCELLENT),
        ("14.9", AgencyBand.GOOD),
        ("12", AgencyBand.GOOD),
        ("11.9", AgencyBand.FAIR),
        ("9", AgencyBand.FAIR),
        ("8.9", AgencyBand.AVERAGE),
        ("6", AgencyBand.AVERAGE),
        ("5.9", AgencyBand.POOR),
        ("0", AgencyBand.POOR),
    ],
)
def test_agency_bands_at_their_edges(total: str, band: AgencyBand) -> None:
    assert agency_band(Decimal(total)) is band


def test_an_officer_is_scored_on_criteria_1_2_3_4_and_7_only() -> None:
    scores = {n: Decimal("1.0") for n in range(1, 10)}
    scores[5] = scores[6] = scores[8] = scores[9] = Decimal("0.0")
    assert officer_score(scores) == Decimal("5.0")
    assert officer_band(Decimal("5.0")) is OfficerBand.FULL
    assert officer_band(Decimal("4.9")) is OfficerBand.MOSTLY
    assert officer_band(Decimal("3.5")) is OfficerBand.MOSTLY
    assert officer_band(Decimal("3.4")) is OfficerBand.UNDER
    assert officer_score({**scores, 7: None}) is None


def test_satisfaction_counts_valid_answers_and_an_empty_unit_has_no_rate() -> None:
    assert satisfaction_rate(9771, 10000) == Decimal("0.9771")
    assert satisfaction_rate(2, 3) == Decimal("0.6667")
    assert satisfaction_rate(0, 0) is None
    assert response_rate(1, 8) == Decimal("0.1250")
    with pytest.raises(ValueError, match="not a share"):
        satisfaction_rate(4, 3)
