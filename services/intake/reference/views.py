"""Reference data over HTTP: anyone authenticated reads, the admin scope writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from motcua.audit import Action, ActorKind, record
from motcua.http import Problem, client_address, problems
from services.intake.auth import Principal, Scope
from services.intake.dependencies import (
    IntakeContext,
    authenticated,
    context,
    scoped,
)
from services.intake.reference.models import PROCEDURE_CODE_PATTERN, Procedure
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


@router.get("/units", summary="Your unit subtree, root first.")
def get_units(
    principal: Annotated[Principal, Depends(authenticated)],
    ctx: Annotated[IntakeContext, Depends(context)],
) -> list[dict[str, Any]]:
    with ctx.pool.connection() as conn:
        return list_units(principal.unit_code, db_session=conn)
