"""The facts reporting keeps, one per dossier, letter, invitation, rating and follow-up,
and how each event changes them. Pure: no I/O, so a replay reproduces them exactly.

Events of one dossier arrive in order on its partition, so a dossier's fact takes an
event only when the event's sequence is newer than the last one applied; a redelivered or
replayed event changes nothing. The other facts are keyed by what makes them one (the
letter's episode, the rating's id), so applying one twice stores it once.

Where a fact's instant comes from (the periods a figure counts it in):
- received: ``received_at`` of ``dossier.received`` (the receipt);
- finished: the time of ``dossier.completed`` (the result produced);
- returned, rejected, withdrawn: the time of their event;
- a letter: ``issued_at``; an invitation, a rating, a follow-up: their event's time.

A letter's notice (one message to the citizen on one channel) keeps its latest state: a
final one (delivered, failed for good, posted) never changes, and an event older than the
state kept changes nothing, so a redelivered or replayed event is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from motcua.calendar import WorkingCalendar
from motcua.contracts import Criterion, EventType, parse_instant
from motcua.delivery import FINAL_STATES, DeliveryState
from motcua.dossier import ClockState
from services.reporting.formulas.timeliness import (
    REACHING_STATES,
    Finish,
    legal_finish,
    notice_reached_in_time,
    portal_finish,
)


class DossierState:
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    PAUSED = "paused"
    FINISHED = "finished"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class DossierFact:
    dossier_id: str
    dossier_code: str
    unit_code: str
    unit_path: tuple[str, ...]
    procedure_code: str
    channel: str
    online_level: str | None
    received_at: datetime
    receipt_due_at: datetime
    """The appointment on the receipt: the portal's view counts from it."""
    due_at: datetime | None
    state: str
    last_sequence: int
    rescheduled: bool = False
    finished_at: datetime | None = None
    outcome: str | None = None
    legal_finish: Finish | None = None
    portal_finish: Finish | None = None
    supplement_requests: int = 0
    supplement_since: datetime | None = None
    supplement_waiting: timedelta = timedelta(0)
    returned_at: datetime | None = None
    returned_channel: str | None = None
    ended_at: datetime | None = None
    handler_ref: str | None = None
    """The officer the dossier was last assigned to (an opaque reference, no name)."""


def _received(data: Mapping[str, Any]) -> DossierFact:
    state = ClockState.from_json(data["clock"])
    return DossierFact(
        dossier_id=data["dossier_id"],
        dossier_code=data["dossier_code"],
        unit_code=data["unit_code"],
        unit_path=tuple(data["unit_path"]),
        procedure_code=data["procedure_code"],
        channel=data["channel"],
        online_level=data.get("online_level"),
        received_at=parse_instant(data["received_at"]),
        receipt_due_at=state.original_due_at,
        due_at=state.due_at,
        state=DossierState.IN_PROGRESS,
        last_sequence=int(data["sequence"]),
    )


@dataclass(frozen=True)
class _Step:
    """One lifecycle event as a dossier's fact reads it."""

    data: Mapping[str, Any]
    at: datetime
    clock: ClockState
    calendar: WorkingCalendar


def _assigned(fact: DossierFact, step: _Step) -> DossierFact:
    fact = replace(fact, handler_ref=step.data.get("handler_ref") or fact.handler_ref)
    if step.data["kind"] == "transfer":
        return replace(
            fact, unit_code=step.data["to_unit_code"], unit_path=tuple(step.data["to_unit_path"])
        )
    return fact


def _supplement_requested(fact: DossierFact, step: _Step) -> DossierFact:
    return replace(
        fact,
        state=DossierState.AWAITING_SUPPLEMENT,
        supplement_requests=fact.supplement_requests + 1,
        supplement_since=step.at,
    )


def _supplement_received(fact: DossierFact, step: _Step) -> DossierFact:
    waited = fact.supplement_waiting
    if fact.supplement_since is not None:
        waited += step.calendar.working_time_between(fact.supplement_since, step.at)
    return replace(
        fact, state=DossierState.IN_PROGRESS, supplement_since=None, supplement_waiting=waited
    )


def _completed(fact: DossierFact, step: _Step) -> DossierFact:
    return _finished(fact, step.clock, step.at, step.data["outcome"], step.calendar)


