"""The door of the systems answering for citizens — the national portal and VNeID:
``POST /v1/ratings`` (one answer) and ``POST /v1/ratings:batch`` (many, a result each).

The calling system authenticates with its own key (``mcp_…``, ``services/ratings/systems``)
and is counted against its own quota of ratings a minute, not the per-address limit of
the citizens' own doors: one portal relays every citizen's answers from one address. A
call without a key, or with an unknown or revoked one, is 401 before its body is read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from psycopg import Connection
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, WithJsonSchema

from motcua.http import Problem
from services.ratings.answers.rules import AnswerRefused, parse_answer
from services.ratings.answers.service import AlreadyRated, AnswerError, Expired, submit_with_token
from services.ratings.answers.views import counted
from services.ratings.criteria import Level
from services.ratings.dependencies import RatingsContext, context
from services.ratings.metrics import REFUSED
from services.ratings.models import COMMENT_MAX, Answer, Channel, Entry, Invitation, Recorded
from services.ratings.systems import PortalSystem, system_of

api = APIRouter(prefix="/v1", tags=["ratings"])

# Declared as security schemes (not plain headers) so the OpenAPI says how to authenticate.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer mcp_…`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: mcp_…`")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="motcua-ratings"'}


class RatingBody(BaseModel):
    """One citizen's answer, sent by the national portal or VNeID on their behalf."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="The invitation's token.")
    scores: dict[str, StrictInt] = Field(
        description="Criterion key → 2 (rất hài lòng), 1 (hài lòng) or 0 (không hài lòng); "
        "online_service only for an online dossier; feedback_handling and other may be left out.",
    )
    overall: Literal["very_satisfied", "satisfied", "dissatisfied"]
    comment: str | None = Field(default=None, max_length=COMMENT_MAX * 2)


class RatingAccepted(BaseModel):
    rating_id: str
    dossier_code: str
    submitted_at: str
    followup_opened: bool


class RatingBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[
        list[dict[str, Any]],
        WithJsonSchema({"type": "array", "items": RatingBody.model_json_schema(), "minItems": 1}),
    ] = Field(
        min_length=1,
        description="Up to PORTAL_BATCH_MAX_ITEMS answers, each shaped as `POST /v1/ratings`'s "
        "body; an item that is not is refused alone (422 in its result).",
    )


class BatchItemResult(BaseModel):
    index: int = Field(description="The item's place in `items`, from 0.")
    status: int = Field(description="201 stored; 404, 409, 410 or 422 refused (nothing stored).")
    body: dict[str, Any] = Field(
        description="201: the stored rating, as `POST /v1/ratings` answers it; otherwise the "
        "item's problem (RFC 9457, `errors` naming the fields at fault for a 422)."
    )


class BatchResponse(BaseModel):
    accepted: int
    refused: int
    results: list[BatchItemResult]


def portal_system(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    x_api_key: Annotated[str | None, Security(_api_key)],
) -> PortalSystem:
    """The calling system, from ``Authorization: Bearer <key>`` or ``X-API-Key``."""
    api_key = bearer.credentials.strip() if bearer else x_api_key
    if not api_key:
        REFUSED.labels("unauthenticated").inc()
        raise Problem(401, "Unauthenticated", "send your system's API key", headers=_CHALLENGE)
    ctx: RatingsContext = request.app.state.ratings

    def load(digest: bytes) -> PortalSystem | None:
        with ctx.pool.connection() as conn:
            return system_of(digest, db_session=conn)

    system = ctx.portal_keys.get(api_key, load)
    if system is None:
        REFUSED.labels("unauthenticated").inc()
        raise Problem(401, "Unauthenticated", "unknown or revoked API key", headers=_CHALLENGE)
    return system


Caller = Annotated[PortalSystem, Depends(portal_system)]
Context = Annotated[RatingsContext, Depends(context)]


def take_quota(ctx: RatingsContext, system: PortalSystem, count: int) -> None:
    """Count ``count`` ratings against the system's own quota, or refuse them all (429)."""
    per_minute = system.per_minute or ctx.settings.portal_quota_per_minute
    wait = ctx.limits.hit_key(system.name, per_minute, cost=count)
    if wait is not None:
        REFUSED.labels("rate_limited").inc()
        raise Problem(
            429,
            "Too many requests",
            f"over this system's quota of {per_minute} ratings a minute",
            headers={"Retry-After": str(wait)},
        )


def one_rating(caller: Caller, ctx: Context) -> None:
    """Before the body is read: a system over its quota learns only that (429)."""
    take_quota(ctx, caller, 1)


