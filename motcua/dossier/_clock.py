"""A dossier's clock as intake states it on every event, and the one meaning of "late".

The state is intake's to compute (it applies the law's rules: restart after a supplement,
pause policies, the apology letter's one new date); everyone else reads it:

- ``running``: the processing time is being counted now;
- ``due_at``: the appointment in force, ``None`` while the clock is stopped (a
  supplement awaited, a pause that stops it) — nothing can fall due then;
- ``closed``: the result was produced or the dossier ended; ``due_at`` is then the
  appointment the dossier was judged against;
- ``rescheduled``: the apology letter moved the appointment (it may do so once only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from motcua.calendar import TimeUnit
from motcua.contracts import format_instant, parse_instant
from motcua.dossier._codes import LOCAL_ZONE


@dataclass(frozen=True)
class ProcessingTime:
    """A procedure's legal processing time, e.g. 7 working days."""

    amount: int
    unit: TimeUnit


@dataclass(frozen=True)
class ClockState:
    running: bool
    due_at: datetime | None
    original_due_at: datetime
    rescheduled: bool = False
    closed: bool = False

    def __post_init__(self) -> None:
        if self.running and (self.due_at is None or self.closed):
            raise ValueError("a running clock has a due date and an open dossier")
        if self.closed and self.due_at is None:
            raise ValueError("a closed clock keeps the appointment it was judged against")

    def as_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "due_at": local_instant(self.due_at) if self.due_at else None,
            "original_due_at": local_instant(self.original_due_at),
            "rescheduled": self.rescheduled,
            "closed": self.closed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClockState:
        return cls(
            running=bool(data["running"]),
            due_at=parse_instant(data["due_at"]) if data["due_at"] else None,
            original_due_at=parse_instant(data["original_due_at"]),
            rescheduled=bool(data["rescheduled"]),
            closed=bool(data["closed"]),
        )


def local_instant(moment: datetime) -> str:
    """An instant as the desk reads it: RFC 3339 in Vietnam's time (+07:00)."""
    return format_instant(moment.astimezone(LOCAL_ZONE))


def is_overdue(*, running: bool, due_at: datetime | None, now: datetime) -> bool:
    """An open dossier is overdue when its clock runs past the appointment in force.

    A stopped clock is never overdue (the citizen or another agency has the dossier); a
    pause that keeps the clock running does not stop lateness either.
    """
    return running and due_at is not None and now > due_at


def finished_late(*, due_at: datetime, finished_at: datetime) -> bool:
    """A result produced after the appointment in force was late. At the instant itself
    it is on time: the appointment is "by 17:00", not "before"."""
    return finished_at > due_at
