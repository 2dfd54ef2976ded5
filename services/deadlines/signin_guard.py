"""Guarded sign-in: throttled per account and per client address, recorded in the audit
trail (OWASP ASVS's anti-automation on authentication).

Failed attempts are kept in PostgreSQL (``signin_failures``), so the throttle holds across
every officers' web process and restart. After ``account_failures`` failures of one
username (known or not, alike) or ``address_failures`` from one address within the
window, further attempts are refused without checking the password until the window has
passed over enough of them — or an admin lifts the lockout (``manage unlock``). A wrong
password and an unknown username answer alike and cost alike (one scrypt each).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from psycopg import Connection

from motcua.audit import Action, ActorKind, Outcome, console_actor, record
from services.deadlines.metrics import SIGNIN_FAILURES
from services.deadlines.officers import (
    Failure,
    Officer,
    check_password,
    close_session,
    officer_unit,
    open_session,
    revoke_sessions,
    unit_path_of,
)


@dataclass(frozen=True)
class Limits:
    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Attempt:
    username: str
    password: str = field(repr=False)
    address: str


@dataclass(frozen=True)
class SignedIn:
    officer: Officer
    session: str


@dataclass(frozen=True)
class Refused:
    """A wrong password or an unknown username: the caller answers both alike."""

    reason: Failure


@dataclass(frozen=True)
class Throttled:
    retry_after_s: int


def wait_seconds(
    locking: Sequence[datetime | None], now: datetime, window: timedelta
) -> int | None:
    """Whole seconds until the throttle lifts, or None when it does not hold. ``locking``:
    for each counter (account, address), the failure that filled it up — its limit-th most
    recent within the window — or None when that counter is below its limit."""
    lifts = [at + window for at in locking if at is not None]
    if not lifts:
        return None
    return max(1, math.ceil((max(lifts) - now).total_seconds()))


_LOCKING = (
    "SELECT (SELECT at FROM signin_failures WHERE username = %(user)s "
    "        AND at > now() - %(window)s ORDER BY at DESC OFFSET %(users)s - 1 LIMIT 1), "
    "       (SELECT at FROM signin_failures WHERE address = %(address)s "
    "        AND at > now() - %(window)s ORDER BY at DESC OFFSET %(addresses)s - 1 LIMIT 1), "
    "       now()"
)


def _wait(attempt: Attempt, limits: Limits, db_session: Connection) -> int | None:
    row = db_session.execute(
        _LOCKING,
        {
            "user": attempt.username,
            "address": attempt.address,
            "window": limits.window,
            "users": limits.account_failures,
            "addresses": limits.address_failures,
        },
    ).fetchone()
    assert row is not None
    return wait_seconds([row[0], row[1]], row[2], limits.window)


def _unit_path(unit: str | None, db_session: Connection) -> tuple[str, ...]:
    """Where an entry about an account goes: its unit's path; () for no such account,
    looked up all the same, so an unknown username costs what a known one does."""
    path = unit_path_of(unit or "", db_session=db_session)
    return path if unit else ()


def _account_path(username: str, db_session: Connection) -> tuple[str, ...]:
    return _unit_path(officer_unit(username, db_session=db_session), db_session)


def _anonymous(
    attempt: Attempt, action: str, unit_path: tuple[str, ...], **details: object
) -> Action:
    return Action(
        actor=attempt.username,
        actor_kind=ActorKind.ANONYMOUS,
        action=action,
        record_type="officer",
        record_id=attempt.username,
        unit_path=unit_path,
        address=attempt.address,
        outcome=Outcome.REFUSED,
        details=details,
    )


def _attempt(
    attempt: Attempt, limits: Limits, db_session: Connection
) -> SignedIn | Refused | Throttled:
    # One attempt per username at a time, so parallel guesses cannot all pass the count.
    db_session.execute(
        "SELECT pg_advisory_xact_lock(hashtext('motcua.signin'), hashtext(%s))",
        (attempt.username,),
    )
    wait = _wait(attempt, limits, db_session)
    if wait is not None:
        path = _account_path(attempt.username, db_session)
        record(
            _anonymous(attempt, "signin.throttled", path, retry_after_s=wait), db_session=db_session
        )
        return Throttled(wait)
    checked = check_password(attempt.username, attempt.password, db_session=db_session)
    if isinstance(checked, Officer):
        db_session.execute("DELETE FROM signin_failures WHERE username = %s", (checked.username,))
        session = open_session(checked, db_session=db_session)
        record(
            Action(
                actor=checked.username,
                actor_kind=ActorKind.OFFICER,
                action="signin.ok",
                record_type="officer",
                record_id=checked.username,
                unit_path=unit_path_of(checked.unit_code, db_session=db_session),
                address=attempt.address,
            ),
            db_session=db_session,
        )
        return SignedIn(checked, session)
    reason, account = checked
    db_session.execute("DELETE FROM signin_failures WHERE at < now() - %s", (limits.window,))
    db_session.execute(
        "INSERT INTO signin_failures (username, address) VALUES (%s, %s)",
        (attempt.username, attempt.address),
    )
    path = _unit_path(account.unit_code if account else None, db_session)
    record(_anonymous(attempt, "signin.failed", path, reason=str(reason)), db_session=db_session)
    return Refused(reason)


def sign_in(
    attempt: Attempt, limits: Limits, *, db_session: Connection
) -> SignedIn | Refused | Throttled:
    """Check the throttle, then the password; the session, the failure and the audit entry
    commit together."""
    with db_session.transaction():
        result = _attempt(attempt, limits, db_session)
    if isinstance(result, Throttled):
        SIGNIN_FAILURES.labels("throttled").inc()
    elif isinstance(result, Refused):
        SIGNIN_FAILURES.labels(str(result.reason)).inc()
    return result


def unlock(
    *, username: str | None = None, address: str | None = None, db_session: Connection
) -> int:
    """Lift an account's or an address's lockout (an admin at the console); how many
    failures were forgotten. Recorded as ``account.unlocked``."""
    if (username is None) == (address is None):
        raise ValueError("unlock an account or an address")
    with db_session.transaction():
        column, value = ("username", username) if username is not None else ("address", address)
        forgotten = db_session.execute(
            f"DELETE FROM signin_failures WHERE {column} = %s", (value,)
        ).rowcount
        record(
            Action(
                actor=console_actor(),
                actor_kind=ActorKind.ADMIN,
                action="account.unlocked",
                record_type="officer" if username is not None else "address",
                record_id=str(value),
                unit_path=_account_path(username, db_session) if username is not None else (),
                details={"failures_forgotten": forgotten},
            ),
            db_session=db_session,
        )
    return forgotten


def sign_out(token: str, address: str, *, db_session: Connection) -> None:
    """End the session, recorded as ``signout`` (nothing for no such session)."""
    with db_session.transaction():
        username = close_session(token, db_session=db_session)
        if username is not None:
            record(
                Action(
                    actor=username,
                    actor_kind=ActorKind.OFFICER,
                    action="signout",
                    record_type="officer",
                    record_id=username,
                    unit_path=_account_path(username, db_session),
                    address=address,
                ),
                db_session=db_session,
            )


def revoke(username: str, *, db_session: Connection) -> int:
    """End every session of the officer (an admin at the console), recorded as
    ``session.revoked``; how many there were."""
    with db_session.transaction():
        ended = revoke_sessions(username, db_session=db_session)
        record(
            Action(
                actor=console_actor(),
                actor_kind=ActorKind.ADMIN,
                action="session.revoked",
                record_type="officer",
                record_id=username,
                unit_path=_account_path(username, db_session),
                details={"sessions": ended},
            ),
            db_session=db_session,
        )
    return ended
