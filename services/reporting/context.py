"""What reporting's requests share, built once per process in the app's lifespan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import Request
from psycopg_pool import ConnectionPool

from motcua.identity import OfficerGate
from services.reporting.settings import ReportingSettings


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReportingContext:
    settings: ReportingSettings
    pool: ConnectionPool
    gate: OfficerGate
    now: Callable[[], datetime] = field(default=_utc_now)


def context(request: Request) -> ReportingContext:
    ctx: ReportingContext = request.app.state.reporting
    return ctx
