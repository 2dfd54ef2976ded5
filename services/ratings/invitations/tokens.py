"""Rating tokens: 128 random bits, URL-safe (22 characters, so a link fits an SMS), kept
only as a SHA-256 hash. Whoever holds the token may rate that one dossier, once."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 16


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> bytes:
    """What the database keeps: enough to find the invitation, useless to a reader."""
    return hashlib.sha256(token.encode()).digest()


def short_link(public_url: str, token: str) -> str:
    """``RATINGS_PUBLIC_URL/r/<token>``: the link an SMS, an e-mail or a QR code carries."""
    return f"{public_url.rstrip('/')}/r/{token}"
