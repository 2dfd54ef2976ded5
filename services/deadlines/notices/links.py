"""The letter's short link: ``LETTER_PUBLIC_URL/l/<token>``, carried by the SMS, Zalo and
e-mail notices, serving that one letter version's PDF to whoever holds it.

The token is 192 random bits (``secrets.token_urlsafe(24)``); only its SHA-256 is kept
(``letter_links``), so a copy of the table opens no letter. Any text is hashed before it
is looked up, so an unknown, malformed, tampered or expired token costs the same lookup
as a known one and gets the same answer.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from psycopg import Connection

TOKEN_BYTES = 24


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    """What the table keeps: enough to find the letter, useless to a reader. Any text
    hashes the same way, whatever its shape."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def short_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/l/{token}"


def create_link(
    letter_id: int, version: int, *, now: datetime, ttl: timedelta, db_session: Connection
) -> str:
    """A new token for the letter version, usable until ``now + ttl``."""
    token = new_token()
    db_session.execute(
        "INSERT INTO letter_links (token_sha256, letter_id, letter_version, expires_at) "
        "VALUES (%s, %s, %s, %s)",
        (token_hash(token), letter_id, version, now + ttl),
    )
    return token


def linked_pdf(token: str, *, now: datetime, db_session: Connection) -> bytes | None:
    """The PDF of the version the token links to, or None (unknown or expired alike)."""
    row = db_session.execute(
        "SELECT v.pdf FROM letter_links k JOIN apology_letter_versions v "
        "ON v.letter_id = k.letter_id AND v.version = k.letter_version "
        "WHERE k.token_sha256 = %s AND k.expires_at > %s",
        (token_hash(token), now),
    ).fetchone()
    return None if row is None else bytes(row[0])


def forget_expired(now: datetime, *, db_session: Connection) -> int:
    """Drop the links past their expiry (they open nothing anyway)."""
    return db_session.execute("DELETE FROM letter_links WHERE expires_at <= %s", (now,)).rowcount
