"""Who is calling: upstream systems authenticate with their own API key.

A key is bound to one unit's subtree and a set of scopes. Only the key's SHA-256 is
stored, so a database dump leaks no usable key. Keys are looked up per request through a
short-lived cache, so a disabled key stops working within ``KEY_CACHE_SECONDS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from psycopg import Connection

from motcua.keys import NOT_SEEN, KeyCache, NotSeen, key_digest, new_key

KEY_CACHE_SECONDS = 30.0
KEY_PREFIX = "mck_"


class Scope(StrEnum):
    WRITE = "dossiers:write"
    READ = "dossiers:read"
    RESCHEDULE = "dossiers:reschedule"
    """The platform's deadlines service: its issued apology letters move appointments."""
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    system_id: uuid.UUID
    name: str
    unit_code: str
    scopes: frozenset[str]

    def covers(self, unit_path: Sequence[str]) -> bool:
        """True when a unit (given by its root-first path) lies in this caller's subtree."""
        return self.unit_code in unit_path

    def has(self, scope: Scope) -> bool:
        return scope.value in self.scopes or Scope.ADMIN.value in self.scopes


def new_api_key() -> str:
    return new_key(KEY_PREFIX)


UNKNOWN = NOT_SEEN
"""A key :meth:`KeyStore.cached` has not seen lately."""


class KeyStore:
    """Resolves API keys to principals, caching hits and misses briefly
    (:class:`motcua.keys.KeyCache`)."""

    def __init__(self) -> None:
        self._cache: KeyCache[Principal] = KeyCache(ttl_s=KEY_CACHE_SECONDS)

    def cached(self, api_key: str) -> Principal | NotSeen | None:
        """The key's principal (or None: refused) if looked up lately, else ``UNKNOWN``:
        a cached key costs a request no pool checkout."""
        return self._cache.peek(api_key)

    def resolve(self, api_key: str, *, db_session: Connection) -> Principal | None:
        def load(digest: bytes) -> Principal | None:
            row = db_session.execute(
                "SELECT id, name, unit_code, scopes FROM upstream_systems "
                "WHERE api_key_sha256 = %s AND disabled_at IS NULL",
                (digest,),
            ).fetchone()
            return Principal(row[0], row[1], row[2], frozenset(row[3])) if row else None

        return self._cache.get(api_key, load)


def register_system(
    name: str,
    unit_code: str,
    scopes: Sequence[Scope],
    *,
    db_session: Connection,
    api_key: str | None = None,
) -> tuple[uuid.UUID, str]:
    """Create or re-key an upstream system; return its id and the key (shown only now)."""
    if api_key is not None and not api_key.startswith(KEY_PREFIX):
        raise ValueError(f"API keys start with {KEY_PREFIX}")
    api_key = api_key or new_api_key()
    row = db_session.execute(
        "INSERT INTO upstream_systems (id, name, api_key_sha256, unit_code, scopes) "
        "VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET api_key_sha256 = EXCLUDED.api_key_sha256, "
        "unit_code = EXCLUDED.unit_code, scopes = EXCLUDED.scopes, disabled_at = NULL "
        "RETURNING id",
        (uuid.uuid4(), name, key_digest(api_key), unit_code, [s.value for s in scopes]),
    ).fetchone()
    assert row is not None
    return row[0], api_key


def revoke_system(name: str, *, db_session: Connection) -> bool:
    """Disable a system's key (it stops working within ``KEY_CACHE_SECONDS``); False when
    no such system has a key in force."""
    cursor = db_session.execute(
        "UPDATE upstream_systems SET disabled_at = now() WHERE name = %s AND disabled_at IS NULL",
        (name,),
    )
    return cursor.rowcount == 1


def system_by_name(name: str, *, db_session: Connection) -> Principal | None:
    """The principal of a system writing to Kafka directly, where the broker authenticated it."""
    row = db_session.execute(
        "SELECT id, name, unit_code, scopes FROM upstream_systems "
        "WHERE name = %s AND disabled_at IS NULL",
        (name,),
    ).fetchone()
    return Principal(row[0], row[1], row[2], frozenset(row[3])) if row else None
