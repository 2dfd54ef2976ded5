"""A share of a count, as every rate of the reports writes it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

RATE = Decimal("0.0001")  # a rate as a fraction: 0.9771 is 97.71%


def share(part: int, whole: int, quantum: Decimal = RATE) -> Decimal | None:
    """``part`` of ``whole``, rounded half up; None when there is nothing to divide by
    ("no answer yet", never 0 or 100%)."""
    if part < 0 or whole < 0 or part > whole:
        msg = f"{part} of {whole} is not a share"
        raise ValueError(msg)
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(quantum, ROUND_HALF_UP)
