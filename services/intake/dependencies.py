"""What every intake request handler needs: the caller, the pool, the legal rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool

from motcua.http import Problem
from services.intake.auth import UNKNOWN, KeyStore, Principal, Scope
from services.intake.dossier.group_commit import GroupCommit
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.unit_of_work import UnitOfWork
from services.intake.settings import IntakeSettings


@dataclass(frozen=True)
class IntakeContext:
    settings: IntakeSettings
    pool: ConnectionPool
    rules: IntakeRules
    keys: KeyStore
    writes: UnitOfWork
    receipts: GroupCommit


async def context(request: Request) -> IntakeContext:
    ctx: IntakeContext = request.app.state.intake
    return ctx


# Declared as security schemes (not plain headers) so the OpenAPI says how to authenticate.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer mck_…`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: mck_…`")


async def authenticated(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    x_api_key: Annotated[str | None, Security(_api_key)],
) -> Principal:
    """The calling upstream system, from ``Authorization: Bearer <key>`` or ``X-API-Key``."""
    api_key = bearer.credentials.strip() if bearer else x_api_key
    challenge = {"WWW-Authenticate": 'Bearer realm="motcua-intake"'}
    if not api_key:
        raise Problem(401, "Unauthenticated", "send your system's API key", headers=challenge)
    ctx: IntakeContext = request.app.state.intake
    principal = ctx.keys.cached(api_key)
    if principal is UNKNOWN:  # not seen lately: PostgreSQL is asked, off the event loop
        principal = await run_in_threadpool(_resolve, ctx, api_key)
    if principal is None:
        raise Problem(401, "Unauthenticated", "unknown or disabled API key", headers=challenge)
    return principal


def _resolve(ctx: IntakeContext, api_key: str) -> Principal | None:
    with ctx.pool.connection() as conn:
        return ctx.keys.resolve(api_key, db_session=conn)


def scoped(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the caller, refused 403 without ``scope``.

    As a dependency it runs before the body is validated, so a caller who may not make the
    call learns that (403), not what was wrong with the body (422).
    """

    async def check(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not principal.has(scope):
            raise Problem(403, "Missing scope", f"this call needs the {scope.value} scope")
        return principal

    return check


Caller = Annotated[Principal, Depends(authenticated)]
Writer = Annotated[Principal, Depends(scoped(Scope.WRITE))]
Reader = Annotated[Principal, Depends(scoped(Scope.READ))]
Context = Annotated[IntakeContext, Depends(context)]
