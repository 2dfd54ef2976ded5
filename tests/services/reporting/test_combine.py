"""A quarter's counts from its months': what an instant places adds up, what is open is
taken at the quarter's end (its last month's)."""

from __future__ import annotations

from services.reporting.figures import combine
from services.reporting.measures import MEASURES


def test_months_add_up_but_what_is_open_is_the_last_months() -> None:
    months = [dict.fromkeys(MEASURES, n) for n in (1, 2, 4)]
    quarter = combine(months)
    assert quarter["received"] == 7
    assert quarter["ratings_valid"] == 7
    assert quarter["in_progress"] == 4
    assert quarter["in_progress_overdue"] == 4
    assert set(quarter) == set(MEASURES)
