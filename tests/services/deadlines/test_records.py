"""The clocks table's record format and the alert events: what survives a restart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from motcua.contracts import decode_event, encode_event
from services.deadlines.records import alert_event, clock_from_record, clock_to_record
from services.deadlines.tracking import Alert, AlertKind, DossierClock

NOW = datetime(2025, 11, 18, 3, 0, tzinfo=UTC)
CLOCK = DossierClock(
    dossier_id="7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c",
    dossier_code="000.00.01.H01-251110-0042",
    unit_code="000.00.01.H01",
    unit_path=("000.00.00.B01", "000.00.00.H01", "000.00.01.H01"),
    procedure_code="1.004222",
    due_at=NOW,
    original_due_at=NOW - timedelta(days=1),
    episode=2,
    rescheduled=True,
    emitted=frozenset({"due_soon:1", "overdue:1"}),
    last_sequence=7,
    supplement_requests=1,
    supplement_since=NOW - timedelta(days=3),
    supplement_waiting=timedelta(hours=5, minutes=30),
)


def test_a_clock_survives_the_table_as_json() -> None:
    stored = json.loads(json.dumps(clock_to_record(CLOCK)))
    assert clock_from_record(stored) == CLOCK
    assert clock_from_record(None) is None


def test_alert_events_are_valid_and_their_id_is_the_alerts() -> None:
    alert = Alert(AlertKind.OVERDUE, CLOCK.dossier_id, 2, NOW, rescheduled=True)
    event = decode_event(encode_event(alert_event(alert, CLOCK, NOW + timedelta(seconds=1))))
    assert event["id"] == alert.event_id
    assert event["data"]["rescheduled"] is True
    assert event["data"]["episode"] == 2
    assert "applicant" not in json.dumps(event)
