"""The public doors' guards: CSRF tokens bound to a cookie nonce and a scope, rate limits
answering how long to wait."""

from __future__ import annotations

from services.ratings.protection import CSRF_COOKIE, Csrf, RateLimits


def test_a_csrf_token_holds_only_with_its_own_cookie_and_scope() -> None:
    csrf = Csrf(b"k" * 32)
    nonce, new = csrf.nonce({})
    assert new
    assert csrf.nonce({CSRF_COOKIE: nonce}) == (nonce, False)
    token = csrf.token(nonce, "/r/abc")
    assert csrf.valid({CSRF_COOKIE: nonce}, token, "/r/abc")
    assert not csrf.valid({CSRF_COOKIE: nonce}, token, "/r/other")
    assert not csrf.valid({}, token, "/r/abc")
    assert not csrf.valid({CSRF_COOKIE: nonce}, None, "/r/abc")
    other, _ = csrf.nonce({})
    assert not csrf.valid({CSRF_COOKIE: other}, token, "/r/abc")
    assert not Csrf(b"x" * 32).valid({CSRF_COOKIE: nonce}, token, "/r/abc")


def test_rate_limits_count_per_address_and_per_token() -> None:
    limits = RateLimits("3/minute", "2/minute", "memory://")
    assert limits.hit(address="a", token="t") is None
    assert limits.hit(address="a", token="t") is None
    wait = limits.hit(address="a", token="t")
    assert wait is not None
    assert 1 <= wait <= 60
    assert limits.hit(address="b") is None
    assert limits.hit(address="a") is not None


def test_a_keys_quota_takes_a_batch_whole_or_refuses_it_whole() -> None:
    limits = RateLimits("1/minute", "1/minute", "memory://")
    assert limits.hit_key("cong-dvc", 5, cost=3) is None
    wait = limits.hit_key("cong-dvc", 5, cost=3)
    assert wait is not None
    assert 1 <= wait <= 60
    assert limits.hit_key("cong-dvc", 5, cost=2) is None  # the refused three took nothing
    assert limits.hit_key("cong-dvc", 5) is not None
    assert limits.hit_key("vneid", 5, cost=5) is None  # each key its own
    assert limits.hit(address="a") is None  # and no address's
