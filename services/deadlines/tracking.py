"""A dossier's deadline, followed from its lifecycle events. Pure: no Kafka, no clock reads.

- The due date is intake's: every dossier event states the clock (``motcua.dossier.
  ClockState``), and the tracker takes it as it is — running with its appointment, stopped
  (a supplement awaited, a pause that stops it: nothing is due), or closed. It never
  computes a due date itself; what it keeps is its own: alerts, lateness episodes, and the
  national portal's view.
- **Due soon** fires a lead time (one working day by default) *before* the legal apology
  deadline, so the duty officer has time to issue the letter; the apology deadline is one
  working day before the due date (Nghị định 61/2018 Điều 19 khoản 9). **Overdue** fires at
  the due instant, **resolved late** when the result comes after it.
- A restarted clock (supplement received) or a rescheduled appointment (the apology
  letter's new date, which intake applies once) opens a new lateness episode once an alert
  has gone out; a rescheduled dossier that runs late again is escalated, never given a
  second letter.
- Each alert has an id derived from (dossier, kind, episode), so an alert re-sent after a
  crash is the same alert, and consumers count it once.
- The national portal's view (supplement waiting time subtracted, more than one supplement
  request counted late) is kept beside the legal one for reporting.
- History (``motcua.contracts.History``): an event of a dossier that closed long ago in an
  agency's previous software changes nothing — no clock, no alert, no letter; an imported
  dossier still open is tracked like any other from the moment it arrives, so one already
  late is alerted on arrival and owes its apology letter.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, assert_never

from motcua.calendar import WorkingCalendar
from motcua.contracts import EventType, History, history_of, parse_instant
from motcua.dossier import ClockState, is_overdue

ALERT_NAMESPACE = uuid.UUID("5b7f5a52-7e0a-4a8e-9a55-6d6f74637561")


class AlertKind(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    RESOLVED_LATE = "resolved_late"

    @property
    def event_type(self) -> EventType:
        match self:
            case AlertKind.DUE_SOON:
                return EventType.DEADLINE_DUE_SOON
            case AlertKind.OVERDUE:
                return EventType.DEADLINE_OVERDUE
            case AlertKind.RESOLVED_LATE:
                return EventType.DEADLINE_RESOLVED_LATE
            case _:
                assert_never(self)

    @classmethod
    def of_event_type(cls, event_type: str) -> AlertKind:
        """The kind of an alert on the topic; anything else there is an error."""
        for kind in cls:
            if kind.event_type == event_type:
                return kind
        raise ValueError(f"not a deadline alert: {event_type!r}")


ALERTED_IN_ADVANCE = (AlertKind.DUE_SOON, AlertKind.OVERDUE)  # the timer's; not resolved late


class UnknownEvent(ValueError):
    """A dossier event type the tracker has no case for: dead-lettered, never guessed at."""


@dataclass(frozen=True)
class DeadlinePolicy:
    """The apology rules' configurable parts (docs/domain.md: unconfirmed under ND 118/2025)."""

    calendar: WorkingCalendar
    apology_working_days: int = 1
    """The letter is due this many working days before the due date (Điều 19 khoản 9)."""
    due_soon_lead_working_days: int = 1
    """Due soon fires this many working days before the letter is due."""

    def apology_deadline(self, due_at: datetime) -> datetime:
        return self.calendar.apology_deadline(due_at, self.apology_working_days)

    def became_due(self, kind: AlertKind, due_at: datetime) -> datetime:
        """The instant an alert of ``kind`` is due for a dossier due at ``due_at``."""
        match kind:
            case AlertKind.DUE_SOON:
                lead = self.calendar.hours.day_length * self.due_soon_lead_working_days
                return self.calendar.subtract_working_time(self.apology_deadline(due_at), lead)
            case AlertKind.OVERDUE:
                return due_at
            case AlertKind.RESOLVED_LATE:
                raise ValueError("resolved late is settled by the completion, not by a time")
            case _:
                assert_never(kind)


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    dossier_id: str
    episode: int
    due_at: datetime
    rescheduled: bool = False
    completed_at: datetime | None = None
    late_working_days: float | None = None
    portal_late: bool | None = None

    @property
    def event_id(self) -> str:
        return str(uuid.uuid5(ALERT_NAMESPACE, f"{self.dossier_id}:{self.kind}:{self.episode}"))

    @property
    def marker(self) -> str:
        return f"{self.kind}:{self.episode}"


@dataclass(frozen=True)
class DossierClock:
    dossier_id: str
    dossier_code: str
    unit_code: str
    unit_path: tuple[str, ...]
    procedure_code: str
    due_at: datetime | None
    original_due_at: datetime
    episode: int = 1
    rescheduled: bool = False
    open: bool = True
    emitted: frozenset[str] = field(default_factory=frozenset)
    last_sequence: int = 0
    supplement_requests: int = 0
    supplement_since: datetime | None = None
    supplement_waiting: timedelta = timedelta(0)
    imported: bool = False
    """Brought across open by the history importer: its alerts may have fallen due years
    before it arrived, so their lag says nothing about the worker's."""

    @property
    def running(self) -> bool:
        return self.open and self.due_at is not None

    def _alert_times(self, policy: DeadlinePolicy) -> list[tuple[AlertKind, datetime]]:
        if not self.running:
            return []
        assert self.due_at is not None
        candidates = [(k, policy.became_due(k, self.due_at)) for k in ALERTED_IN_ADVANCE]
        return [(k, at) for k, at in candidates if f"{k}:{self.episode}" not in self.emitted]

    def next_check(self, policy: DeadlinePolicy) -> datetime | None:
        """When an alert may next become due: what a timer index needs, nothing more."""
        times = [at for _, at in self._alert_times(policy)]
        return min(times) if times else None

    def due_alerts(self, now: datetime, policy: DeadlinePolicy) -> list[Alert]:
        """Due soon once its moment has come; overdue by the platform's one definition."""
        if self.due_at is None or not self.running:
            return []
        due_at = self.due_at
        return [
            Alert(kind, self.dossier_id, self.episode, due_at, rescheduled=self.rescheduled)
            for kind, at in self._alert_times(policy)
            if (
                is_overdue(running=True, due_at=due_at, now=now)
                if kind is AlertKind.OVERDUE
                else at <= now
            )
        ]

    def mark(self, alert: Alert) -> DossierClock:
        return replace(self, emitted=self.emitted | {alert.marker})

    def portal_late(self, completed_at: datetime, calendar: WorkingCalendar) -> bool:
        """The national portal's view: waiting for supplements does not count, and more
        than one supplement request counts as late whatever the dates."""
        if self.supplement_requests > 1:
            return True
        due = calendar.add_working_time(self.original_due_at, self.supplement_waiting)
        return completed_at > due