_LIFECYCLE: Mapping[EventType, Callable[[DossierFact, _Step], DossierFact]] = {
    EventType.DOSSIER_ASSIGNED: _assigned,
    EventType.DOSSIER_SUPPLEMENT_REQUESTED: _supplement_requested,
    EventType.DOSSIER_SUPPLEMENT_RECEIVED: _supplement_received,
    EventType.DOSSIER_PAUSED: lambda fact, _: replace(fact, state=DossierState.PAUSED),
    EventType.DOSSIER_RESUMED: lambda fact, _: replace(fact, state=DossierState.IN_PROGRESS),
    EventType.DOSSIER_RESCHEDULED: lambda fact, _: fact,
    EventType.DOSSIER_COMPLETED: _completed,
    EventType.DOSSIER_RETURNED: lambda fact, step: replace(
        fact, returned_at=step.at, returned_channel=step.data["channel"]
    ),
    EventType.DOSSIER_REJECTED: lambda fact, step: replace(
        fact, state=DossierState.REJECTED, ended_at=step.at
    ),
    EventType.DOSSIER_WITHDRAWN: lambda fact, step: replace(
        fact, state=DossierState.WITHDRAWN, ended_at=step.at
    ),
}
"""What each lifecycle event after the receipt does to the dossier's fact (its sequence,
appointment and reschedule flag are taken from every one)."""


def apply_dossier_event(
    fact: DossierFact | None, event: Mapping[str, Any], calendar: WorkingCalendar
) -> DossierFact | None:
    """The dossier's fact after ``event``; the same fact when the event is not newer.

    An event for a dossier never received here (its receipt expired from the topic before
    a rebuild) leaves nothing: the dossier is not counted rather than counted half.
    """
    kind, data = EventType(event["type"]), event["data"]
    if kind is EventType.DOSSIER_RECEIVED:
        return fact if fact is not None else _received(data)
    sequence = int(data["sequence"])
    if fact is None or sequence <= fact.last_sequence:
        return fact
    at = parse_instant(event["time"])
    clock = ClockState.from_json(data["clock"])
    fact = replace(fact, last_sequence=sequence, due_at=clock.due_at, rescheduled=clock.rescheduled)
    transition = _LIFECYCLE.get(kind)
    if transition is None:
        msg = f"{kind} is not a dossier lifecycle event"
        raise ValueError(msg)
    return transition(fact, _Step(data, at, clock, calendar))


@dataclass(frozen=True)
class DossierStep:
    """One lifecycle event a dossier's fact took: a step of its timeline."""

    dossier_id: str
    sequence: int
    step: str
    at: datetime
    detail: str | None


_STEP_DETAIL = ("handler_ref", "channel", "outcome", "reason_code")
"""What a step shows beside it, the first of these its event has."""


def dossier_step(event: Mapping[str, Any]) -> DossierStep:
    """The timeline's step for a dossier event the fact took (its receipt at the receipt)."""
    data = event["data"]
    kind = EventType(event["type"])
    at = data["received_at"] if kind is EventType.DOSSIER_RECEIVED else event["time"]
    return DossierStep(
        dossier_id=data["dossier_id"],
        sequence=int(data["sequence"]),
        step=kind.name.removeprefix("DOSSIER_").lower(),
        at=parse_instant(at),
        detail=next((str(data[k]) for k in _STEP_DETAIL if data.get(k)), None),
    )


def _finished(
    fact: DossierFact, clock: ClockState, at: datetime, outcome: str, calendar: WorkingCalendar
) -> DossierFact:
    due = clock.due_at or fact.due_at or fact.receipt_due_at
    portal_due = calendar.add_working_time(fact.receipt_due_at, fact.supplement_waiting)
    return replace(
        fact,
        state=DossierState.FINISHED,
        finished_at=at,
        outcome=outcome,
        legal_finish=legal_finish(due_at=due, finished_at=at),
        portal_finish=portal_finish(
            portal_due_at=portal_due,
            finished_at=at,
            supplement_requests=fact.supplement_requests,
        ),
    )


@dataclass(frozen=True)
class ApologyFact:
    dossier_id: str
    episode: int
    unit_path: tuple[str, ...]
    procedure_code: str
    letter_number: str
    issued_at: datetime
    original_due_at: datetime
    apology_deadline: datetime

    @property
    def in_time(self) -> bool:
        return self.issued_at <= self.apology_deadline


def apology_fact(event: Mapping[str, Any], calendar: WorkingCalendar) -> ApologyFact:
    """A letter; its deadline is one working day before the appointment it moved."""
    data = event["data"]
    original_due_at = parse_instant(data["original_due_at"])
    return ApologyFact(
        dossier_id=data["dossier_id"],
        episode=int(data["episode"]),
        unit_path=tuple(data["unit_path"]),
        procedure_code=data["procedure_code"],
        letter_number=data["letter_number"],
        issued_at=parse_instant(data["issued_at"]),
        original_due_at=original_due_at,
        apology_deadline=calendar.apology_deadline(original_due_at),
    )


