"""The in-process rate-limit counters decide as limits' own memory store does, and forget
what has expired without a walk every 10 ms."""

from __future__ import annotations

import random
from collections.abc import Iterator
from unittest import mock

import pytest
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from services.ratings.counters import SweptMemoryStorage


class Clock:
    def __init__(self) -> None:
        self.now = 1_796_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    fake = Clock()
    with mock.patch("limits.storage.memory.time", fake):
        yield fake


def test_it_allows_and_refuses_exactly_as_limits_memory_storage(clock: Clock) -> None:
    ours = SlidingWindowCounterRateLimiter(SweptMemoryStorage(clock=clock.time, sweep_s=5))
    theirs = SlidingWindowCounterRateLimiter(MemoryStorage())
    item = parse("20/minute")
    rng = random.Random(61)
    decisions = []
    for _ in range(5_000):
        clock.now += rng.expovariate(1 / rng.choice((0.05, 0.5, 4.0)))
        key = rng.choice("abcde")
        mine, reference = ours.hit(item, "t", key), theirs.hit(item, "t", key)
        assert mine == reference
        mine_stats, their_stats = (s.get_window_stats(item, "t", key) for s in (ours, theirs))
        assert mine_stats.remaining == their_stats.remaining
        assert mine_stats.reset_time == pytest.approx(their_stats.reset_time, abs=0.5)
        decisions.append(mine)
    assert True in decisions
    assert False in decisions  # the walk went over the limit too


def test_expired_counters_are_swept_by_a_later_hit() -> None:
    clock = Clock()
    storage = SweptMemoryStorage(clock=clock.time, sweep_s=10)
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("20/minute")
    for n in range(1_000):
        assert limiter.hit(item, "token", str(n))
    assert len(storage) == 1_000
    clock.now += 121  # both windows of every counter are over
    assert limiter.hit(item, "token", "late")
    assert len(storage) == 1


def test_a_cost_above_the_limit_is_refused_and_clear_forgets() -> None:
    clock = Clock()
    storage = SweptMemoryStorage(clock=clock.time)
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("2/minute")
    assert not limiter.hit(item, "k", cost=3)
    assert limiter.hit(item, "k")
    assert limiter.hit(item, "k")
    assert not limiter.hit(item, "k")
    limiter.clear(item, "k")
    assert limiter.hit(item, "k")
    assert storage.reset() == 1
