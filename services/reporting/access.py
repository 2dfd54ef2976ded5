"""Who reads the reports, and which subtree: a signed-in leader or unit head (the
platform's one sign-in), or a system with reporting's own API key (``mcr_…``, made with
``python -m services.reporting.manage create-key``). Both are bound to one unit: nothing
outside its subtree is ever counted for them."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import Connection

from motcua.identity import Officer, OfficerGate, Role
from motcua.keys import key_digest, new_key

KEY_PREFIX = "mcr_"
REPORT_ROLES = (Role.LEADER, Role.UNIT_HEAD)


@dataclass(frozen=True)
class Reader:
    name: str
    unit_code: str
    officer: Officer | None = None


class NotSignedIn(Exception):
    """No valid token or key: 401."""


class NotAllowed(Exception):
    """Signed in, but not a leader or unit head: 403."""


def new_api_key(name: str, unit_code: str, *, db_session: Connection) -> str:
    key = new_key(KEY_PREFIX)
    db_session.execute(
        "INSERT INTO api_keys (key_sha256, name, unit_code) VALUES (%s, %s, %s)",
        (key_digest(key), name, unit_code),
    )
    return key


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def reader_of(
    gate: OfficerGate,
    cookies: dict[str, str],
    authorization: str | None,
    *,
    db_session: Connection,
) -> Reader:
    bearer = _bearer(authorization)
    if bearer is not None and bearer.startswith(KEY_PREFIX):
        row = db_session.execute(
            "SELECT name, unit_code FROM api_keys WHERE key_sha256 = %s AND NOT disabled",
            (key_digest(bearer),),
        ).fetchone()
        if row is None:
            raise NotSignedIn("unknown or disabled API key")
        return Reader(name=row[0], unit_code=row[1])
    officer = gate.officer(cookies, authorization)
    if officer is None:
        raise NotSignedIn("sign in, or send an API key as a Bearer token")
    if not officer.has(*REPORT_ROLES):
        raise NotAllowed("reports are for leaders and unit heads")
    return Reader(name=officer.username, unit_code=officer.unit_code, officer=officer)
