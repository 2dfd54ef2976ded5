"""Calendar announcements over HTTP: anyone authenticated reads, the admin scope writes.

The scope is checked (``scoped``) before the body is validated, so a caller without it
learns nothing about what a valid announcement looks like (403, never 422).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from motcua.calendar import CalendarOverride, OverrideKind
from motcua.calendar._announcements import LEGAL_BASIS_MAX, NOTE_MAX
from motcua.http import Problem, client_address, problems
from services.intake.auth import Principal, Scope
from services.intake.calendar.service import (
    OverrideRefused,
    list_overrides,
    set_override,
    withdraw_override,
)
from services.intake.dependencies import (
    IntakeContext,
    authenticated,
    context,
    scoped,
)

router = APIRouter(prefix="/v1/calendar", tags=["calendar"], responses=problems(401))
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class OverrideBody(BaseModel):
    """One date's announcement, as the admin types it from the government's document."""

    model_config = ConfigDict(extra="forbid")

    kind: OverrideKind = Field(description="day_off or working_day")
    legal_basis: str = Field(
        min_length=1,
        max_length=LEGAL_BASIS_MAX,
        description="Number of the announcing document, e.g. Quyết định 123/QĐ-TTg.",
    )
    note: str = Field(default="", max_length=NOTE_MAX)


def _invalid(errors: list[dict[str, str]]) -> Problem:
    fields = ", ".join(sorted({error["field"] for error in errors}))
    return Problem(422, "Invalid request", f"invalid fields: {fields}", errors=errors)


def _day(text: str) -> date:
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _invalid([{"field": "date", "message": "must be a date, YYYY-MM-DD"}])


@router.get("/overrides", summary="The calendar announcements in force, by date.")
def get_overrides(
    _: Annotated[Principal, Depends(authenticated)],
    ctx: Annotated[IntakeContext, Depends(context)],
) -> list[dict[str, Any]]:
    with ctx.pool.connection() as conn:
        return list_overrides(db_session=conn)


@router.put(
    "/overrides/{day}",
    summary="Record a day off or a working day the government announced (admin scope).",
    responses={201: {"description": "Recorded anew."}, **problems(403, 422)},
)
def put_override(
    day: str,
    principal: Annotated[Principal, Depends(scoped(Scope.ADMIN))],
    ctx: Annotated[IntakeContext, Depends(context)],
    response: Response,
    parsed: OverrideBody,
    request: Request,
) -> dict[str, Any]:
    when = _day(day)
    override = CalendarOverride(when, parsed.kind, parsed.legal_basis.strip(), parsed.note)
    try:
        with ctx.pool.connection() as conn:
            stored, created = set_override(
                override,
                principal,
                base=ctx.rules.calendar,
                address=client_address(request),
                db_session=conn,
            )
    except OverrideRefused as exc:
        raise _invalid(
            [{"field": field, "message": message} for field, message in exc.problems.items()]
        ) from None
    response.status_code = 201 if created else 200
    return stored


@router.delete(
    "/overrides/{day}",
    summary="Withdraw the announcement in force for a date (admin scope).",
    responses=problems(403, 404),
)
def delete_override(
    day: str,
    principal: Annotated[Principal, Depends(scoped(Scope.ADMIN))],
    ctx: Annotated[IntakeContext, Depends(context)],
    request: Request,
) -> dict[str, Any]:
    when = _day(day)
    with ctx.pool.connection() as conn:
        withdrawn = withdraw_override(
            when, principal, address=client_address(request), db_session=conn
        )
    if withdrawn is None:
        raise Problem(404, "Not found", f"no announcement in force for {when}")
    return withdrawn
