"""Intake's clock on real dates of the Vietnamese calendar: start, stop, resume, restart,
reschedule, for each unit of processing time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from motcua.calendar import default_calendar
from motcua.dossier import ProcessingTime, TimeUnit
from services.intake.dossier import clock
from tests.calendar.test_properties import amounts, instants

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = default_calendar()
CUTOFF = time(15)


def vn(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def started(at: str, amount: int, unit: TimeUnit, *, paper: bool = True) -> clock.Clock:
    return clock.start(
        CAL, vn(at), paper=paper, processing_time=ProcessingTime(amount, unit), cutoff=CUTOFF
    )


@pytest.mark.parametrize(
    ("received", "amount", "unit", "paper", "due"),
    [
        # Monday 21/4/2025, 7 working days: Saturday 26/4 was a make-up working day (for
        # Friday 2/5 off), so the seventh working day is Tuesday 29/4.
        ("2025-04-21 09:30", 7, "working_days", True, "2025-04-29 09:30"),
        # Paper after the 15:00 cut-off starts the next working day; online does not.
        ("2025-04-21 15:30", 1, "working_days", True, "2025-04-22 17:00"),
        ("2025-04-21 15:30", 1, "working_days", False, "2025-04-22 15:30"),
        # Four working hours from 10:00 skip the lunch break.
        ("2025-04-21 10:00", 4, "working_hours", True, "2025-04-21 15:00"),
        # Ten calendar days from 21/4 end on 1/5, a holiday; 2/5 was given off, then the
        # weekend: the period ends at the close of Monday 5/5 (Bộ luật Dân sự Điều 148).
        ("2025-04-21 09:30", 10, "calendar_days", True, "2025-05-05 17:00"),
        # A receipt on the make-up Saturday starts at once.
        ("2025-04-26 09:00", 1, "working_days", True, "2025-04-28 09:00"),
    ],
)
def test_start(received: str, amount: int, unit: TimeUnit, paper: bool, due: str) -> None:
    assert started(received, amount, unit, paper=paper).due_at == vn(due)


@pytest.mark.parametrize(
    ("amount", "unit", "paused", "resumed", "due"),
    [
        # 23.5 working hours were left on Friday 25/4 10:00 (the make-up Saturday counts);
        # from Wednesday 7/5 09:00 they run out on Monday 12/5 08:30.
        (7, "working_days", "2025-04-25 10:00", "2025-05-07 09:00", "2025-05-12 08:30"),
        # Paused 2.5 working hours late: it is as late after resuming.
        (7, "working_days", "2025-04-29 13:00", "2025-05-12 09:00", "2025-05-09 15:30"),
        # Calendar days: ten whole days were left on 25/4; from Wednesday 14/5 they end on
        # Saturday 24/5, so at the close of Monday 26/5 (Bộ luật Dân sự Điều 148 khoản 5).
        # Wall-clock arithmetic gave Saturday 24/5 16:00.
        (10, "calendar_days", "2025-04-25 10:00", "2025-05-14 09:00", "2025-05-26 17:00"),
        # Paused two days after the end: it resumes two days late.
        (10, "calendar_days", "2025-05-07 10:00", "2025-05-12 09:00", "2025-05-10 17:00"),
    ],
)
def test_pause_then_resume(
    amount: int, unit: TimeUnit, paused: str, resumed: str, due: str
) -> None:
    running = started("2025-04-21 09:30", amount, unit)
    stopped = clock.stop(CAL, running, vn(paused), unit=unit)
    assert not stopped.running
    assert stopped.due_at == running.due_at  # the appointment in force is kept while stopped
    again = clock.resume(CAL, stopped, vn(resumed), unit=unit)
    assert again.running
    assert again.due_at == vn(due)


def test_a_supplement_stops_the_clock_and_the_complete_dossier_restarts_it_from_zero() -> None:
    running = started("2025-04-21 09:30", 7, "working_days")
    waiting = clock.await_supplement(running, vn("2025-04-23 10:00"))
    assert not waiting.running
    assert waiting.remaining is None
    with pytest.raises(ValueError, match="not paused"):
        clock.resume(CAL, waiting, vn("2025-05-05 09:00"), unit="working_days")
    back = clock.restart(
        CAL,
        waiting,
        vn("2025-05-05 16:00"),  # paper after the cut-off: counted from the next morning
        paper=True,
        processing_time=ProcessingTime(7, "working_days"),
        cutoff=CUTOFF,
        not_before=None,
    )
    assert back.started_at == vn("2025-05-06 08:00")
    assert back.due_at == vn("2025-05-14 17:00")


def test_a_restart_never_comes_before_the_apology_letters_date() -> None:
    waiting = clock.await_supplement(
        started("2025-04-21 09:30", 7, "working_days"), vn("2025-04-23 10:00")
    )
    promised = vn("2025-06-02 17:00")
    back = clock.restart(
        CAL,
        waiting,
        vn("2025-04-24 09:00"),
        paper=True,
        processing_time=ProcessingTime(7, "working_days"),
        cutoff=CUTOFF,
        not_before=promised,
    )
    assert back.due_at == promised


def test_a_reschedule_moves_a_running_clock_and_recounts_a_paused_ones_time_left() -> None:
    running = started("2025-04-21 09:30", 7, "working_days")
    new_due = vn("2025-05-12 17:00")
    assert clock.reschedule(CAL, running, new_due, unit="working_days").due_at == new_due
    paused = clock.stop(CAL, running, vn("2025-05-05 09:30"), unit="working_days")
    moved = clock.reschedule(CAL, paused, new_due, unit="working_days")
    assert not moved.running
    assert moved.remaining == CAL.working_time_between(vn("2025-05-05 09:30"), new_due)
    resumed = clock.resume(CAL, moved, vn("2025-05-07 08:00"), unit="working_days")
    assert resumed.due_at == CAL.add_working_time(vn("2025-05-07 08:00"), moved.remaining)
    waiting = clock.await_supplement(running, vn("2025-05-05 09:30"))
    kept = clock.reschedule(CAL, waiting, new_due, unit="working_days")
    assert kept.due_at == new_due
    assert kept.remaining is None  # the supplement still restarts the time from zero


def test_a_calendar_day_pause_keeps_whole_days() -> None:
    running = started("2025-04-21 09:30", 10, "calendar_days")
    paused = clock.stop(CAL, running, vn("2025-04-25 16:59"), unit="calendar_days")
    assert paused.remaining == timedelta(days=10)  # to 5/5, whatever the hour


@settings(max_examples=300, deadline=None)
@given(
    start=instants,
    amount=amounts,
    pause_after=amounts,
    pause_length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_a_pause_never_brings_the_due_date_in_and_costs_no_processing_time(
    start: datetime, amount: timedelta, pause_after: timedelta, pause_length: timedelta
) -> None:
    running = clock.Clock(start, CAL.add_working_time(start, amount))
    paused_at = CAL.add_working_time(start, pause_after)
    assume(paused_at <= running.due_at)
    resumed_at = paused_at + pause_length
    paused = clock.stop(CAL, running, paused_at, unit="working_hours")
    resumed = clock.resume(CAL, paused, resumed_at, unit="working_hours")
    assert resumed.due_at >= running.due_at
    # The time the clock ran is exactly the legal time, the pause excluded.
    ran = CAL.working_time_between(start, resumed.due_at, [(paused_at, resumed_at)])
    assert ran == amount
