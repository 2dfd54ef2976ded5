"""What an answer is, whichever channel brought it (frozen values, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from motcua.contracts import Criterion
from services.ratings.criteria import Level

COMMENT_MAX = 2000
"""Characters of the optional comment (stored as text, shown escaped, never in an event)."""
SERIAL_MAX = 40
"""Characters of a paper form's printed serial number."""


class Channel(StrEnum):
    """How the answer reached us (Nghị định 61 Điều 29's channels)."""

    WEB = "web"
    """The citizen's own browser, from the link in the invitation."""
    KIOSK = "kiosk"
    """The counter's tablet, opened by staff for the dossier and handed to the citizen."""
    PAPER = "paper"
    """A paper form, typed in by staff with its serial number."""
    PHONE = "phone"
    """Staff asked the citizen by phone and entered the answers on their behalf."""
    API = "api"
    """The national portal or VNeID, through ``POST /v1/ratings`` with the token."""


CITIZEN = "citizen"
"""``entered_by`` of an answer the citizen sent themselves (web, API)."""


class InvalidReason(StrEnum):
    """Why a paper form does not count: recorded, counted apart, out of the denominator."""

    UNREADABLE = "unreadable"
    SEVERAL_LEVELS = "several_levels"
    UNSIGNED = "unsigned"
    WRONG_DOSSIER = "wrong_dossier"


@dataclass(frozen=True)
class Answer:
    """The citizen's levels: every asked criterion but the optional ones, and the overall."""

    levels: Mapping[Criterion, Level]
    overall: Level
    comment: str | None = None

    @property
    def scores(self) -> dict[str, int]:
        """As the event carries them: criterion key → 0, 1 or 2, in the Decree's order."""
        return {c.value: int(self.levels[c]) for c in Criterion if c in self.levels}

    @property
    def dissatisfied(self) -> tuple[str, ...]:
        """What was answered "Không hài lòng": criterion keys, and ``overall``."""
        found = [c.value for c in Criterion if self.levels.get(c) is Level.DISSATISFIED]
        return (*found, "overall") if self.overall is Level.DISSATISFIED else tuple(found)


@dataclass(frozen=True)
class Entry:
    """Who entered an answer, by which channel, and whether staff stood by."""

    channel: Channel
    entered_by: str = CITIZEN
    staff_present: bool = False
    paper_serial: str | None = None
    invalid_reason: InvalidReason | None = None
    comment_is_complaint: bool = False
    entered_by_name: str | None = None
    """The officer's display name (their token's ``name``); None for the citizen."""

    @property
    def valid(self) -> bool:
        return self.invalid_reason is None


@dataclass(frozen=True)
class Invitation:
    """The part of an invitation row an answer needs (no token, no personal data)."""

    id: UUID
    dossier_id: UUID
    dossier_code: str
    unit_code: str
    unit_path: tuple[str, ...]
    procedure_code: str
    online: bool
    contact_preference: str
    channel: str
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class Recorded:
    """What was stored: enough for the answer page, the API's 201 and the event."""

    rating_id: UUID
    invitation: Invitation
    entry: Entry
    answer: Answer | None
    submitted_at: datetime
    followup_id: UUID | None = None
    reasons: tuple[str, ...] = field(default=())


INVITATION_COLUMNS = (
    "id, dossier_id, dossier_code, unit_code, unit_path, procedure_code, online, "
    "contact_preference, channel, expires_at, used_at"
)
"""The invitation row's columns an answer reads, in :func:`invitation_from_row`'s order."""


def invitation_from_row(row: tuple[Any, ...]) -> Invitation:
    return Invitation(
        id=row[0],
        dossier_id=row[1],
        dossier_code=row[2],
        unit_code=row[3],
        unit_path=tuple(row[4]),
        procedure_code=row[5],
        online=row[6],
        contact_preference=row[7],
        channel=row[8],
        expires_at=row[9],
        used_at=row[10],
    )
