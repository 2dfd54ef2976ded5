"""Properties every deadline must keep, over arbitrary instants in 2024–2027.

Instants come in several zones (the calendar converts) with microsecond precision, and
amounts run up to 60 working days, the longest legal time the police handle.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from motcua.calendar import default_calendar
from tests.calendar._dates import VN

CAL = default_calendar()
DAY = CAL.hours.day_length
ZERO = timedelta(0)

instants = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([VN, UTC, ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")]),
    allow_imaginary=False,
)
amounts = st.timedeltas(min_value=ZERO, max_value=60 * DAY)
whole_days = st.integers(min_value=0, max_value=60)
spans = st.tuples(instants, st.timedeltas(min_value=ZERO, max_value=timedelta(days=30)))


def _in_order(first: datetime, second: datetime) -> tuple[datetime, datetime]:
    # By the instant, not the wall clock: two datetimes sharing a zone compare as wall
    # clocks, which misorders the repeated hour when daylight saving time ends.
    early, late = sorted((first, second), key=lambda moment: moment.astimezone(UTC))
    return early, late


def _working_instant(raw: datetime, offset: timedelta) -> datetime:
    """An instant at which the clock runs, read as a deadline: inside a span or at its end."""
    return CAL.add_working_time(CAL.next_working_moment(raw), offset)


@settings(max_examples=300, deadline=None)
@given(first=instants, second=instants, amount=amounts)
def test_a_later_start_never_gives_an_earlier_deadline(
    first: datetime, second: datetime, amount: timedelta
) -> None:
    early, late = _in_order(first, second)
    assert CAL.add_working_time(early, amount) <= CAL.add_working_time(late, amount)
    assert CAL.subtract_working_time(early, amount) <= CAL.subtract_working_time(late, amount)
    assert CAL.clock_start(early, paper=True) <= CAL.clock_start(late, paper=True)


@settings(max_examples=300, deadline=None)
@given(start=instants, first=amounts, second=amounts)
def test_a_longer_time_never_gives_an_earlier_deadline(
    start: datetime, first: timedelta, second: timedelta
) -> None:
    short, long = sorted((first, second))
    assert CAL.add_working_time(start, short) <= CAL.add_working_time(start, long)
    assert CAL.subtract_working_time(start, short) >= CAL.subtract_working_time(start, long)


@settings(max_examples=200, deadline=None)
@given(first=instants, second=instants, days=st.integers(min_value=0, max_value=90))
def test_calendar_day_deadlines_are_monotonic_and_end_on_a_working_day(
    first: datetime, second: datetime, days: int
) -> None:
    early, late = _in_order(first, second)
    due = CAL.add_calendar_days(early, days)
    assert due <= CAL.add_calendar_days(late, days)
    assert CAL.is_working_day(due.date())
    assert due.time() == CAL.hours.closes
    assert due.tzinfo == VN
    assert due.date() >= (early.astimezone(VN) + timedelta(days=days)).date()


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=amounts)
def test_adding_then_measuring_round_trips(start: datetime, amount: timedelta) -> None:
    due = CAL.add_working_time(start, amount)
    assert due >= start
    assert CAL.working_time_between(start, due) == amount
    assert CAL.working_time_between(CAL.next_working_moment(start), due) == amount


@settings(max_examples=300, deadline=None)
@given(start=instants, days=whole_days)
def test_working_days_and_hours_are_working_time(start: datetime, days: int) -> None:
    due = CAL.add_working_days(start, days)
    assert due == CAL.add_working_time(start, days * DAY)
    assert due == CAL.add_working_hours(start, days * 8)
    assert due == CAL.due_at(start, days, "working_days")


@settings(max_examples=300, deadline=None)
@given(raw=instants, offset=st.timedeltas(min_value=timedelta(microseconds=1), max_value=DAY))
def test_results_are_working_instants_in_the_calendars_zone(
    raw: datetime, offset: timedelta
) -> None:
    started = CAL.next_working_moment(raw)
    assert started >= raw
    assert started.tzinfo == VN
    assert CAL.is_working_day(started.date())
    assert CAL.next_working_moment(started) == started  # already working time
    due = CAL.add_working_time(started, offset)
    assert CAL.is_working_day(due.date())
    assert CAL.hours.opens < due.time() <= CAL.hours.closes


@settings(max_examples=300, deadline=None)
@given(raw=instants, offset=amounts, amount=amounts)
def test_subtract_is_the_inverse_of_add_on_working_instants(
    raw: datetime, offset: timedelta, amount: timedelta
) -> None:
    assume(offset > ZERO)
    moment = _working_instant(raw, offset)
    assert CAL.subtract_working_time(CAL.add_working_time(moment, amount), amount) == moment
    if amount > ZERO:  # adding zero normalises forwards: 17:00 would become 08:00
        assert CAL.add_working_time(CAL.subtract_working_time(moment, amount), amount) == moment


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=amounts)
def test_subtract_undoes_add_up_to_equal_working_time(start: datetime, amount: timedelta) -> None:
    # From any start, add then subtract lands on the same working position: perhaps the
    # other face of a boundary (Friday 17:00 for Monday 08:00), never anything later.
    back = CAL.subtract_working_time(CAL.add_working_time(start, amount), amount)
    assert CAL.working_time_between(back, start) == ZERO
    assert CAL.working_time_between(start, back) == ZERO


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=amounts, pauses=st.lists(spans, max_size=4))
def test_pauses_never_add_working_time(
    start: datetime, amount: timedelta, pauses: list[tuple[datetime, timedelta]]
) -> None:
    end = CAL.add_working_time(start, amount)
    paused = [(at, at + length) for at, length in pauses]
    with_pauses = CAL.working_time_between(start, end, paused)
    assert ZERO <= with_pauses <= CAL.working_time_between(start, end)
    # Pausing the same span twice is pausing it once.
    assert CAL.working_time_between(start, end, paused + paused) == with_pauses
    # Splitting the interval at a pause's edge does not change the total.
    if paused:
        cut = min(max(paused[0][0], start), end)
        assert (
            CAL.working_time_between(start, cut, paused)
            + CAL.working_time_between(cut, end, paused)
            == with_pauses
        )


@settings(max_examples=200, deadline=None)
@given(raw=instants, offset=amounts, days=st.integers(min_value=0, max_value=5))
def test_the_apology_deadline_is_whole_working_days_before_the_due_date(
    raw: datetime, offset: timedelta, days: int
) -> None:
    assume(offset > ZERO)
    due = _working_instant(raw, offset)
    deadline = CAL.apology_deadline(due, days_before=days)
    assert deadline <= due
    assert CAL.working_time_between(deadline, due) == days * DAY
    if days:
        assert deadline.date() < due.date()