def _answer_problem(exc: AnswerError) -> Problem:
    if isinstance(exc, AlreadyRated):
        REFUSED.labels("already_rated").inc()
        return Problem(
            409, "Already rated", "this dossier was rated once already", rated_at=exc.at.isoformat()
        )
    if isinstance(exc, Expired):
        REFUSED.labels("expired").inc()
        return Problem(410, "Invitation expired", expired_at=exc.at.isoformat())
    REFUSED.labels("unknown").inc()
    return Problem(404, "Unknown token")


def _invalid(errors: list[dict[str, str]]) -> Problem:
    REFUSED.labels("invalid").inc()
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return Problem(422, "Invalid request", f"invalid fields: {fields}", errors=errors)


def _store(ctx: RatingsContext, body: RatingBody, conn: Connection) -> Recorded:
    """Store one answer in ``conn``'s transaction, or raise the Problem refusing it."""
    levels: dict[str, Any] = dict(body.scores)

    def answer_for(invitation: Invitation) -> Answer:
        return parse_answer(
            levels, int(Level.from_key(body.overall)), body.comment, online=invitation.online
        )

    try:
        return submit_with_token(
            body.token,
            answer_for,
            Entry(Channel.API),
            now=ctx.now(),
            calendar=ctx.calendar,
            db_session=conn,
        )
    except AnswerRefused as exc:
        raise _invalid([{"field": p.field, "message": p.code} for p in exc.problems]) from None
    except AnswerError as exc:
        raise _answer_problem(exc) from None


def _accepted(recorded: Recorded) -> RatingAccepted:
    """Counted once committed, and answered."""
    counted(recorded.entry, recorded.answer)
    return RatingAccepted(
        rating_id=str(recorded.rating_id),
        dossier_code=recorded.invitation.dossier_code,
        submitted_at=recorded.submitted_at.isoformat(),
        followup_opened=recorded.followup_id is not None,
    )


_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or an unknown or revoked one"}
}
_QUOTA: dict[int | str, dict[str, Any]] = {
    429: {"description": "Over the calling system's quota (Retry-After says when)"}
}


@api.post(
    "/ratings",
    status_code=201,
    summary="Submit a citizen's rating with the invitation's token (national portal, VNeID).",
    responses={**_AUTH, 404: {}, 409: {}, 410: {}, 422: {}, **_QUOTA},
    dependencies=[Depends(one_rating)],
)
def submit_api(body: RatingBody, ctx: Context) -> RatingAccepted:
    with ctx.pool.connection() as conn:
        recorded = _store(ctx, body, conn)
    return _accepted(recorded)


def _problem_body(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    return {**body, **problem.extra}


def _item(
    ctx: RatingsContext, item: dict[str, Any], conn: Connection
) -> Recorded | tuple[int, dict[str, Any]]:
    """One item in a savepoint of its own: stored, or refused (its status and problem)
    with nothing of it written."""
    try:
        body = RatingBody.model_validate(item)
        with conn.transaction():
            return _store(ctx, body, conn)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "item", "message": e["msg"]}
            for e in exc.errors()
        ]
        return 422, _problem_body(_invalid(errors))
    except Problem as problem:
        return problem.status, _problem_body(problem)


def _result(index: int, outcome: Recorded | tuple[int, dict[str, Any]]) -> BatchItemResult:
    if isinstance(outcome, Recorded):
        return BatchItemResult(index=index, status=201, body=_accepted(outcome).model_dump())
    return BatchItemResult(index=index, status=outcome[0], body=outcome[1])


@api.post(
    "/ratings:batch",
    summary="Up to PORTAL_BATCH_MAX_ITEMS citizens' ratings in one call, with a result per item.",
    responses={
        **_AUTH,
        413: {"description": "More items than PORTAL_BATCH_MAX_ITEMS or the system's quota"},
        422: {},
        **_QUOTA,
    },
)
def submit_batch(batch: RatingBatch, caller: Caller, ctx: Context) -> BatchResponse:
    """Items run in order, in one transaction, each in a savepoint: a refused item changes
    nothing and does not stop the others. Every item counts against the quota, and the
    whole batch is taken or refused (429) before any is stored."""
    count = len(batch.items)
    quota = caller.per_minute or ctx.settings.portal_quota_per_minute
    most = min(ctx.settings.portal_batch_max_items, quota)
    if count > most:
        raise Problem(
            413, "Batch too large", f"{count} items; at most {most} per call", field="items"
        )
    take_quota(ctx, caller, count)
    with ctx.pool.connection() as conn, conn.transaction():
        outcomes = [_item(ctx, item, conn) for item in batch.items]
    results = [_result(index, outcome) for index, outcome in enumerate(outcomes)]
    accepted = sum(1 for r in results if r.status == 201)
    return BatchResponse(accepted=accepted, refused=count - accepted, results=results)
