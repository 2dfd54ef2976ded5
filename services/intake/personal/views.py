"""The data-subject and legal-hold doors of intake's admin API (the admin scope).

The ID number travels in the body, never in a path or query, so it stays out of access
logs. Every door answers 503 while ``SUBJECT_HASH_KEY`` is unset: the logs could not name
the person by a keyed hash.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field, field_validator, model_validator

from motcua.http import Problem, client_address, problem_response
from services.intake.auth import Principal, Scope
from services.intake.dependencies import IntakeContext, context, scoped
from services.intake.dossier.models import Address, Email, FullName, IdNumber, Phone, Reason
from services.intake.inputs import InputModel
from services.intake.personal import subjects
from services.intake.personal.retention import RetentionPolicy
from services.intake.settings import IntakeSettings

router = APIRouter(prefix="/v1", tags=["personal data"])
Admin = Annotated[Principal, Depends(scoped(Scope.ADMIN))]
Context = Annotated[IntakeContext, Depends(context)]
_DOOR: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an unknown one"},
    403: {"description": "The key lacks the admin scope"},
    422: {"description": "A field of the body is invalid (named in `errors`)"},
    503: {"description": "SUBJECT_HASH_KEY is not set"},
}
_NOTHING: dict[int | str, dict[str, Any]] = {
    404: {"description": "Intake holds no dossier of this ID number in your subtree"}
}


class SubjectQuery(InputModel):
    id_number: IdNumber = Field(description="The person's ID number (CCCD).")


class Correction(SubjectQuery):
    full_name: FullName | None = None
    phone: Phone | None = None
    email: Email | None = None
    address: Address | None = None
    reason: Reason = Field(description="Why, and on what proof (no personal data).")

    @field_validator("full_name")
    @classmethod
    def _still_named(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("a dossier's applicant keeps a name: correct it, do not remove it")
        return value

    @model_validator(mode="after")
    def _something(self) -> Correction:
        if not self.changes():
            raise ValueError("name at least one of full_name, phone, email, address")
        return self

    def changes(self) -> dict[str, str | None]:
        return self.model_dump(exclude={"id_number", "reason"}, exclude_unset=True)


class Restriction(SubjectQuery):
    reason: Reason


class Hold(SubjectQuery):
    reason: Reason = Field(description="The case it is held for (no personal data).")


class Lift(InputModel):
    reason: Reason


def _key(settings: IntakeSettings) -> bytes:
    if settings.subject_hash_key is None:
        raise Problem(503, "Not configured", "set SUBJECT_HASH_KEY to answer these requests")
    return settings.subject_hash_key.get_secret_value().encode()


def _who(principal: Principal, request: Request) -> subjects.Requester:
    return subjects.Requester(principal.name, principal.unit_code, client_address(request))


@router.post(
    "/subject-requests/access",
    summary="What intake holds about a person: every dossier with its personal fields.",
    responses=_DOOR,
)
def post_access(
    principal: Admin, body: SubjectQuery, request: Request, ctx: Context
) -> dict[str, Any]:
    key = _key(ctx.settings)
    with ctx.pool.connection() as conn:
        return subjects.access(body.id_number, _who(principal, request), key, db_session=conn)


@router.post(
    "/subject-requests/correct",
    summary="Correct a personal field on every dossier of a person (recorded).",
    responses={**_DOOR, **_NOTHING},
)
def post_correct(
    principal: Admin, body: Correction, request: Request, ctx: Context
) -> dict[str, Any]:
    key = _key(ctx.settings)
    with ctx.pool.connection() as conn:
        return subjects.correct(
            body.id_number,
            body.changes(),
            body.reason,
            _who(principal, request),
            key,
            db_session=conn,
        )


@router.post(
    "/subject-requests/restrict",
    summary="Mark a person's records restricted (recorded).",
    responses={**_DOOR, **_NOTHING},
)
def post_restrict(
    principal: Admin, body: Restriction, request: Request, ctx: Context
) -> dict[str, Any]:
    key = _key(ctx.settings)
    with ctx.pool.connection() as conn:
        return subjects.restrict(
            body.id_number, body.reason, _who(principal, request), key, db_session=conn
        )


@router.post(
    "/subject-requests/erase",
    summary="Anonymise a person now, where retention has passed; else 409 saying why.",
    responses={
        **_DOOR,
        **_NOTHING,
        409: {"description": "The agency must still keep the record (the reason is given)"},
    },
)
def post_erase(principal: Admin, body: SubjectQuery, request: Request, ctx: Context) -> Any:
    key = _key(ctx.settings)
    with ctx.pool.connection() as conn:
        answer = subjects.erase(
            body.id_number,
            _who(principal, request),
            key,
            RetentionPolicy.of(ctx.settings),
            db_session=conn,
        )
    if isinstance(answer, subjects.Refusal):
        return problem_response(
            409,
            "Must be kept",
            answer.reason,
            field="id_number",
            request_id=str(answer.request_id),
        )
    return answer


@router.post(
    "/legal-holds",
    status_code=201,
    summary="Keep a person's data past retention (an inspection, a complaint, a case).",
    responses=_DOOR,
)
def post_hold(principal: Admin, body: Hold, request: Request, ctx: Context) -> dict[str, Any]:
    key = _key(ctx.settings)
    with ctx.pool.connection() as conn:
        return subjects.set_hold(
            body.id_number, body.reason, _who(principal, request), key, db_session=conn
        )


@router.post(
    "/legal-holds/{hold_id}/lift",
    summary="Lift a legal hold; the person's data is then anonymised once past retention.",
    responses={**_DOOR, 404: {"description": "No such hold in force"}},
)
def post_lift(
    principal: Admin, hold_id: uuid.UUID, body: Lift, request: Request, ctx: Context
) -> dict[str, Any]:
    _key(ctx.settings)
    with ctx.pool.connection() as conn:
        return subjects.lift_hold(hold_id, body.reason, _who(principal, request), db_session=conn)
