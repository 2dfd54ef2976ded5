"""What every intake request handler needs: the caller, the pool, the legal rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Request
from psycopg_pool import ConnectionPool

from motcua.http import Problem
from services.intake.auth import KeyStore, Principal
from services.intake.dossier.service import IntakeRules
from services.intake.settings import IntakeSettings


@dataclass(frozen=True)
class IntakeContext:
    settings: IntakeSettings
    pool: ConnectionPool
    rules: IntakeRules
    keys: KeyStore


def context(request: Request) -> IntakeContext:
    ctx: IntakeContext = request.app.state.intake
    return ctx


def authenticated(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    """The calling upstream system, from ``Authorization: Bearer <key>`` or ``X-API-Key``."""
    api_key = x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        api_key = authorization[7:].strip()
    challenge = {"WWW-Authenticate": 'Bearer realm="motcua-intake"'}
    if not api_key:
        raise Problem(401, "Unauthenticated", "send your system's API key", headers=challenge)
    ctx = context(request)
    with ctx.pool.connection() as conn:
        principal = ctx.keys.resolve(api_key, db_session=conn)
    if principal is None:
        raise Problem(401, "Unauthenticated", "unknown or disabled API key", headers=challenge)
    return principal
