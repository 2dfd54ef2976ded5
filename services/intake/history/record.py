"""One line of a history file: a dossier as a provincial one-stop system exports it. Pure.

The format (docs/history-import.md) is JSON Lines, one dossier per line. :func:`parse_line`
turns a line into a validated :class:`HistoryRecord` or a :class:`LineError` naming the
field and the reason, the way intake's own commands are validated (pydantic models on
:class:`~services.intake.inputs.InputModel`), then checks what one field alone cannot
say: the times in order and the outcome consistent with its times.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, ValidationError

from motcua.dossier import DOSSIER_CODE_PATTERN
from services.intake.dossier.models import (
    Address,
    Channel,
    ContactPreference,
    Email,
    FullName,
    IdNumber,
    Phone,
    ProcedureCode,
    Reason,
    UnitCode,
)
from services.intake.inputs import InputModel

DossierCodeText = Annotated[str, StringConstraints(pattern=DOSSIER_CODE_PATTERN)]
Outcome = Literal["completed", "returned", "rejected", "withdrawn"]


class LineError(Exception):
    """Why a line is refused: the field at fault (dotted path, empty for the whole line)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class HistoryApplicant(InputModel):
    """Kept in intake's applicants table only, as a receipt's applicant is."""

    kind: Literal["citizen", "organisation"] = "citizen"
    name: FullName
    id_number: IdNumber | None = None
    phone: Phone | None = None
    email: Email | None = None
    address: Address | None = None


class SupplementRecord(InputModel):
    requested_at: AwareDatetime
    received_at: AwareDatetime | None = None
    reason: Reason


class PauseRecord(InputModel):
    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime | None = Field(default=None, alias="to")
    reason_code: Literal["external_verification", "other_agency", "force_majeure", "other"] = (
        "other"
    )
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class HistoryRecord(InputModel):
    """A dossier's whole recorded history, as one line of the file."""

    dossier_code: DossierCodeText
    procedure_code: ProcedureCode
    unit_code: UnitCode
    received_channel: Channel
    received_at: AwareDatetime
    due_rule: Literal["recorded", "law"]
    due_at: AwareDatetime | None = None
    contact_preference: ContactPreference = "none"
    supplements: list[SupplementRecord] = Field(default_factory=list, max_length=100)
    pauses: list[PauseRecord] = Field(default_factory=list, max_length=100)
    outcome: Outcome | None = None
    result: Literal["granted", "refused"] = "granted"
    completed_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None
    return_channel: Literal["counter", "postal", "online"] = "counter"
    outcome_at: AwareDatetime | None = None
    outcome_reason: Reason | None = None
    applicant: HistoryApplicant

    @property
    def closed(self) -> bool:
        """The record ends the dossier: its events are history that asks for nothing."""
        return self.outcome is not None

    def sha256(self) -> bytes:
        """The record's canonical form's digest: the same dossier, whatever the spacing,
        key order or offset its line was written with."""
        canonical = self.model_dump(by_alias=True, exclude_defaults=True)
        text = json.dumps(
            canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_utc
        )
        return hashlib.sha256(text.encode()).digest()


def _utc(value: object) -> str:
    """An instant in UTC: the same instant written with another offset is the same."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def parse_line(text: str) -> HistoryRecord:
    """The validated record of one line; :class:`LineError` when it is refused."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineError("", f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(raw, dict):
        raise LineError("", "a line must be one JSON object")
    try:
        record = HistoryRecord.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise LineError(field, first["msg"]) from exc
    check(record)
    return record


def _not_before(field: str, at: datetime | None, earliest: datetime, what: str) -> None:
    if at is not None and at < earliest:
        raise LineError(field, f"{at.isoformat()} is before {what} ({earliest.isoformat()})")


def _check_times(record: HistoryRecord) -> None:
    received = record.received_at
    _not_before("due_at", record.due_at, received, "received_at")
    for i, supplement in enumerate(record.supplements):
        where = f"supplements.{i}"
        _not_before(f"{where}.requested_at", supplement.requested_at, received, "received_at")
        _not_before(
            f"{where}.received_at", supplement.received_at, supplement.requested_at, "requested_at"
        )
    for i, pause in enumerate(record.pauses):
        _not_before(f"pauses.{i}.from", pause.start, received, "received_at")
        _not_before(f"pauses.{i}.to", pause.end, pause.start, "from")
    _not_before("completed_at", record.completed_at, received, "received_at")
    _not_before("returned_at", record.returned_at, record.completed_at or received, "completed_at")
    _not_before("outcome_at", record.outcome_at, received, "received_at")


_NEEDS: dict[Outcome | None, frozenset[str]] = {
    None: frozenset(),
    "completed": frozenset({"completed_at"}),
    "returned": frozenset({"completed_at", "returned_at"}),
    "rejected": frozenset({"outcome_at", "outcome_reason"}),
    "withdrawn": frozenset({"outcome_at"}),
}
_OUTCOME_FIELDS = ("completed_at", "returned_at", "outcome_at", "outcome_reason")
_OPTIONAL = {"withdrawn": frozenset({"outcome_reason"})}


def _check_outcome(record: HistoryRecord) -> None:
    """Each outcome with the times (and reason) the state machine needs, and no other."""
    needed = _NEEDS[record.outcome]
    allowed = needed | _OPTIONAL.get(record.outcome or "", frozenset())
    named = record.outcome or "null (still open)"
    for field in _OUTCOME_FIELDS:
        present = getattr(record, field) is not None
        if field in needed and not present:
            raise LineError(field, f"required when outcome is {named}")
        if present and field not in allowed:
            raise LineError(field, f"must be null when outcome is {named}")


def check(record: HistoryRecord) -> None:
    """What no single field says: the due date the rule needs, times in order, the
    outcome consistent with its times."""
    if record.due_rule == "recorded" and record.due_at is None:
        raise LineError("due_at", 'required when due_rule is "recorded"')
    _check_outcome(record)
    _check_times(record)
