"""How long an applicant's personal data is kept, per record class. Pure: no I/O.

A dossier's retention runs from the moment it closed (its last event, once it is in a
final state). An open dossier is never past retention; an applicant is anonymised only
when every dossier of theirs is past it (docs/personal-data.md).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.intake.dossier.state import DossierState

RESULT_STATES = frozenset({DossierState.COMPLETED, DossierState.RETURNED})
"""A result was produced or handed over."""
REFUSED_STATES = frozenset({DossierState.REJECTED, DossierState.WITHDRAWN})
"""No result: refused by the agency or withdrawn by the applicant."""


def years_before(moment: datetime, years: int) -> datetime:
    """``moment`` less ``years`` calendar years (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def years_after(moment: datetime, years: int) -> datetime:
    return years_before(moment, -years)


class RetentionSettings(Protocol):
    """The settings a policy is read from (``IntakeSettings``)."""

    retention_result_years: int
    retention_refused_years: int


@dataclass(frozen=True)
class RetentionPolicy:
    result_years: int
    refused_years: int

    @classmethod
    def of(cls, settings: RetentionSettings) -> RetentionPolicy:
        return cls(settings.retention_result_years, settings.retention_refused_years)

    def years_for(self, state: DossierState) -> int | None:
        """The retention of a dossier in ``state``; None while it is open."""
        if state in RESULT_STATES:
            return self.result_years
        if state in REFUSED_STATES:
            return self.refused_years
        return None

    def ends(self, state: DossierState, closed_at: datetime) -> datetime | None:
        """When the retention of a dossier in ``state``, closed at ``closed_at``, ends."""
        years = self.years_for(state)
        return None if years is None else years_after(closed_at, years)

    def closed_before(self, now: datetime) -> tuple[datetime, datetime]:
        """The instants before which a dossier with a result, and a refused one, must
        have closed to be past retention at ``now``."""
        return years_before(now, self.result_years), years_before(now, self.refused_years)


def subject_hash(key: bytes, id_number: str) -> bytes:
    """The keyed hash that stands for a person in the hold and request logs: those logs
    name nobody, yet a hold still finds the person's records."""
    return hmac.new(key, id_number.encode(), hashlib.sha256).digest()
