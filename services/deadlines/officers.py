"""Officer accounts and sessions: deadlines owns them for the whole platform.

An officer sees the subtree under one unit (every dossier event carries its unit's
root-first path, so "in my subtree" is ``officer.unit_code in dossier.unit_path``, or one
of the retired units that unit carries on: ``Officer.scope``) and holds roles; both travel
to the other services in the sign-in token (``motcua.identity``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from psycopg import Connection

from motcua.identity import Officer, Role, parse_roles

SESSION_LIFETIME = timedelta(hours=12)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)


def register_officer(
    username: str,
    display_name: str,
    unit_code: str,
    password: str,
    *,
    roles: Iterable[Role] = (Role.DUTY_OFFICER,),
    db_session: Connection,
) -> Officer:
    """Create the officer, or reset the password, unit and roles of an existing one."""
    if len(password) < 12:
        raise ValueError("an officer's password has at least 12 characters")
    granted = frozenset(roles)
    if not granted:
        raise ValueError("an officer holds at least one role")
    salt = secrets.token_bytes(16)
    db_session.execute(
        "INSERT INTO officers (username, display_name, unit_code, password_scrypt, "
        "password_salt, roles) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (username) "
        "DO UPDATE SET display_name = EXCLUDED.display_name, unit_code = EXCLUDED.unit_code, "
        "password_scrypt = EXCLUDED.password_scrypt, password_salt = EXCLUDED.password_salt, "
        "roles = EXCLUDED.roles, disabled_at = NULL",
        (username, display_name, unit_code, _hash(password, salt), salt, sorted(granted)),
    )
    return Officer(username, display_name, unit_code, granted)


class Failure(StrEnum):
    """Why a sign-in failed, as the failure counter tells them apart (never the answer)."""

    UNKNOWN = "unknown"
    """No such account, or a disabled one."""
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a reason, not a password)


@dataclass(frozen=True)
class Account:
    """The account a sign-in named, when it exists: its unit for the audit trail."""

    username: str
    unit_code: str


def check_password(
    username: str, password: str, *, db_session: Connection
) -> Officer | tuple[Failure, Account | None]:
    """The officer, or why not. One scrypt either way: no user enumeration by timing."""
    row = db_session.execute(
        "SELECT display_name, unit_code, password_scrypt, password_salt, roles FROM officers "
        "WHERE username = %s AND disabled_at IS NULL",
        (username,),
    ).fetchone()
    if row is None:
        _hash(password, b"0" * 16)
        return Failure.UNKNOWN, None
    if not hmac.compare_digest(_hash(password, bytes(row[3])), bytes(row[2])):
        return Failure.WRONG_PASSWORD, Account(username, row[1])
    return Officer(username, row[0], row[1], parse_roles(row[4]))


def authenticate(username: str, password: str, *, db_session: Connection) -> Officer | None:
    checked = check_password(username, password, db_session=db_session)
    return checked if isinstance(checked, Officer) else None


def unit_path_of(unit_code: str, *, db_session: Connection) -> tuple[str, ...]:
    """The unit's root-first path as the board's rows carry it (intake's tree), so the
    inspectors above the unit see its officers' entries; just the unit while no dossier of
    its subtree has reached the board."""
    row = db_session.execute(
        "SELECT unit_path[1:array_position(unit_path, %(unit)s)] FROM watched_dossiers "
        "WHERE unit_path @> ARRAY[%(unit)s]::text[] LIMIT 1",
        {"unit": unit_code},
    ).fetchone()
    return tuple(row[0]) if row else (unit_code,)


def officer_unit(username: str, *, db_session: Connection) -> str | None:
    row = db_session.execute(
        "SELECT unit_code FROM officers WHERE username = %s", (username,)
    ).fetchone()
    return str(row[0]) if row else None


def open_session(officer: Officer, *, db_session: Connection) -> str:
    token = secrets.token_urlsafe(32)
    db_session.execute(
        "INSERT INTO officer_sessions (token_sha256, username, expires_at) "
        "VALUES (%s, %s, now() + %s)",
        (hashlib.sha256(token.encode()).digest(), officer.username, SESSION_LIFETIME),
    )
    return token


def officer_for_session(token: str, *, db_session: Connection) -> Officer | None:
    row = db_session.execute(
        "SELECT o.username, o.display_name, o.unit_code, o.roles FROM officer_sessions s "
        "JOIN officers o USING (username) WHERE s.token_sha256 = %s AND s.expires_at > now() "
        "AND o.disabled_at IS NULL",
        (hashlib.sha256(token.encode()).digest(),),
    ).fetchone()
    return Officer(row[0], row[1], row[2], parse_roles(row[3])) if row else None


def close_session(token: str, *, db_session: Connection) -> str | None:
    """End the session; whose it was (None: no such session)."""
    row = db_session.execute(
        "DELETE FROM officer_sessions WHERE token_sha256 = %s RETURNING username",
        (hashlib.sha256(token.encode()).digest(),),
    ).fetchone()
    return str(row[0]) if row else None


def revoke_sessions(username: str, *, db_session: Connection) -> int:
    """End every session of the officer at once (their pages ask this table on each
    request); how many were open."""
    db_session.execute(
        "UPDATE officers SET sessions_revoked_at = now() WHERE username = %s", (username,)
    )
    return db_session.execute(
        "DELETE FROM officer_sessions WHERE username = %s", (username,)
    ).rowcount


def token_still_good(username: str, issued_at: datetime, *, db_session: Connection) -> bool:
    """False for a sign-in token of an account since disabled, or issued before an admin
    revoked the account's sessions; True for any other (an OIDC provider's officers have
    no account here)."""
    row = db_session.execute(
        "SELECT disabled_at IS NULL AND (sessions_revoked_at IS NULL OR sessions_revoked_at "
        "< %s) FROM officers WHERE username = %s",
        (issued_at, username),
    ).fetchone()
    return row is None or bool(row[0])
