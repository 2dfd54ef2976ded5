"""Intake's audit trail for inspectors: ``GET /v1/audit`` on the shared router, with the
officer found from the sign-in token, and the same on a page (``/audit``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from psycopg import Connection
from psycopg_pool import ConnectionPool

from motcua.audit import AuditDoors, PageRenderer, audit_router, sees_platform, token_checks
from motcua.identity import Officer, OfficerGate
from motcua.web.strings import AUDIT_SERVICE_LABELS
from services.intake.pages import AUDIT_PAGE


def intake_audit_router(
    gate: OfficerGate,
    pool: Callable[[], ConnectionPool],
    page: tuple[PageRenderer, Callable[[Request], Officer]],
    audit_pages: tuple[tuple[str, str], ...] = (),
) -> APIRouter:
    """``pool``: the running process's pool (opened by the app's lifespan); ``page``: how
    the audit page renders and finds its inspector (``services.intake.pages``)."""

    @contextmanager
    def connection() -> Iterator[Connection[Any]]:
        with pool().connection() as conn:
            yield conn

    def is_top_unit(unit_code: str) -> bool:
        """The ministry or a province's department: they also read platform-wide entries."""
        with connection() as conn:
            row = conn.execute("SELECT path FROM units WHERE code = %s", (unit_code,)).fetchone()
        return row is not None and sees_platform(row[0])

    return audit_router(
        AuditDoors(
            connection=connection,
            officer_of=token_checks(lambda _: gate)[0],
            is_top_unit=is_top_unit,
            service_label=AUDIT_SERVICE_LABELS["intake"],
            other_logs=audit_pages,
            service="intake",
            render_page=page[0],
            page_inspector=page[1],
        ),
        page_path=AUDIT_PAGE,
    )
