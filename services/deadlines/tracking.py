"""A dossier's deadline, followed from its lifecycle events. Pure: no Kafka, no clock reads.

- The due date comes from intake's events (receipt, supplement restart, resume); while a
  supplement is awaited or the dossier is paused the clock is stopped and nothing is due.
- **Due soon** fires when the legal apology deadline arrives (one working day before the
  due date by default, Nghị định 61/2018 Điều 19 khoản 9), **overdue** at the due instant,
  **resolved late** when the result comes after it.
- The apology letter's new appointment date replaces the due date **once**; a dossier that
  misses the new date too is overdue again (escalated), never rescheduled a second time.
- Each alert has an id derived from (dossier, kind, episode), so an alert re-sent after a
  crash is the same alert, and consumers count it once.
- The national portal's view (supplement waiting time subtracted, more than one supplement
  request counted late) is kept beside the legal one for reporting.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from motcua.calendar import WorkingCalendar
from motcua.contracts import EventType, parse_instant

ALERT_NAMESPACE = uuid.UUID("5b7f5a52-7e0a-4a8e-9a55-6d6f74637561")


class AlertKind(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    RESOLVED_LATE = "resolved_late"


ALERTED_IN_ADVANCE = (AlertKind.DUE_SOON, AlertKind.OVERDUE)  # the timer's; not resolved late


@dataclass(frozen=True)
class DeadlinePolicy:
    """The configurable parts of the apology rules (DOMAIN.md: unconfirmed under ND 118/2025)."""

    calendar: WorkingCalendar
    due_soon_working_days: int = 1
    reschedule_once: bool = True

    def became_due(self, kind: AlertKind, due_at: datetime) -> datetime:
        """The instant an alert of ``kind`` is due for a dossier due at ``due_at``."""
        if kind is AlertKind.DUE_SOON:
            return self.calendar.apology_deadline(due_at, self.due_soon_working_days)
        return due_at


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
        assert self.due_at is not None or not self.running
        return [
            Alert(kind, self.dossier_id, self.episode, self.due_at, rescheduled=self.rescheduled)
            for kind, at in self._alert_times(policy)
            if at <= now and self.due_at is not None
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
    """A changed due date starts a new lateness episode once an alert has gone out."""
    already = any(marker.endswith(f":{clock.episode}") for marker in clock.emitted)
    return clock.episode + 1 if already else clock.episode


def apply_event(
    clock: DossierClock | None, event: Mapping[str, Any], policy: DeadlinePolicy
) -> tuple[DossierClock | None, list[Alert]]:
    """The clock after one dossier event, and any alert the event itself settles.

    Redelivered or stale events (a sequence already seen) change nothing.
    """
    kind, data = EventType(event["type"]), event["data"]
    at = parse_instant(event["time"])
    if kind is EventType.DOSSIER_RECEIVED:
        if clock is not None:
            return clock, []
        due = parse_instant(data["due_at"])
        return (
            DossierClock(
                dossier_id=data["dossier_id"],
                dossier_code=data["dossier_code"],
                unit_code=data["unit_code"],
                unit_path=tuple(data["unit_path"]),
                procedure_code=data["procedure_code"],
                due_at=due,
                original_due_at=due,
                last_sequence=int(data["sequence"]),
            ),
            [],
        )
    if clock is None or int(data.get("sequence", 0)) <= clock.last_sequence:
        return clock, []
    clock = replace(clock, last_sequence=int(data["sequence"]))
    if kind is EventType.DOSSIER_ASSIGNED and data["kind"] == "transfer":
        return replace(
            clock, unit_code=data["to_unit_code"], unit_path=tuple(data["to_unit_path"])
        ), []
    if kind is EventType.DOSSIER_SUPPLEMENT_REQUESTED:
        return replace(
            clock,
            due_at=None,
            supplement_since=at,
            supplement_requests=clock.supplement_requests + 1,
        ), []
    if kind is EventType.DOSSIER_SUPPLEMENT_RECEIVED:
        waited = clock.supplement_waiting
        if clock.supplement_since is not None:
            waited += policy.calendar.working_time_between(clock.supplement_since, at)
        return replace(
            clock,
            due_at=parse_instant(data["due_at"]),
            episode=_new_episode(clock),
            supplement_since=None,
            supplement_waiting=waited,
        ), []
    if kind is EventType.DOSSIER_PAUSED:
        return replace(clock, due_at=None), []
    if kind is EventType.DOSSIER_RESUMED:
        return replace(clock, due_at=parse_instant(data["due_at"])), []
    if kind is EventType.DOSSIER_COMPLETED:
        due = parse_instant(data["due_at"])
        closed = replace(clock, open=False, due_at=due)
        if at <= due:
            return closed, []
        late = policy.calendar.working_time_between(due, at) / policy.calendar.hours.day_length
        alert = Alert(
            AlertKind.RESOLVED_LATE,
            clock.dossier_id,
            clock.episode,
            due,
            rescheduled=clock.rescheduled,
            completed_at=at,
            late_working_days=round(late, 2),
            portal_late=clock.portal_late(at, policy.calendar),
        )
        return closed.mark(alert), [alert]
    if kind in (EventType.DOSSIER_REJECTED, EventType.DOSSIER_WITHDRAWN):
        return replace(clock, open=False), []
    return clock, []


def reschedule(clock: DossierClock, new_due_at: datetime, policy: DeadlinePolicy) -> DossierClock:
    """Apply the apology letter's new appointment date: once only, a later one is ignored."""
    if not clock.open or (clock.rescheduled and policy.reschedule_once):
        return clock
    return replace(clock, due_at=new_due_at, rescheduled=True, episode=clock.episode + 1)
