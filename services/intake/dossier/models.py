"""The HTTP and Kafka contract of intake's commands and answers, validated by pydantic.

Upstream systems send *commands* (receive a dossier, record a transition); intake answers
with the dossier as it now stands and publishes canonical events. Every command carries
the upstream system's own ``event_id`` (idempotency) and ``occurred_at``, the instant it
happened at the desk: dates are computed from it, never from arrival time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from motcua.dossier import PROCEDURE_CODE_PATTERN, UNIT_CODE_PATTERN
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.state import DossierState, Transition
from services.intake.inputs import InputModel

UnitCode = Annotated[str, StringConstraints(pattern=UNIT_CODE_PATTERN)]
ProcedureCode = Annotated[str, StringConstraints(pattern=PROCEDURE_CODE_PATTERN)]
UpstreamEventId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Channel = Literal["in_person", "postal", "online"]
ContactPreference = Literal["sms", "email", "zalo", "phone", "post", "none"]


class Command(InputModel):
    event_id: UpstreamEventId = Field(description="The upstream system's own id of this event.")
    occurred_at: AwareDatetime = Field(description="When it happened at the desk (with offset).")


class TransitionCommand(Command):
    """A command about an existing dossier; each transition module narrows ``transition``."""

    transition: Transition


FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
IdNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{9,12}$")]
"""A citizen's CCCD (12 digits) or an older ID card (9)."""
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{9,15}$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
Address = Annotated[str, StringConstraints(max_length=500)]


class Applicant(InputModel):
    """Personal data: stored in intake's own tables only, never in an event or a log."""

    kind: Literal["citizen", "organisation"] = "citizen"
    full_name: FullName
    id_number: IdNumber | None = None
    phone: Phone | None = None
    email: Email | None = None
    address: Address | None = None


class ReceiveDossier(Command):
    procedure_code: ProcedureCode
    unit_code: UnitCode = Field(description="The receiving unit (its one-stop desk).")
    channel: Channel
    applicant: Applicant
    contact_preference: ContactPreference = "sms"
    documents: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=100, description="Documents received (on the receipt)."
    )


class TimelineEntry(BaseModel):
    sequence: int
    transition: str
    occurred_at: datetime
    recorded_at: datetime
    event_id: str
    details: dict[str, object]


class DossierView(BaseModel):
    dossier_id: UUID
    dossier_code: str
    procedure_code: str
    unit_code: str
    unit_path: list[str]
    channel: Channel
    state: DossierState
    received_at: datetime
    clock_started_at: datetime
    due_at: datetime
    original_due_at: datetime
    rescheduled: bool = Field(description="An apology letter moved the appointment (once).")
    clock_running: bool = Field(description="The processing time is being counted now.")
    paused_at: datetime | None
    supplement_count: int
    completed_at: datetime | None
    overdue: bool
    sequence: int
    allowed_transitions: list[Transition]
    timeline: list[TimelineEntry] | None = None


class BatchRequest(BaseModel):
    items: list[dict[str, Any]] = Field(
        min_length=1,
        description='Each item is `{"kind": "receive", …ReceiveDossier}` or `{"kind": '
        '"transition", "dossier_code": …, …transition command}`.',
    )


class BatchItemResult(BaseModel):
    index: int
    status: int
    body: dict[str, Any]
    replayed: bool = False

    @classmethod
    def of(cls, index: int, result: Any) -> BatchItemResult:
        """``result``: an ``Outcome`` or the :class:`IntakeError` refusing the item."""
        if isinstance(result, IntakeError):
            body = {
                "type": "about:blank",
                "title": result.title,
                "status": result.status,
                "detail": result.detail,
                **result.extra,
            }
            return cls(index=index, status=result.status, body=body)
        return cls(index=index, status=result.status, body=result.body, replayed=result.replayed)


class BatchResponse(BaseModel):
    accepted: int
    replayed: int
    refused: int
    results: list[BatchItemResult]


class DossierTally(BaseModel):
    unit_code: str
    received: int = Field(description="Dossiers received in the subtree (and window).")
    by_state: dict[str, int] = Field(description="How many are in each state now.")


class DossierPage(BaseModel):
    items: list[DossierView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class AppointmentPreview(BaseModel):
    procedure_code: str
    unit_code: str
    received_at: datetime
    clock_starts_at: datetime
    due_at: datetime
    processing_time: dict[str, Any]
