"""The token kept sealed until its messages are sent: the invitation table holds only the
hash, yet the sender (retries, quiet hours, the reminder three days later) and the
hand-over slip's QR code need the link. AES-256-GCM under ``RATINGS_TOKEN_KEY``, bound to
the invitation's id, so a database dump without the key opens nothing and a sealed token
moved to another row does not open either."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
_log = logging.getLogger("motcua.ratings.sealing")


class SealBroken(ValueError):
    """The sealed token does not open with this key (another key, or altered)."""


class TokenSeal:
    def __init__(self, secret: str) -> None:
        # Any long secret will do: the AES key is its SHA-256.
        self._aead = AESGCM(hashlib.sha256(secret.encode()).digest())

    @classmethod
    def from_setting(cls, secret: str | None) -> TokenSeal:
        """Unset: a key for this process only (tests, a first try); tokens sealed by another
        process then do not open, and their deliveries give up saying so."""
        if not secret:
            _log.warning("RATINGS_TOKEN_KEY is not set: sealing tokens with a key of this process")
            secret = secrets.token_urlsafe(32)
        return cls(secret)

    def seal(self, token: str, invitation_id: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, token.encode(), invitation_id.encode())

    def open(self, sealed: bytes, invitation_id: str) -> str:
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, body, invitation_id.encode()).decode()
        except InvalidTag:
            raise SealBroken("the sealed token does not open with RATINGS_TOKEN_KEY") from None
