"""Deadline tracking on real dates: the tracker follows intake's clock, keeps its alerts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.calendar import default_calendar
from motcua.contracts import EventType, History, format_instant, new_event
from motcua.dossier import ClockState
from services.deadlines.tracking import (
    AlertKind,
    DeadlinePolicy,
    DossierClock,
    UnknownEvent,
    apply_event,
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


ORIGINAL = at(24, 9)


def clock_json(
    due: datetime | None, *, closed: bool = False, rescheduled: bool = False
) -> dict[str, Any]:
    running = due is not None and not closed
    return ClockState(running, due, ORIGINAL, rescheduled, closed).as_json()


def event(
    kind: EventType,
    when: datetime,
    sequence: int,
    clock: dict[str, Any],
    history: History | None = None,
    **data: Any,
) -> dict[str, Any]:
    return new_event(
        kind,
        source="/motcua/intake",
        subject=DOSSIER,
        time=when,
        data={**REF, "sequence": sequence, "clock": clock, **data},
        history=history,
    )


RECEIPT: dict[str, Any] = {
    "channel": "in_person",
    "applicant_ref": "apl_abcdefghijklmnopqrstu",
    "applicant_kind": "citizen",
    "contact_preference": "sms",
    "received_at": format_instant(at(21, 9)),
    "clock_starts_at": format_instant(at(21, 9)),
    "processing_time": {"amount": 3, "unit": "working_days"},
    "online_level": "full",
}


def received(due: datetime = ORIGINAL) -> DossierClock:
    clock, alerts = apply_event(
        None, event(EventType.DOSSIER_RECEIVED, at(21, 9), 1, clock_json(due), **RECEIPT), POLICY
    )
    assert clock is not None
    assert alerts == []
    return clock


def apply(clock: DossierClock, ev: dict[str, Any]) -> DossierClock:
    after, _ = apply_event(clock, ev, POLICY)
    assert after is not None
    return after


def test_due_soon_leaves_a_working_day_before_the_apology_deadline() -> None:
    # Due Thursday 24/4 09:00: the letter is due Wednesday 09:00, due soon fires Tuesday.
    clock = received(at(24, 9))
    assert POLICY.apology_deadline(at(24, 9)) == at(23, 9)
    assert clock.next_check(POLICY) == at(22, 9)
    assert clock.due_alerts(at(22, 8), POLICY) == []
    [soon] = clock.due_alerts(at(22, 9), POLICY)
    assert soon.kind is AlertKind.DUE_SOON
    clock = clock.mark(soon)
    assert clock.next_check(POLICY) == at(24, 9)
    [overdue] = clock.due_alerts(at(24, 10), POLICY)
    assert overdue.kind is AlertKind.OVERDUE
    assert clock.mark(overdue).next_check(POLICY) is None


def test_the_lead_is_configurable_down_to_the_apology_deadline_itself() -> None:
    at_deadline = DeadlinePolicy(default_calendar(), due_soon_lead_working_days=0)
    assert received(at(24, 9)).next_check(at_deadline) == at(23, 9)


def test_alert_ids_are_the_same_however_often_the_alert_is_computed() -> None:
    clock = received(at(24, 9))
    first = clock.due_alerts(at(25, 9), POLICY)
    again = clock.due_alerts(at(26, 9), POLICY)
    assert [a.event_id for a in first] == [a.event_id for a in again]
    assert len({a.event_id for a in first}) == 2


def test_the_due_date_is_the_one_the_event_states() -> None:
    clock = received(at(24, 9))
    paused = apply(
        clock,
        event(EventType.DOSSIER_PAUSED, at(22, 9), 2, clock_json(None), reason_code="other"),
    )
    assert paused.due_at is None
    assert paused.due_alerts(at(30, 9), POLICY) == []
    resumed = apply(paused, event(EventType.DOSSIER_RESUMED, at(25, 9), 3, clock_json(at(29, 9))))
    assert resumed.due_at == at(29, 9)
    assert resumed.episode == 1  # a pause continues the same lateness episode


def test_a_pause_that_keeps_the_clock_running_keeps_alerting() -> None:
    clock = received(at(24, 9))
    paused = apply(
        clock,
        event(EventType.DOSSIER_PAUSED, at(22, 9), 2, clock_json(at(24, 9)), reason_code="other"),
    )
    assert [a.kind for a in paused.due_alerts(at(24, 10), POLICY)] == [
        AlertKind.DUE_SOON,
        AlertKind.OVERDUE,
    ]


def test_a_stopped_clock_raises_nothing_and_a_supplement_restart_is_a_new_episode() -> None:
    clock = received(at(24, 9))
    clock = clock.mark(clock.due_alerts(at(22, 9), POLICY)[0])
    clock = apply(
        clock,
        event(
            EventType.DOSSIER_SUPPLEMENT_REQUESTED,
            at(23, 10),
            2,
            clock_json(None),
            phase="processing",
            reason="Thiếu giấy tờ",
        ),
    )
    assert clock.next_check(POLICY) is None
    assert clock.due_alerts(at(30, 9), POLICY) == []
    restarted = at(5, 9, month=5)
    new_due = POLICY.calendar.add_working_days(restarted, 3)
    clock = apply(
        clock,
        event(
            EventType.DOSSIER_SUPPLEMENT_RECEIVED,
            restarted,
            3,
            clock_json(new_due),
            clock_restarts_at=format_instant(restarted),
        ),
    )
    assert clock.due_at == new_due
    assert clock.episode == 2
    assert {a.episode for a in clock.due_alerts(new_due, POLICY)} == {2}
    assert clock.supplement_waiting > timedelta(0)


def rescheduled(sequence: int, clock: dict[str, Any], new_due: datetime) -> dict[str, Any]:
    return event(
        EventType.DOSSIER_RESCHEDULED,
        at(23, 10),
        sequence,
        clock,
        previous_due_at=format_instant(ORIGINAL),
        new_due_at=format_instant(new_due),
        letter_number="3/PXL",
    )


def test_a_rescheduled_appointment_opens_an_escalation_episode() -> None:
    clock = received(at(24, 9))
    clock = clock.mark(clock.due_alerts(at(22, 9), POLICY)[0])
    moved = apply(clock, rescheduled(2, clock_json(at(29, 9), rescheduled=True), at(29, 9)))
    assert moved.due_at == at(29, 9)
    assert moved.rescheduled
    assert moved.episode == 2
    [escalated] = [a for a in moved.due_alerts(at(29, 10), POLICY) if a.kind is AlertKind.OVERDUE]
    assert escalated.rescheduled
    assert escalated.episode == 2


def test_a_letter_while_a_supplement_is_awaited_does_not_revive_the_clock() -> None:
    clock = received(at(24, 9))
    clock = clock.mark(clock.due_alerts(at(22, 9), POLICY)[0])
    waiting = apply(
        clock,
        event(
            EventType.DOSSIER_SUPPLEMENT_REQUESTED,
            at(23, 9),
            2,
            clock_json(None),
            phase="processing",
            reason="Thiếu giấy tờ",
        ),
    )
    moved = apply(waiting, rescheduled(3, clock_json(None, rescheduled=True), at(29, 9)))
    assert moved.rescheduled
    assert moved.due_at is None
    assert moved.next_check(POLICY) is None
    assert moved.due_alerts(at(30, 9), POLICY) == []


def test_completing_late_resolves_late_and_early_does_not() -> None:
    clock = received(at(24, 9))
    done = clock_json(at(24, 9), closed=True)
    closed, alerts = apply_event(
        clock,
        event(EventType.DOSSIER_COMPLETED, at(25, 9), 2, done, outcome="granted", late=True),
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
        event(EventType.DOSSIER_COMPLETED, at(23, 9), 2, done, outcome="granted", late=False),
        POLICY,
    )
    assert none == []
    assert on_time is not None
    assert on_time.next_check(POLICY) is None


def test_redelivered_events_change_nothing() -> None:
    clock = received(at(24, 9))
    paused = event(EventType.DOSSIER_PAUSED, at(22, 9), 2, clock_json(None), reason_code="other")
    once = apply(clock, paused)
    assert apply(once, paused) == once
    assert once.due_at is None
    stale = event(EventType.DOSSIER_RESUMED, at(22, 10), 1, clock_json(at(28, 9)))
    assert apply(once, stale) == once


def test_an_event_type_without_a_case_is_an_error_not_a_no_op() -> None:
    clock = received(at(24, 9))
    foreign = {
        "type": EventType.DEADLINE_OVERDUE.value,
        "time": format_instant(at(24, 10)),
        "data": {**REF, "sequence": 2, "clock": clock_json(at(24, 9))},
    }
    with pytest.raises(UnknownEvent):
        apply_event(clock, foreign, POLICY)


def test_alert_kinds_map_to_their_event_types_and_nothing_else() -> None:
    for kind in AlertKind:
        assert AlertKind.of_event_type(kind.event_type.value) is kind
    with pytest.raises(ValueError, match="not a deadline alert"):
        AlertKind.of_event_type(EventType.DOSSIER_RECEIVED.value)
    with pytest.raises(ValueError, match="settled by the completion"):
        POLICY.became_due(AlertKind.RESOLVED_LATE, at(24, 9))


def test_national_portal_view_subtracts_supplement_waiting_and_flags_repeat_requests() -> None:
    clock = received(at(24, 9))
    waited = DossierClock(**{**clock.__dict__, "supplement_waiting": timedelta(hours=16)})
    assert not waited.portal_late(at(25, 9), POLICY.calendar)
    twice = DossierClock(**{**clock.__dict__, "supplement_requests": 2})
    assert twice.portal_late(at(22, 9), POLICY.calendar)


def test_a_dossier_closed_in_history_is_neither_tracked_nor_alerted() -> None:
    closed = History.CLOSED
    receipt = event(
        EventType.DOSSIER_RECEIVED, at(21, 9), 1, clock_json(at(24, 9)), closed, **RECEIPT
    )
    assert apply_event(None, receipt, POLICY) == (None, [])
    done = clock_json(at(24, 9), closed=True)
    late = event(
        EventType.DOSSIER_COMPLETED, at(28, 9), 2, done, closed, outcome="granted", late=True
    )
    # Even over a clock it somehow has (a dossier of today's work given a history mark),
    # history settles nothing: no resolved-late alert, the clock as it was.
    clock = received(at(24, 9))
    assert apply_event(clock, late, POLICY) == (clock, [])
    assert apply_event(None, late, POLICY) == (None, [])


def test_a_dossier_open_in_history_is_tracked_from_its_arrival_and_alerted_at_once() -> None:
    receipt = event(
        EventType.DOSSIER_RECEIVED, at(21, 9), 1, clock_json(at(24, 9)), History.OPEN, **RECEIPT
    )
    clock, settled = apply_event(None, receipt, POLICY)
    assert settled == []
    assert clock is not None
    assert clock.imported
    assert clock.running
    # Long past its due date when it arrives: both alerts are due at the first check.
    kinds = [alert.kind for alert in clock.due_alerts(at(5, 9, month=6), POLICY)]
    assert kinds == [AlertKind.DUE_SOON, AlertKind.OVERDUE]
    assert not received(at(24, 9)).imported
