"""Reporting's audit trail (``motcua.audit``, in reporting's own schema): every month
closed or refused, every API key registered or revoked — who, which unit and period or
key, from where, the outcome. Codes and reasons only: reporting holds no personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from motcua.audit import (
    Action,
    ActorKind,
    Outcome,
    console_actor,
    record,
    record_alone,
    sees_platform,
)
from services.reporting import reports
from services.reporting.periods import Period


@dataclass(frozen=True)
class Who:
    """Who acts: an officer's username, or a system's API key name, and their address."""

    name: str
    kind: ActorKind
    address: str | None


def _closing(who: Who, unit: reports.Unit, period: Period, outcome: Outcome, reason: str) -> Action:
    details: dict[str, Any] = {"unit_code": unit.code, "period": str(period)}
    if reason:
        details["reason"] = reason
    return Action(
        actor=who.name,
        actor_kind=who.kind,
        action="period.closed",
        record_type="period",
        record_id=f"{unit.code}/{period}",
        unit_path=unit.path,
        address=who.address,
        outcome=outcome,
        details=details,
    )


def close_month(
    unit: reports.Unit,
    period: Period,
    who: Who,
    *,
    closed_by: str,
    now: datetime,
    db_session: Connection,
) -> dict[str, Any]:
    """Close the month and record it in one transaction; a refusal (409) is recorded in a
    transaction of its own, since the closing wrote nothing. Call outside a transaction."""
    try:
        with db_session.transaction():
            closed = reports.close_month(
                unit, period, closed_by=closed_by, now=now, db_session=db_session
            )
            record(_closing(who, unit, period, Outcome.OK, ""), db_session=db_session)
    except reports.CannotClose as exc:
        refused = _closing(who, unit, period, Outcome.REFUSED, str(exc))
        record_alone(refused, db_session=db_session)
        raise
    return closed


def unit_path(code: str, *, db_session: Connection) -> tuple[str, ...]:
    """The unit's root-first path, as far as reporting knows it (itself alone if unknown)."""
    row = db_session.execute("SELECT unit_path FROM units WHERE code = %s", (code,)).fetchone()
    return tuple(row[0]) if row else (code,)


def key_changed(action: str, name: str, unit_code: str, *, db_session: Connection) -> None:
    """``key.registered`` or ``key.revoked`` at the console, in the caller's transaction."""
    record(
        Action(
            actor=console_actor(),
            actor_kind=ActorKind.ADMIN,
            action=action,
            record_type="api_key",
            record_id=name,
            unit_path=unit_path(unit_code, db_session=db_session),
            details={"unit_code": unit_code},
        ),
        db_session=db_session,
    )


def is_top_unit(pool: ConnectionPool, code: str) -> bool:
    """The ministry or a province's department (``motcua.audit.sees_platform``)."""
    with pool.connection() as conn:
        row = conn.execute("SELECT unit_path FROM units WHERE code = %s", (code,)).fetchone()
    return row is not None and sees_platform(row[0])
