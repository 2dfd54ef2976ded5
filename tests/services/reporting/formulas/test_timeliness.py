"""Early, on time and late in both views, at the edges a leader would question."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from motcua.dossier import LOCAL_ZONE
from services.reporting.formulas.timeliness import (
    Finish,
    apology_compliance,
    legal_finish,
    portal_finish,
)

DUE = datetime(2026, 12, 4, 17, 0, tzinfo=LOCAL_ZONE)  # Friday, 17:00 in Hà Nội


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (datetime(2026, 12, 3, 16, 59, tzinfo=LOCAL_ZONE), Finish.EARLY),
        (datetime(2026, 12, 4, 8, 0, tzinfo=LOCAL_ZONE), Finish.ON_TIME),
        (DUE, Finish.ON_TIME),  # by 17:00, not before it
        (datetime(2026, 12, 4, 10, 0, 1, tzinfo=UTC), Finish.LATE),  # 17:00:01 in Hà Nội
        (datetime(2026, 12, 3, 23, 30, tzinfo=UTC), Finish.ON_TIME),  # 06:30 on the 4th
    ],
)
def test_the_legal_view_against_the_appointment_in_force(
    finished: datetime, expected: Finish
) -> None:
    assert legal_finish(due_at=DUE, finished_at=finished) is expected


def test_the_portal_view_counts_two_supplements_as_late_whatever_the_dates() -> None:
    early = datetime(2026, 12, 1, 9, 0, tzinfo=LOCAL_ZONE)
    assert portal_finish(portal_due_at=DUE, finished_at=early, supplement_requests=1) is (
        Finish.EARLY
    )
    assert portal_finish(portal_due_at=DUE, finished_at=early, supplement_requests=2) is (
        Finish.LATE
    )
    with pytest.raises(ValueError, match="negative"):
        portal_finish(portal_due_at=DUE, finished_at=early, supplement_requests=-1)


def test_apology_compliance_is_a_share_of_the_late_dossiers() -> None:
    assert apology_compliance(3, 4) == Decimal("0.7500")
    assert apology_compliance(0, 0) is None
    with pytest.raises(ValueError, match="not a share"):
        apology_compliance(5, 4)
