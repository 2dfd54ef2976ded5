"""The rate limits' counters in process memory, for ``RATE_LIMIT_STORAGE_URI=memory://``.

``limits``' own ``MemoryStorage`` drops expired counters from a timer that runs every
10 ms and walks every key. The per-token limit makes a key for every rating token the
public doors see, and two windows of them live at once: at 200 forms a second that is
about 24,000 keys, and the walk took a fifth of the ratings process's interpreter time
(py-spy, ``python -m bench ratings``). Here an expired counter is dropped when it is
read, and the others are swept at most every ``sweep_s`` seconds, by the hit that finds
the sweep due. The arithmetic is limits' sliding window counter, unchanged; a shared
store (``redis://…``) still goes through ``limits.storage.storage_from_string``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from math import floor

from limits.storage import SlidingWindowCounterSupport, Storage
from limits.storage.base import TimestampedSlidingWindow


class SweptMemoryStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    STORAGE_SCHEME = ["motcua-memory"]  # noqa: RUF012 (limits' own declaration)

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        *,
        sweep_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._expires: dict[str, float] = {}
        self._sweep_s = sweep_s
        self._next_sweep = clock() + sweep_s
        self._clock = clock

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def __len__(self) -> int:
        """Counters held, expired ones not yet swept included."""
        return len(self._counts)

    def _live(self, key: str, now: float) -> int:
        if self._expires.get(key, 0.0) <= now:
            self._counts.pop(key, None)
            self._expires.pop(key, None)
            return 0
        return self._counts[key]

    def _sweep_if_due(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._sweep_s
        for key in [k for k, at in self._expires.items() if at <= now]:
            del self._expires[key]
            del self._counts[key]

    def _incr(self, key: str, expiry: float, amount: int, now: float) -> int:
        count = self._live(key, now) + amount
        if key not in self._counts:
            self._expires[key] = now + expiry
        self._counts[key] = count
        return count

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self._lock:
            now = self._clock()
            self._sweep_if_due(now)
            return self._incr(key, expiry, amount, now)

    def get(self, key: str) -> int:
        with self._lock:
            return self._live(key, self._clock())

    def get_expiry(self, key: str) -> float:
        with self._lock:
            now = self._clock()
            return self._expires[key] if self._live(key, now) else now

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            held = len(self._counts)
            self._counts.clear()
            self._expires.clear()
            return held

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)
            self._expires.pop(key, None)

    def _window(self, key: str, expiry: int, now: float) -> tuple[str, int, float, str, int, float]:
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous = self._live(previous_key, now)
        current = self._live(current_key, now)
        previous_ttl = 0.0 if previous == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous_key, previous, previous_ttl, current_key, current, current_ttl

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        if amount > limit:
            return False
        with self._lock:
            now = self._clock()
            self._sweep_if_due(now)
            _, previous, previous_ttl, current_key, current, _ = self._window(key, expiry, now)
            if floor(previous * previous_ttl / expiry + current) + amount > limit:
                return False
            # Twice the window, as limits does: the counter is read as "previous" after it.
            self._incr(current_key, 2 * expiry, amount, now)
            return True

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        with self._lock:
            _, previous, previous_ttl, _, current, current_ttl = self._window(
                key, expiry, self._clock()
            )
            return previous, previous_ttl, current, current_ttl

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        with self._lock:
            for window_key in self.sliding_window_keys(key, expiry, self._clock()):
                self._counts.pop(window_key, None)
                self._expires.pop(window_key, None)
