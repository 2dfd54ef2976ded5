"""Intake's audit trail for inspectors: ``GET /v1/audit`` on the shared router, with the
officer found from the sign-in token (intake has no pages, so no audit page either)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from psycopg import Connection
from psycopg_pool import ConnectionPool

from motcua.audit import AuditDoors, audit_router, sees_platform
from motcua.identity import Officer, OfficerGate


def intake_audit_router(gate: OfficerGate, pool: Callable[[], ConnectionPool]) -> APIRouter:
    """``pool``: the running process's pool (opened by the app's lifespan)."""

    @contextmanager
    def connection() -> Iterator[Connection[Any]]:
        with pool().connection() as conn:
            yield conn

    def officer_of(request: Request) -> Officer | None:
        return gate.officer(request.cookies, request.headers.get("authorization"))

    def is_top_unit(unit_code: str) -> bool:
        """The ministry or a province's department: they also read platform-wide entries."""
        with connection() as conn:
            row = conn.execute("SELECT path FROM units WHERE code = %s", (unit_code,)).fetchone()
        return row is not None and sees_platform(row[0])

    return audit_router(
        AuditDoors(
            connection=connection,
            officer_of=officer_of,
            is_top_unit=is_top_unit,
            service_label="Tiếp nhận hồ sơ",
        )
    )
