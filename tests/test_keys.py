"""``motcua.keys``: keys made with their prefix, stored as digests, lookups cached briefly
and boundedly."""

from __future__ import annotations

import pytest

from motcua import keys
from motcua.keys import NOT_SEEN, KeyCache, key_digest, new_key


def test_a_new_key_has_its_prefix_and_is_stored_as_its_digest() -> None:
    key = new_key("mcp_")
    assert key.startswith("mcp_")
    assert len(key) > 40
    assert new_key("mcp_") != key
    assert len(key_digest(key)) == 32
    assert key.encode() not in key_digest(key)


def test_a_lookup_is_kept_for_its_time_then_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(keys.time, "monotonic", lambda: now[0])
    asked: list[bytes] = []

    def load(digest: bytes) -> str | None:
        asked.append(digest)
        return "cong-dvc" if digest == key_digest("mcp_a") else None

    cache: KeyCache[str] = KeyCache(ttl_s=30)
    assert cache.get("mcp_a", load) == "cong-dvc"
    assert cache.get("mcp_a", load) == "cong-dvc"
    assert cache.get("mcp_x", load) is None
    assert cache.get("mcp_x", load) is None  # a miss is kept too
    assert len(asked) == 2
    now[0] += 31  # revoked meanwhile: asked again once its time is over
    assert cache.get("mcp_a", lambda digest: None) is None


def test_the_cache_drops_its_oldest_beyond_its_size() -> None:
    asked: list[bytes] = []

    def load(digest: bytes) -> str:
        asked.append(digest)
        return "x"

    cache: KeyCache[str] = KeyCache(max_entries=2)
    for key in ("mcp_1", "mcp_2", "mcp_3", "mcp_3", "mcp_1"):
        cache.get(key, load)
    assert asked == [key_digest(k) for k in ("mcp_1", "mcp_2", "mcp_3", "mcp_1")]


def test_a_peek_answers_from_the_cache_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(keys.time, "monotonic", lambda: now[0])
    cache: KeyCache[str] = KeyCache(ttl_s=30)
    assert cache.peek("mck_a") is NOT_SEEN
    cache.get("mck_a", lambda digest: "cong-dvc")
    cache.get("mck_x", lambda digest: None)
    assert cache.peek("mck_a") == "cong-dvc"
    assert cache.peek("mck_x") is None  # refused lately: refused without asking
    now[0] += 31
    assert cache.peek("mck_a") is NOT_SEEN