def _new_episode(clock: DossierClock) -> int:
    """A restarted or moved clock starts a new lateness episode once an alert has gone out."""
    already = any(marker.endswith(f":{clock.episode}") for marker in clock.emitted)
    return clock.episode + 1 if already else clock.episode


def _received(event: Mapping[str, Any], state: ClockState) -> DossierClock:
    data = event["data"]
    return DossierClock(
        dossier_id=data["dossier_id"],
        dossier_code=data["dossier_code"],
        unit_code=data["unit_code"],
        unit_path=tuple(data["unit_path"]),
        procedure_code=data["procedure_code"],
        due_at=state.due_at,
        original_due_at=state.original_due_at,
        last_sequence=int(data["sequence"]),
        imported=history_of(event) is History.OPEN,
    )


def apply_event(
    clock: DossierClock | None, event: Mapping[str, Any], policy: DeadlinePolicy
) -> tuple[DossierClock | None, list[Alert]]:
    """The clock after one dossier event, and any alert the event itself settles.

    Redelivered or stale events (a sequence already seen) change nothing, nor does any
    event of a dossier closed in history (:func:`is_closed_history`). An event type
    without a case here raises :class:`UnknownEvent`.
    """
    kind, data = EventType(event["type"]), event["data"]
    if is_closed_history(event):
        return clock, []
    state = ClockState.from_json(data["clock"])
    if kind is EventType.DOSSIER_RECEIVED:
        return (clock, []) if clock is not None else (_received(event, state), [])
    if clock is None or int(data["sequence"]) <= clock.last_sequence:
        return clock, []
    clock = replace(clock, last_sequence=int(data["sequence"]))
    clock, settled = _after(clock, kind, event, state, policy)
    clock = replace(
        clock,
        due_at=state.due_at if state.running or state.closed else None,
        rescheduled=state.rescheduled,
        open=not state.closed,
    )
    for alert in settled:
        clock = clock.mark(alert)
    return clock, settled


def is_closed_history(event: Mapping[str, Any]) -> bool:
    """An event the history importer brought across for a dossier that had ended: counted
    by reporting in its own period, acted on by nobody here."""
    return history_of(event) is History.CLOSED


def _after(
    clock: DossierClock,
    kind: EventType,
    event: Mapping[str, Any],
    state: ClockState,
    policy: DeadlinePolicy,
) -> tuple[DossierClock, list[Alert]]:
    """What one kind of event changes beyond the clock state it carries."""
    data, at = event["data"], parse_instant(event["time"])
    settled: list[Alert] = []
    match kind:
        case EventType.DOSSIER_ASSIGNED:
            if data["kind"] == "transfer":
                clock = replace(
                    clock, unit_code=data["to_unit_code"], unit_path=tuple(data["to_unit_path"])
                )
        case EventType.DOSSIER_SUPPLEMENT_REQUESTED:
            clock = replace(
                clock, supplement_since=at, supplement_requests=clock.supplement_requests + 1
            )
        case EventType.DOSSIER_SUPPLEMENT_RECEIVED:
            waited = clock.supplement_waiting
            if clock.supplement_since is not None:
                waited += policy.calendar.working_time_between(clock.supplement_since, at)
            clock = replace(
                clock,
                episode=_new_episode(clock),
                supplement_since=None,
                supplement_waiting=waited,
            )
        case EventType.DOSSIER_RESCHEDULED:
            clock = replace(clock, episode=_new_episode(clock))
        case EventType.DOSSIER_COMPLETED:
            if data["late"]:
                settled.append(_resolved_late(clock, state, at, policy))
        case (
            EventType.DOSSIER_PAUSED
            | EventType.DOSSIER_RESUMED
            | EventType.DOSSIER_RETURNED
            | EventType.DOSSIER_REJECTED
            | EventType.DOSSIER_WITHDRAWN
        ):
            pass  # the clock state below is all they change
        case _:
            raise UnknownEvent(f"no case for {kind}")
    return clock, settled


def _resolved_late(
    clock: DossierClock, state: ClockState, at: datetime, policy: DeadlinePolicy
) -> Alert:
    assert state.due_at is not None  # a closed clock keeps its appointment
    late = policy.calendar.working_time_between(state.due_at, at)
    return Alert(
        AlertKind.RESOLVED_LATE,
        clock.dossier_id,
        clock.episode,
        state.due_at,
        rescheduled=state.rescheduled,
        completed_at=at,
        late_working_days=round(late / policy.calendar.hours.day_length, 2),
        portal_late=clock.portal_late(at, policy.calendar),
    )
