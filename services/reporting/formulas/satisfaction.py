"""Citizens' evaluation, scored as Thông tư 01/2018 Điều 13–15 says (``docs/domain.md``).

- A criterion's score is its points (2 / 1 / 0 per answer) over the answers that rated
  it, to one decimal; criterion 8 is rated only by online dossiers.
- An agency's total is the sum of its criterion scores (at most 18) and its band:
  Xuất sắc ≥ 15, Tốt 12–<15, Khá 9–<12, Trung bình 6–<9, Yếu < 6.
- An officer is scored on criteria 1, 2, 3, 4 and 7 (at most 10): ≥ 5 is 100% of duties
  done, 3.5–<5 is 70–<100%, under 3.5 is under 70%.
- Satisfaction (the published 97.71%) counts valid answers only: satisfied (overall Rất
  hài lòng or Hài lòng) over all valid ones; an invalid paper form is counted apart and
  never in the denominator.

Rates and scores are ``Decimal`` rounded half up, as a person checking by hand would;
a rate with nothing to divide by is None ("no answer yet"), never 0 or 100%.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.reporting.formulas._rates import share

OFFICER_CRITERIA = (1, 2, 3, 4, 7)
"""The criteria (numbers of Nghị định 61 Điều 31) an officer answers for."""

_ONE_DECIMAL = Decimal("0.1")


class AgencyBand(StrEnum):
    EXCELLENT = "xuat_sac"
    GOOD = "tot"
    FAIR = "kha"
    AVERAGE = "trung_binh"
    POOR = "yeu"


class OfficerBand(StrEnum):
    FULL = "100"
    MOSTLY = "70_100"
    UNDER = "under_70"


def criterion_score(points: int, rated: int) -> Decimal | None:
    """Points over the answers that rated the criterion, one decimal (0.0–2.0)."""
    if points < 0 or points > 2 * rated:
        msg = f"{points} points cannot come from {rated} answers"
        raise ValueError(msg)
    if rated == 0:
        return None
    return (Decimal(points) / Decimal(rated)).quantize(_ONE_DECIMAL, ROUND_HALF_UP)


def agency_band(total: Decimal) -> AgencyBand:
    """The band of an agency's total (the sum of its criterion scores, at most 18)."""
    if total >= 15:
        return AgencyBand.EXCELLENT
    if total >= 12:
        return AgencyBand.GOOD
    if total >= 9:
        return AgencyBand.FAIR
    if total >= 6:
        return AgencyBand.AVERAGE
    return AgencyBand.POOR


def officer_score(scores: Mapping[int, Decimal | None]) -> Decimal | None:
    """The sum of an officer's scores on criteria 1, 2, 3, 4 and 7 (at most 10); None
    until each of them has been rated."""
    total = Decimal(0)
    for number in OFFICER_CRITERIA:
        score = scores.get(number)
        if score is None:
            return None
        total += score
    return total


def officer_band(score: Decimal) -> OfficerBand:
    if score >= 5:
        return OfficerBand.FULL
    if score >= Decimal("3.5"):
        return OfficerBand.MOSTLY
    return OfficerBand.UNDER


def satisfaction_rate(satisfied: int, valid: int) -> Decimal | None:
    """Satisfied valid answers over valid answers (invalid paper forms stay out)."""
    return share(satisfied, valid)


def response_rate(answered: int, invited: int) -> Decimal | None:
    """Dossiers with a valid answer over dossiers invited to rate."""
    return share(answered, invited)
