"""Reference data over HTTP: anyone authenticated reads, the admin scope writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from motcua.audit import Action, ActorKind, record
from motcua.dossier import LOCAL_ZONE
from motcua.http import Problem, client_address, problems
from services.intake.auth import Principal, Scope
from services.intake.dependencies import (
    IntakeContext,
    authenticated,
    context,
    scoped,
)
from services.intake.reference.models import (
    PROCEDURE_CODE_PATTERN,
    UNIT_CODE_PATTERN,
    Procedure,
)
from services.intake.reference.service import list_procedures, list_units, upsert_procedure

router = APIRouter(prefix="/v1", tags=["reference data"], responses=problems(401))


@router.get("/procedures", summary="The procedure catalogue with legal processing times.")
def get_procedures(
    _: Annotated[Principal, Depends(authenticated)],
    ctx: Annotated[IntakeContext, Depends(context)],
) -> list[dict[str, Any]]:
    with ctx.pool.connection() as conn:
        return list_procedures(db_session=conn)


@router.put(
    "/procedures/{code}",
    summary="Create or change a procedure (admin scope).",
    responses=problems(401, 403, 422),
)
def put_procedure(
    principal: Annotated[Principal, Depends(scoped(Scope.ADMIN))],
    code: Annotated[str, Path(pattern=PROCEDURE_CODE_PATTERN)],
    procedure: Procedure,
    ctx: Annotated[IntakeContext, Depends(context)],
    request: Request,
) -> dict[str, Any]:
    """The scope is checked (a dependency) before the body is validated: 403 before 422."""
    if procedure.code != code:
        raise Problem(
            422,
            "Invalid request",
            "the body's code differs from the path's",
            errors=[{"field": "code", "message": f"must be {code}"}],
        )
    with ctx.pool.connection() as conn:
        stored = upsert_procedure(procedure, db_session=conn)
        record(
            Action(
                principal.name,
                ActorKind.SYSTEM,
                "procedure.changed",
                record_type="procedure",
                record_id=code,
                address=client_address(request),
                details={
                    "version": stored["version"],
                    "processing_amount": stored["processing_amount"],
                    "processing_unit": stored["processing_unit"],
                },
            ),
            db_session=conn,
        )
    ctx.rules.catalog.invalidate()
    return stored


UNITS_PAGE_MAX = 5000


@router.get(
    "/units",
    summary="Your unit subtree by code, a page at a time (docs/units.md).",
    responses=problems(422),
)
def get_units(
    principal: Annotated[Principal, Depends(authenticated)],
    ctx: Annotated[IntakeContext, Depends(context)],
    response: Response,
    limit: Annotated[int, Query(ge=1, le=UNITS_PAGE_MAX, description="Units per page.")] = 1000,
    after: Annotated[
        str | None,
        Query(pattern=UNIT_CODE_PATTERN, description="The last code of the previous page."),
    ] = None,
    include_retired: Annotated[
        bool, Query(description="Also the units a merger or rename retired.")
    ] = False,
) -> list[dict[str, Any]]:
    """When more units remain, ``Link: <...>; rel="next"`` names the next page."""
    with ctx.pool.connection() as conn:
        units, more = list_units(
            principal.unit_code,
            limit=limit,
            after=after,
            include_retired=include_retired,
            today=datetime.now(LOCAL_ZONE).date(),
            db_session=conn,
        )
    if more:
        query = {"after": units[-1]["code"], "limit": limit}
        if include_retired:
            query["include_retired"] = "true"
        response.headers["Link"] = f'</v1/units?{urlencode(query)}>; rel="next"'
    return units
