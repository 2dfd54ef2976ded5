"""What guards the public doors: rate limits (per client address, per token) and CSRF
tokens on every form.

CSRF is a signed double submit: a random nonce in an HttpOnly, SameSite=Strict cookie, and
in the form the signature (``itsdangerous``, HMAC-SHA256) of that nonce and the form's scope
(its path, or the officer's name), so a page of another site can neither read nor forge
the pair. Rate limits use the
``limits`` library's sliding-window counters (constant work per hit), in process memory
(``counters.py``: limits' own memory store walks every key each 10 ms) unless
``RATE_LIMIT_STORAGE_URI`` names a shared store.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Mapping

from itsdangerous import Signer
from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from services.ratings.counters import SweptMemoryStorage

CSRF_COOKIE = "motcua_csrf"
CSRF_FIELD = "csrf_token"
_NONCE_BYTES = 16
_NONCE_LENGTH = 22
"""Characters of a nonce: 16 random bytes, URL-safe base64 without padding."""


class Csrf:
    def __init__(self, secret: bytes) -> None:
        self._signer = Signer(
            secret, salt="motcua-ratings-csrf", key_derivation="hmac", digest_method=hashlib.sha256
        )

    def nonce(self, cookies: Mapping[str, str]) -> tuple[str, bool]:
        """The browser's nonce, or a new one (True: set the cookie)."""
        current = cookies.get(CSRF_COOKIE, "")
        if len(current) == _NONCE_LENGTH and current.isascii():
            return current, False
        return secrets.token_urlsafe(_NONCE_BYTES), True

    def token(self, nonce: str, scope: str) -> str:
        return self._signer.get_signature(f"{nonce}|{scope}").decode()

    def valid(self, cookies: Mapping[str, str], submitted: str | None, scope: str) -> bool:
        nonce = cookies.get(CSRF_COOKIE)
        if not nonce or not submitted:
            return False
        return self._signer.verify_signature(f"{nonce}|{scope}", submitted)


class RateLimits:
    """``hit`` counts a request against its address and, when given, its token;
    ``hit_key`` counts a keyed system's ratings against its own quota. The answer is None
    (go on) or the seconds to wait (429 with ``Retry-After``)."""

    def __init__(self, per_address: str, per_token: str, storage_uri: str) -> None:
        storage = (
            SweptMemoryStorage() if storage_uri == "memory://" else storage_from_string(storage_uri)
        )
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._per_address = parse(per_address)
        self._per_token = parse(per_token)

    def hit(self, *, address: str | None = None, token: str | None = None) -> int | None:
        checks = []
        if address is not None:
            checks.append((self._per_address, "address", address))
        if token is not None:
            key = hashlib.sha256(token.encode()).hexdigest()[:32]
            checks.append((self._per_token, "token", key))
        for item, kind, key in checks:
            if not self._limiter.hit(item, "ratings", kind, key):
                return self._wait(item, kind, key)
        return None

    def hit_key(self, name: str, per_minute: int, *, cost: int = 1) -> int | None:
        """Count ``cost`` ratings against the system's quota: all of them, or none when
        they do not all fit (a batch is taken whole or refused whole)."""
        item = RateLimitItemPerMinute(per_minute)
        if self._limiter.hit(item, "ratings", "key", name, cost=cost):
            return None
        return self._wait(item, "key", name)

    def _wait(self, item: RateLimitItem, kind: str, key: str) -> int:
        stats = self._limiter.get_window_stats(item, "ratings", kind, key)
        return max(1, math.ceil(stats.reset_time - time.time()))