@dataclass(frozen=True)
class NoticeFact:
    """One notice of an apology letter version, as its latest event left it."""

    dossier_id: str
    episode: int
    letter_version: int
    message_id: str
    channel: str
    state: DeliveryState
    reason: str | None
    sent_at: datetime | None
    """When its provider accepted it (or the letter was posted); None while never."""
    apology_deadline: datetime
    occurred_at: datetime

    @property
    def key(self) -> tuple[str, int, int, str]:
        return (self.dossier_id, self.episode, self.letter_version, self.message_id)

    @property
    def reached_in_time(self) -> bool:
        return notice_reached_in_time(
            state=self.state, sent_at=self.sent_at, apology_deadline=self.apology_deadline
        )


def _notice(event: Mapping[str, Any]) -> NoticeFact:
    data = event["data"]
    return NoticeFact(
        dossier_id=data["dossier_id"],
        episode=int(data["episode"]),
        letter_version=int(data["letter_version"]),
        message_id=data["message_id"],
        channel=data["channel"],
        state=DeliveryState(data["state"]),
        reason=data.get("reason"),
        sent_at=parse_instant(data["sent_at"]) if "sent_at" in data else None,
        apology_deadline=parse_instant(data["apology_deadline"]),
        occurred_at=parse_instant(data["occurred_at"]),
    )


def notice_key(event: Mapping[str, Any]) -> tuple[str, int, int, str]:
    """The notice an ``apology.delivery_updated`` event is about."""
    data = event["data"]
    return (
        data["dossier_id"],
        int(data["episode"]),
        int(data["letter_version"]),
        data["message_id"],
    )


def apply_notice_event(current: NoticeFact | None, event: Mapping[str, Any]) -> NoticeFact:
    """The notice after ``event``; ``current`` itself when its state is final or the event
    is older than it.

    The time it was sent is kept once known (a receipt may not repeat it); a notice sent,
    delivered or posted whose events never said when it was sent was sent by then.
    """
    incoming = _notice(event)
    if current is not None and (
        current.state in FINAL_STATES or incoming.occurred_at < current.occurred_at
    ):
        return current
    sent_at = incoming.sent_at or (current.sent_at if current is not None else None)
    if sent_at is None and incoming.state in REACHING_STATES:
        sent_at = incoming.occurred_at
    return replace(incoming, sent_at=sent_at)


@dataclass(frozen=True)
class InvitationFact:
    dossier_id: str
    invitation_id: str
    unit_path: tuple[str, ...]
    procedure_code: str
    invited_at: datetime


def invitation_fact(event: Mapping[str, Any]) -> InvitationFact:
    data = event["data"]
    return InvitationFact(
        dossier_id=data["dossier_id"],
        invitation_id=data["invitation_id"],
        unit_path=tuple(data["unit_path"]),
        procedure_code=data["procedure_code"],
        invited_at=parse_instant(event["time"]),
    )


@dataclass(frozen=True)
class RatingFact:
    rating_id: str
    dossier_id: str
    unit_path: tuple[str, ...]
    procedure_code: str
    channel: str
    staff_present: bool
    valid: bool
    invalid_reason: str | None
    overall: str | None
    scores: tuple[int | None, ...]
    """Points per criterion, criterion 1 first; None where it was not rated."""
    submitted_at: datetime


def rating_fact(event: Mapping[str, Any]) -> RatingFact:
    data = event["data"]
    scores = data.get("scores") or {}
    return RatingFact(
        rating_id=data["rating_id"],
        dossier_id=data["dossier_id"],
        unit_path=tuple(data["unit_path"]),
        procedure_code=data["procedure_code"],
        channel=data["channel"],
        staff_present=bool(data["staff_present"]),
        valid=bool(data["valid"]),
        invalid_reason=data.get("invalid_reason"),
        overall=data.get("overall"),
        scores=tuple(scores.get(criterion) for criterion in Criterion),
        submitted_at=parse_instant(event["time"]),
    )


@dataclass(frozen=True)
class FollowupFact:
    followup_id: str
    dossier_id: str
    unit_path: tuple[str, ...]
    opened_at: datetime
    due_at: datetime
    closed_at: datetime | None = None
    on_time: bool | None = None


def followup_fact(event: Mapping[str, Any]) -> FollowupFact:
    """A follow-up as its event states it; a closed one carries its opening too."""
    data = event["data"]
    closed = event["type"] == EventType.RATING_FOLLOWUP_CLOSED
    return FollowupFact(
        followup_id=data["followup_id"],
        dossier_id=data["dossier_id"],
        unit_path=tuple(data["unit_path"]),
        opened_at=parse_instant(data["opened_at"]),
        due_at=parse_instant(data["due_at"]),
        closed_at=parse_instant(data["closed_at"]) if closed else None,
        on_time=bool(data["on_time"]) if closed else None,
    )
