"""What a transition module declares, and what its handler gets and gives back. Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Generic, TypeVar

from motcua.calendar import WorkingCalendar
from motcua.contracts import EventType
from motcua.dossier import ClockState, ProcessingTime
from services.intake.dossier.clock import Clock
from services.intake.dossier.models import TransitionCommand
from services.intake.dossier.state import DossierState, Transition
from services.intake.reference.catalog import UnitInfo


@dataclass(frozen=True)
class Dossier:
    """A dossier as a transition sees it: locked, as it stood before the command."""

    id: str
    code: str
    procedure_code: str
    unit_code: str
    unit_path: tuple[str, ...]
    channel: str
    state: DossierState
    clock: Clock
    original_due_at: datetime
    rescheduled_due_at: datetime | None
    supplement_count: int
    sequence: int
    last_event_at: datetime
    contact_preference: str
    """From the receipt: closing events carry it, so ratings knows how to invite."""

    @property
    def paper(self) -> bool:
        return self.channel != "online"

    @property
    def invitation_fields(self) -> dict[str, str]:
        """What a closing event tells ratings (no contact details): how to invite the
        applicant, and how the dossier arrived (criterion 8 is asked of online ones)."""
        return {"contact_preference": self.contact_preference, "received_channel": self.channel}


@dataclass(frozen=True)
class Situation:
    """Everything a handler may consult; ``find_unit`` is the only lookup it may make."""

    dossier: Dossier
    at: datetime
    calendar: WorkingCalendar
    processing_time: ProcessingTime
    pause_stops_clock: bool
    paper_cutoff: time
    reschedule_once: bool
    find_unit: Callable[[str], UnitInfo | None]


@dataclass(frozen=True)
class Effect:
    """What the transition changes: the clock, the event's own fields, the timeline entry's
    details, and any other dossier column."""

    clock: Clock
    data: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)


CommandT = TypeVar("CommandT", bound=TransitionCommand)


@dataclass(frozen=True)
class TransitionSpec(Generic[CommandT]):
    """One row of the state machine with everything that makes it happen.

    ``target`` ``None`` keeps the state (a reschedule changes only the clock). ``door``
    says who may ask for it: ``upstream`` systems over REST, batch and Kafka, or only the
    platform itself (``apology_letters``: the deadlines service's issued letters).
    """

    transition: Transition
    sources: frozenset[DossierState]
    target: DossierState | None
    event_type: EventType
    command: type[CommandT]
    handle: Callable[[CommandT, Situation], Effect]
    door: str = "upstream"

    def target_from(self, current: DossierState) -> DossierState:
        return self.target or current


def _clock_state(dossier: Dossier, effect: Effect, target: DossierState) -> ClockState:
    """The clock as every event states it, after the transition."""
    rescheduled = effect.changes.get("rescheduled_due_at", dossier.rescheduled_due_at)
    closed = not target.is_open
    running = effect.clock.running and not closed
    return ClockState(
        running=running,
        due_at=effect.clock.due_at if running or closed else None,
        original_due_at=dossier.original_due_at,
        rescheduled=rescheduled is not None,
        closed=closed,
    )


def event_data(dossier: Dossier, effect: Effect, target: DossierState) -> dict[str, Any]:
    """The ``data`` of the transition's event: the dossier as it stood (its unit before a
    transfer, which the event names), the transition's own fields, and the clock after."""
    return {
        "dossier_id": dossier.id,
        "dossier_code": dossier.code,
        "unit_code": dossier.unit_code,
        "unit_path": list(dossier.unit_path),
        "procedure_code": dossier.procedure_code,
        "sequence": dossier.sequence + 1,
        **effect.data,
        "clock": _clock_state(dossier, effect, target).as_json(),
    }


WORKING = frozenset({DossierState.RECEIVED, DossierState.IN_PROGRESS})
OPEN = frozenset(state for state in DossierState if state.is_open)
