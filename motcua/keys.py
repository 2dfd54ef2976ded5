"""API keys of the systems calling a service: made once, shown once, stored as SHA-256.

A service keeps its own table of keys (its own prefix, its own columns); what is alike
everywhere is here: how a key is made and digested, and a short-lived cache of lookups
(hits and misses alike), so a revoked key stops working within ``ttl_s`` and a request
with a key seen lately costs no database round trip.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Generic, TypeVar

KEY_BYTES = 32
T = TypeVar("T")


def new_key(prefix: str) -> str:
    """A new key: the service's prefix (``mck_``, ``mcp_``) and 32 random bytes."""
    return prefix + secrets.token_urlsafe(KEY_BYTES)


def key_digest(api_key: str) -> bytes:
    """What is stored and looked up: a database dump holds no usable key."""
    return hashlib.sha256(api_key.encode()).digest()


class NotSeen(Enum):
    NOT_SEEN = "not seen"


NOT_SEEN = NotSeen.NOT_SEEN
"""What :meth:`KeyCache.peek` answers for a key not looked up lately."""


class KeyCache(Generic[T]):
    """Lookups of keys by digest, each kept ``ttl_s`` seconds; at most ``max_entries``
    (the oldest dropped first), so a flood of made-up keys cannot grow it without end."""

    def __init__(self, ttl_s: float = 30.0, max_entries: int = 10_000) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._entries: dict[bytes, tuple[float, T | None]] = {}
        self._lock = threading.Lock()

    def peek(self, api_key: str) -> T | NotSeen | None:
        """The key's holder (None: refused) if looked up lately, else ``NOT_SEEN``: a key
        seen lately costs a request no connection from the pool."""
        with self._lock:
            cached = self._entries.get(key_digest(api_key))
        if cached is not None and time.monotonic() - cached[0] < self._ttl_s:
            return cached[1]
        return NOT_SEEN

    def get(self, api_key: str, load: Callable[[bytes], T | None]) -> T | None:
        """The key's holder (None: unknown or revoked), from the cache or from ``load``
        (called with the digest, outside the lock)."""
        digest = key_digest(api_key)
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(digest)
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        found = load(digest)
        with self._lock:
            self._entries.pop(digest, None)
            while len(self._entries) >= self._max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[digest] = (now, found)
        return found
