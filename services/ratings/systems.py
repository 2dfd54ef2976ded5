"""The systems that post citizens' answers on their behalf (the national portal, VNeID),
each with its own API key and its own quota of ratings a minute.

Keys are ``mcp_…``, made and revoked at the console (``python -m services.ratings.manage
create-key / revoke-key``); only their SHA-256 is stored (``motcua.keys``). Registering
and revoking are each an audit entry in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg import Connection

from motcua.audit import Action, ActorKind, record
from motcua.keys import KeyCache, key_digest, new_key

KEY_PREFIX = "mcp_"
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
"""A system's name, as the table's CHECK has it: ``cong-dvc``, ``vneid``."""


@dataclass(frozen=True)
class PortalSystem:
    name: str
    per_minute: int | None
    """Its own quota of ratings a minute; None: the service's default."""


def register_key(name: str, per_minute: int | None, *, actor: str, db_session: Connection) -> str:
    """Create the system's key, or give it a new one (the old stops working); the key is
    returned to be shown once. ``ValueError`` for a name or quota the table refuses."""
    if not NAME.fullmatch(name):
        raise ValueError(f"{name!r}: lower-case letters, digits, '.', '_' and '-' only")
    if per_minute is not None and per_minute < 1:
        raise ValueError("the quota is at least 1 rating a minute")
    api_key = new_key(KEY_PREFIX)
    db_session.execute(
        "INSERT INTO portal_keys (name, key_sha256, per_minute) VALUES (%s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET key_sha256 = EXCLUDED.key_sha256, "
        "per_minute = EXCLUDED.per_minute, created_at = now(), revoked_at = NULL",
        (name, key_digest(api_key), per_minute),
    )
    record(
        Action(
            actor=actor,
            actor_kind=ActorKind.ADMIN,
            action="key.registered",
            record_type="portal_key",
            record_id=name,
            details={"per_minute": per_minute},
        ),
        db_session=db_session,
    )
    return api_key


def revoke_key(name: str, *, actor: str, db_session: Connection) -> bool:
    """Revoke the system's key; False when it has none in use."""
    row = db_session.execute(
        "UPDATE portal_keys SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL "
        "RETURNING name",
        (name,),
    ).fetchone()
    if row is None:
        return False
    record(
        Action(
            actor=actor,
            actor_kind=ActorKind.ADMIN,
            action="key.revoked",
            record_type="portal_key",
            record_id=name,
        ),
        db_session=db_session,
    )
    return True


def system_of(digest: bytes, *, db_session: Connection) -> PortalSystem | None:
    row = db_session.execute(
        "SELECT name, per_minute FROM portal_keys WHERE key_sha256 = %s AND revoked_at IS NULL",
        (digest,),
    ).fetchone()
    return PortalSystem(row[0], row[1]) if row else None


PortalKeys = KeyCache[PortalSystem]
"""The lookups of portal keys, kept 30 s: a revoked key stops working within that."""
