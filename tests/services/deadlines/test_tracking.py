"""Deadline tracking on real dates: stops, restarts, alerts, the once-only reschedule."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from motcua.calendar import default_calendar
from motcua.contracts import EventType, format_instant, new_event
from services.deadlines.tracking import (
    AlertKind,
    DeadlinePolicy,
    DossierClock,
    apply_event,
    reschedule,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
POLICY = DeadlinePolicy(default_calendar())
DOSSIER = str(uuid.uuid4())
REF = {
    "dossier_id": DOSSIER,
    "dossier_code": "000.00.01.H01-250421-0001",
    "unit_code": "000.00.01.H01",
    "unit_path": ["000.00.00.B01", "000.00.00.H01", "000.00.01.H01"],
    "procedure_code": "1.004194",
}


def at(day: int, hour: int, month: int = 4) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=VN)


def event(kind: EventType, when: datetime, sequence: int, **data: Any) -> dict[str, Any]:
    return new_event(
        kind,
        source="/motcua/intake",
        subject=DOSSIER,
        time=when,
        data={**REF, "sequence": sequence, **data},
    )


def received(due: datetime) -> DossierClock:
    data = {
        "channel": "in_person",
        "applicant_ref": "apl_abcdefghijklmnopqrstu",
        "applicant_kind": "citizen",
        "contact_preference": "sms",
        "received_at": format_instant(at(21, 9)),
        "clock_starts_at": format_instant(at(21, 9)),
        "processing_time": {"amount": 3, "unit": "working_days"},
        "due_at": format_instant(due),
        "online_level": "full",
    }
    clock, alerts = apply_event(
        None, event(EventType.DOSSIER_RECEIVED, at(21, 9), 1, **data), POLICY
    )
    assert clock is not None
    assert alerts == []
    return clock


def test_due_soon_comes_one_working_day_before_and_overdue_at_the_due_instant() -> None:
    clock = received(at(24, 9))
    assert clock.next_check(POLICY) == at(23, 9)
    assert clock.due_alerts(at(23, 8), POLICY) == []
    [soon] = clock.due_alerts(at(23, 9), POLICY)
    assert soon.kind is AlertKind.DUE_SOON
    clock = clock.mark(soon)
    assert clock.next_check(POLICY) == at(24, 9)
    [overdue] = clock.due_alerts(at(24, 10), POLICY)
    assert overdue.kind is AlertKind.OVERDUE
    assert clock.mark(overdue).next_check(POLICY) is None


def test_alert_ids_are_the_same_however_often_the_alert_is_computed() -> None:
    clock = received(at(24, 9))
    first = clock.due_alerts(at(25, 9), POLICY)
    again = clock.due_alerts(at(26, 9), POLICY)
    assert [a.event_id for a in first] == [a.event_id for a in again]
    assert len({a.event_id for a in first}) == 2


def test_a_stopped_clock_raises_nothing_and_a_supplement_restart_is_a_new_episode() -> None:
    clock: DossierClock | None = received(at(24, 9))
    assert clock is not None
    clock = clock.mark(clock.due_alerts(at(23, 9), POLICY)[0])
    clock, _ = apply_event(
        clock,
        event(
            EventType.DOSSIER_SUPPLEMENT_REQUESTED,
            at(23, 10),
            2,
            phase="processing",
            reason="Thiếu giấy tờ",
        ),
        POLICY,
    )
    assert clock is not None
    assert clock.next_check(POLICY) is None
    assert clock.due_alerts(at(30, 9), POLICY) == []
    restarted = at(5, 9, month=5)
    new_due = POLICY.calendar.add_working_days(restarted, 3)
    clock, _ = apply_event(
        clock,
        event(
            EventType.DOSSIER_SUPPLEMENT_RECEIVED,
            restarted,
            3,
            clock_restarts_at=format_instant(restarted),
            due_at=format_instant(new_due),
        ),
        POLICY,
    )
    assert clock is not None
    assert clock.due_at == new_due
    assert clock.episode == 2
    assert {a.episode for a in clock.due_alerts(new_due, POLICY)} == {2}
    assert clock.supplement_waiting > timedelta(0)


def test_completing_late_resolves_late_and_early_does_not() -> None:
    clock = received(at(24, 9))
    closed, alerts = apply_event(
        clock,
        event(
            EventType.DOSSIER_COMPLETED,
            at(25, 9),
            2,
            outcome="granted",
            due_at=format_instant(at(24, 9)),
        ),
        POLICY,
    )
    [late] = alerts
    assert late.kind is AlertKind.RESOLVED_LATE
    assert late.late_working_days == 1.0
    assert late.portal_late is True  # no supplement waited: the portal agrees
    assert closed is not None
    assert not closed.open
    on_time, none = apply_event(
        clock,
        event(
            EventType.DOSSIER_COMPLETED,
            at(23, 9),
            2,
            outcome="granted",
            due_at=format_instant(at(24, 9)),
        ),
        POLICY,
    )
    assert none == []
    assert on_time is not None
    assert on_time.next_check(POLICY) is None


def test_redelivered_events_change_nothing() -> None:
    clock = received(at(24, 9))
    paused = event(EventType.DOSSIER_PAUSED, at(22, 9), 2, reason_code="other_agency")
    once, _ = apply_event(clock, paused, POLICY)
    twice, _ = apply_event(once, paused, POLICY)
    assert once == twice
    assert once is not None
    assert once.due_at is None
    stale = event(EventType.DOSSIER_RESUMED, at(22, 10), 1, due_at=format_instant(at(28, 9)))
    assert apply_event(once, stale, POLICY)[0] == once


def test_the_new_appointment_replaces_the_due_date_once_only() -> None:
    clock = received(at(24, 9))
    clock = clock.mark(clock.due_alerts(at(23, 9), POLICY)[0])
    moved = reschedule(clock, at(29, 9), POLICY)
    assert moved.due_at == at(29, 9)
    assert moved.rescheduled
    assert moved.episode == 2
    assert reschedule(moved, at(30, 9), POLICY) == moved
    [escalated] = [a for a in moved.due_alerts(at(29, 10), POLICY) if a.kind is AlertKind.OVERDUE]
    assert escalated.rescheduled
    assert escalated.episode == 2


def test_national_portal_view_subtracts_supplement_waiting_and_flags_repeat_requests() -> None:
    clock = received(at(24, 9))
    waited = DossierClock(**{**clock.__dict__, "supplement_waiting": timedelta(hours=16)})
    assert not waited.portal_late(at(25, 9), POLICY.calendar)
    twice = DossierClock(**{**clock.__dict__, "supplement_requests": 2})
    assert twice.portal_late(at(22, 9), POLICY.calendar)
