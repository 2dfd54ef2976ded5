"""Duty officers: who may see the board, and which unit subtree they see.

An officer watches the subtree under one unit; every dossier event carries its unit's
root-first path, so "in my subtree" is ``officer.unit_code in dossier.unit_path``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from psycopg import Connection

SESSION_LIFETIME = timedelta(hours=12)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class Officer:
    username: str
    display_name: str
    unit_code: str

    def sees(self, unit_path: Sequence[str]) -> bool:
        return self.unit_code in unit_path


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)


def register_officer(
    username: str, display_name: str, unit_code: str, password: str, *, db_session: Connection
) -> Officer:
    """Create the officer, or reset the password and unit of an existing one."""
    if len(password) < 12:
        raise ValueError("an officer's password has at least 12 characters")
    salt = secrets.token_bytes(16)
    db_session.execute(
        "INSERT INTO officers (username, display_name, unit_code, password_scrypt, "
        "password_salt) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (username) DO UPDATE SET "
        "display_name = EXCLUDED.display_name, unit_code = EXCLUDED.unit_code, "
        "password_scrypt = EXCLUDED.password_scrypt, password_salt = EXCLUDED.password_salt, "
        "disabled_at = NULL",
        (username, display_name, unit_code, _hash(password, salt), salt),
    )
    return Officer(username, display_name, unit_code)


def authenticate(username: str, password: str, *, db_session: Connection) -> Officer | None:
    row = db_session.execute(
        "SELECT display_name, unit_code, password_scrypt, password_salt FROM officers "
        "WHERE username = %s AND disabled_at IS NULL",
        (username,),
    ).fetchone()
    if row is None:
        _hash(password, b"0" * 16)  # same cost either way: no user enumeration by timing
        return None
    if not hmac.compare_digest(_hash(password, bytes(row[3])), bytes(row[2])):
        return None
    return Officer(username, row[0], row[1])


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
        "SELECT o.username, o.display_name, o.unit_code FROM officer_sessions s "
        "JOIN officers o USING (username) WHERE s.token_sha256 = %s AND s.expires_at > now() "
        "AND o.disabled_at IS NULL",
        (hashlib.sha256(token.encode()).digest(),),
    ).fetchone()
    return Officer(*row) if row else None


def close_session(token: str, *, db_session: Connection) -> None:
    db_session.execute(
        "DELETE FROM officer_sessions WHERE token_sha256 = %s",
        (hashlib.sha256(token.encode()).digest(),),
    )
