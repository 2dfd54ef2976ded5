"""What guards the public doors: rate limits (per client address, per token) and CSRF
tokens on every form.

CSRF is a signed double submit: a random nonce in an HttpOnly, SameSite=Strict cookie, and
in the form an HMAC of that nonce and the form's scope (its path, or the officer's name),
so a page of another site can neither read nor forge the pair. Rate limits use the
``limits`` library's sliding-window counters (constant work per hit), in process memory
(``counters.py``: limits' own memory store walks every key each 10 ms) unless
``RATE_LIMIT_STORAGE_URI`` names a shared store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Mapping

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from services.ratings.counters import SweptMemoryStorage

CSRF_COOKIE = "motcua_csrf"
CSRF_FIELD = "csrf_token"
_NONCE_BYTES = 16


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Csrf:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def nonce(self, cookies: Mapping[str, str]) -> tuple[str, bool]:
        """The browser's nonce, or a new one (True: set the cookie)."""
        current = cookies.get(CSRF_COOKIE, "")
        if len(current) == 22 and current.isascii():
            return current, False
        return _b64(secrets.token_bytes(_NONCE_BYTES)), True

    def token(self, nonce: str, scope: str) -> str:
        mac = hmac.new(self._secret, f"{nonce}|{scope}".encode(), hashlib.sha256).digest()
        return _b64(mac)

    def valid(self, cookies: Mapping[str, str], submitted: str | None, scope: str) -> bool:
        nonce = cookies.get(CSRF_COOKIE)
        if not nonce or not submitted:
            return False
        return hmac.compare_digest(self.token(nonce, scope), submitted)


class RateLimits:
    """``hit`` counts a request against its address and, when given, its token; the answer
    is None (go on) or the seconds to wait (429 with ``Retry-After``)."""

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
                stats = self._limiter.get_window_stats(item, "ratings", kind, key)
                return max(1, math.ceil(stats.reset_time - time.time()))
        return None
