"""When a result came, against its appointment: the legal view and the portal's.

- **Legal view** (Nghị định 61 Điều 19): the appointment in force (moved once by an
  apology letter, restarted by a supplement received) is the one intake keeps on every
  event. Late is ``motcua.dossier.finished_late``, the platform's one definition; early
  is a result on a working day before the appointment's day (in Vietnam's time), and on
  time is the appointment's own day up to the appointment.
- **Portal view** (the national portal's real-time scoring): the supplement's waiting is
  subtracted rather than restarting the clock, so the appointment compared with is the
  one the caller computed that way; and a dossier asked for a supplement more than once
  is late whatever the dates.
- **Apology compliance**: late dossiers whose letter went out by the legal apology
  deadline, over late dossiers — no anchor system reports it.
- **Apology compliance on delivery**: late dossiers whose letter *reached the citizen* in
  time, over late dossiers: a notice of the letter was sent (or the printed letter posted)
  by the apology deadline and has not failed since.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from motcua.delivery import DeliveryState
from motcua.dossier import LOCAL_ZONE, finished_late
from services.reporting.formulas._rates import share


class Finish(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


def legal_finish(*, due_at: datetime, finished_at: datetime) -> Finish:
    """Early, on time or late against the appointment in force."""
    if finished_late(due_at=due_at, finished_at=finished_at):
        return Finish.LATE
    if finished_at.astimezone(LOCAL_ZONE).date() < due_at.astimezone(LOCAL_ZONE).date():
        return Finish.EARLY
    return Finish.ON_TIME


def portal_finish(
    *, portal_due_at: datetime, finished_at: datetime, supplement_requests: int
) -> Finish:
    """The portal's view: ``portal_due_at`` has the supplement's waiting subtracted, and
    more than one supplement request is late."""
    if supplement_requests < 0:
        msg = "a count of supplement requests cannot be negative"
        raise ValueError(msg)
    if supplement_requests > 1:
        return Finish.LATE
    return legal_finish(due_at=portal_due_at, finished_at=finished_at)


def apology_compliance(letters_in_time: int, late: int) -> Decimal | None:
    """Late dossiers whose apology letter went out by its deadline, over late dossiers;
    None while nothing is late."""
    return share(letters_in_time, late)


REACHING_STATES = frozenset({DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.POSTED})
"""A notice in one of these states is on its way or there; a failed one (for now or for
good) is not, whenever it was sent."""


def notice_reached_in_time(
    *, state: DeliveryState, sent_at: datetime | None, apology_deadline: datetime
) -> bool:
    """Whether one notice of a letter counts as the letter reaching the citizen in time:
    accepted by its provider (or posted) no later than the apology deadline, and not failed
    since. A permanent failure is what sends the letter on to the next channel, whose own
    notice then decides."""
    return state in REACHING_STATES and sent_at is not None and sent_at <= apology_deadline


def apology_delivery_compliance(reached_in_time: int, late: int) -> Decimal | None:
    """Late dossiers whose apology letter reached the citizen by its deadline, over late
    dossiers; None while nothing is late."""
    return share(reached_in_time, late)
