"""Early, on time and late in both views, at the edges a leader would question."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from motcua.delivery import DeliveryState
from motcua.dossier import LOCAL_ZONE
from services.reporting.formulas.timeliness import (
    Finish,
    apology_compliance,
    apology_delivery_compliance,
    legal_finish,
    notice_reached_in_time,
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


LETTER_DEADLINE = datetime(2026, 12, 3, 17, 0, tzinfo=LOCAL_ZONE)  # a working day before DUE
BEFORE = datetime(2026, 12, 3, 9, 0, tzinfo=LOCAL_ZONE)
AFTER = datetime(2026, 12, 3, 10, 0, 1, tzinfo=UTC)  # 17:00:01 in Hà Nội


@pytest.mark.parametrize(
    ("state", "sent_at", "expected"),
    [
        (DeliveryState.DELIVERED, BEFORE, True),
        (DeliveryState.SENT, BEFORE, True),  # accepted in time, no receipt yet
        (DeliveryState.POSTED, BEFORE, True),
        (DeliveryState.DELIVERED, LETTER_DEADLINE, True),  # by the deadline, not before it
        (DeliveryState.DELIVERED, AFTER, False),
        (DeliveryState.SENT, AFTER, False),
        (DeliveryState.FAILED_PERMANENT, BEFORE, False),
        (DeliveryState.FAILED_TEMPORARY, BEFORE, False),  # counts once delivered
        (DeliveryState.QUEUED, None, False),
        (DeliveryState.FAILED_PERMANENT, None, False),  # failed before it was accepted
    ],
)
def test_a_notice_reaches_in_time_when_sent_by_the_deadline_and_not_failed(
    state: DeliveryState, sent_at: datetime | None, expected: bool
) -> None:
    assert (
        notice_reached_in_time(state=state, sent_at=sent_at, apology_deadline=LETTER_DEADLINE)
        is expected
    )


def test_apology_compliance_on_delivery_is_a_share_of_the_late_dossiers() -> None:
    assert apology_delivery_compliance(1, 3) == Decimal("0.3333")
    assert apology_delivery_compliance(0, 0) is None
    with pytest.raises(ValueError, match="not a share"):
        apology_delivery_compliance(4, 3)
