"""The ``apology delivery updated`` event meets its contract and carries no contact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from motcua.contracts import validate_event
from motcua.delivery import DeliveryState
from services.deadlines.notices.events import NoticeFacts, notice_event

FACTS = NoticeFacts(
    dossier_id="9b2e4d71-5c3a-4f08-b6e1-2a7d9c0f4e58",
    dossier_code="000.00.12.H26-250602-0015",
    unit_code="000.00.12.H26",
    unit_path=("000.00.00.H26", "000.00.12.H26"),
    procedure_code="1.001612",
    episode=1,
    letter_number="15/PXL",
    letter_version=2,
    apology_deadline=datetime(2025, 6, 10, 3, tzinfo=UTC),
)
MESSAGE = str(uuid.uuid4())
AT = datetime(2025, 6, 11, 7, 31, tzinfo=UTC)


def test_each_state_is_a_valid_event_with_its_own_stable_id() -> None:
    sent = notice_event(
        FACTS,
        message_id=MESSAGE,
        channel="sms",
        state=DeliveryState.SENT,
        occurred_at=AT,
        sent_at=AT,
    )
    failed = notice_event(
        FACTS,
        message_id=MESSAGE,
        channel="sms",
        state=DeliveryState.FAILED_PERMANENT,
        occurred_at=AT,
        sent_at=AT,
        reason="SMS gateway refused the message (400)",
        fallback_channel="zalo",
    )
    for event in (sent, failed):
        validate_event(event)
    assert sent["id"] != failed["id"]
    again = notice_event(
        FACTS, message_id=MESSAGE, channel="sms", state=DeliveryState.SENT, occurred_at=AT
    )
    assert again["id"] == sent["id"]
    assert failed["data"]["fallback_channel"] == "zalo"
    assert failed["data"]["apology_deadline"] == "2025-06-10T10:00:00+07:00"
    assert "reason" not in sent["data"]
