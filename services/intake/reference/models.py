"""Reference data: police units and the procedure catalogue, validated by pydantic.

These models validate the seed files under ``data/`` and are also the input models of the
admin endpoints, so they are frozen, forbid unknown fields, and name the field in every
error. Legal processing times follow docs/domain.md ("Processing times").
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import (
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from motcua.dossier import PROCEDURE_CODE_PATTERN, UNIT_CODE_PATTERN, TimeUnit
from services.intake.inputs import InputModel

UnitCode = Annotated[str, StringConstraints(pattern=UNIT_CODE_PATTERN)]
ProcedureCode = Annotated[str, StringConstraints(pattern=PROCEDURE_CODE_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
PublicPhone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9][0-9 .]{7,18}$")
]
Basis = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class UnitLevel(StrEnum):
    """Police unit levels; since 7/2025 most provinces have no district level."""

    CENTRAL = "central"
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


class ProcedureField(StrEnum):
    RESIDENCE = "residence"
    IDENTITY = "identity"
    EXIT_ENTRY = "exit_entry"
    VEHICLE_REGISTRATION = "vehicle_registration"
    FIRE_SAFETY = "fire_safety"


class OnlineLevel(StrEnum):
    """Nghị định 42/2022: fully online (toàn trình), partially online (một phần), or not."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class ResultChannel(StrEnum):
    """How the result goes back: at the desk, by post, or online."""

    COUNTER = "counter"
    POSTAL = "postal"
    ONLINE = "online"


class PausePolicy(StrEnum):
    """What a pause for a reason outside the agency does to the clock (per procedure).

    docs/domain.md: the pause stops the clock and the remaining time continues on resume, but
    this is unconfirmed as a general rule, so each procedure says which applies.
    """

    RESUME_REMAINING = "resume_remaining"
    """The clock stops; on resume the time that was left continues (the default)."""
    CLOCK_RUNS = "clock_runs"
    """Pauses are recorded but do not stop the clock."""


class _Frozen(InputModel):
    """Frozen, closed, and no NUL character (seed files and the admin endpoint alike)."""


class ProcessingTime(_Frozen):
    """The legal processing time, e.g. 7 working days."""

    amount: int = Field(strict=True, ge=0, le=10_000, description="How many units.")
    unit: TimeUnit = "working_days"


class Unit(_Frozen):
    """A police unit; ``parent`` makes the tree, of any depth."""

    code: UnitCode = Field(description="Agency identifier code, e.g. 000.00.01.H01.")
    name: Name = Field(description="The unit's Vietnamese name, e.g. 'Công an phường Ba Đình'.")
    level: UnitLevel
    parent: UnitCode | None = Field(description="The parent unit's code; null for the root.")
    address: Name | None = Field(default=None, description="Short address line for letters.")
    head_title: Name | None = Field(
        default=None,
        description="The position the unit's head signs with, e.g. 'Trưởng Công an phường' "
        "(letters print it in capitals above the signature).",
    )
    public_phone: PublicPhone | None = Field(
        default=None,
        description="The number citizens may call about a dossier, shown on every page and "
        "message they get, e.g. '024 3942 1234'.",
    )
    successor: UnitCode | None = Field(
        default=None,
        description="The unit that carries on this one's work after a merger or a rename; "
        "set only on a retired unit.",
    )
    retired_on: date | None = Field(
        default=None,
        description="The day the unit stopped receiving dossiers (e.g. 2025-07-01 for the "
        "communes merged by the 2025 reform); null while it is in service.",
    )

    @field_validator("parent")
    @classmethod
    def _not_its_own_parent(cls, parent: str | None, info: ValidationInfo) -> str | None:
        if parent is not None and parent == info.data.get("code"):
            raise ValueError("a unit cannot be its own parent")
        return parent

    @field_validator("successor")
    @classmethod
    def _not_its_own_successor(cls, successor: str | None, info: ValidationInfo) -> str | None:
        if successor is not None and successor == info.data.get("code"):
            raise ValueError("a unit cannot be its own successor")
        return successor

    @field_validator("retired_on")
    @classmethod
    def _retired_if_succeeded(cls, retired_on: date | None, info: ValidationInfo) -> date | None:
        if retired_on is None and info.data.get("successor") is not None:
            raise ValueError("a unit with a successor must say when it was retired")
        return retired_on


class Procedure(_Frozen):
    """One administrative procedure of the national catalogue, as the police handle it."""

    code: ProcedureCode = Field(description="National catalogue code, e.g. 1.004222.")
    name: Name = Field(description="The procedure's Vietnamese name.")
    field: ProcedureField
    processing_time: ProcessingTime = Field(description="The legal processing time.")
    online_level: OnlineLevel
    result_channels: tuple[ResultChannel, ...] = Field(
        min_length=1, description="Where results can go back: counter, postal, online."
    )
    pause_policy: PausePolicy = PausePolicy.RESUME_REMAINING
    basis: Basis = Field(description="The legal basis of the processing time.")
    unconfirmed: bool = Field(
        default=False, description="True when the processing time is configured, not confirmed."
    )
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @field_validator("result_channels")
    @classmethod
    def _distinct_channels(cls, channels: tuple[ResultChannel, ...]) -> tuple[ResultChannel, ...]:
        if len(set(channels)) != len(channels):
            raise ValueError("each result channel may be listed only once")
        return channels
