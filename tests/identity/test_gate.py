"""Where a page finds the token, and where sign-in may send the browser back to."""

from __future__ import annotations

from pathlib import Path

import pytest

from motcua.identity import (
    TOKEN_COOKIE,
    Officer,
    OfficerGate,
    SignInSettings,
    TokenIssuer,
    safe_next,
    token_cookie,
    token_from,
    write_keypair,
)

ORIGINS = ["http://127.0.0.1:8003", "http://127.0.0.1:8004"]


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("/board?status=overdue", "/board?status=overdue"),
        ("http://127.0.0.1:8003/staff", "http://127.0.0.1:8003/staff"),
        ("HTTP://127.0.0.1:8004/reports", "HTTP://127.0.0.1:8004/reports"),
        ("https://evil.example/board", "/board"),
        ("//evil.example/board", "/board"),
        ("/\\evil.example", "/board"),
        ("javascript:alert(1)", "/board"),
        ("http://127.0.0.1:9999/", "/board"),
        ("", "/board"),
        (None, "/board"),
    ],
)
def test_sign_in_only_returns_to_the_platform_itself(asked: str | None, expected: str) -> None:
    assert safe_next(asked, ORIGINS, "/board") == expected


def test_a_bearer_header_wins_over_the_cookie() -> None:
    assert token_from({TOKEN_COOKIE: "c"}, "Bearer h") == "h"
    assert token_from({TOKEN_COOKIE: "c"}, None) == "c"
    assert token_from({TOKEN_COOKIE: "c"}, "Basic xyz") == "c"
    assert token_from({}, None) is None


def test_the_cookie_is_http_only_and_lax() -> None:
    header = token_cookie("t", max_age_s=600)
    assert {"HttpOnly", "SameSite=Lax", "Max-Age=600"} <= set(header.split("; "))


def test_a_gate_reads_the_officer_from_a_token_made_with_the_matching_key(tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    write_keypair(private, public)
    assert private.stat().st_mode & 0o077 == 0
    gate = OfficerGate.from_settings(
        SignInSettings(officer_token_public_key_file=str(public), signin_url="http://s:1/")
    )
    officer = Officer("a", "A", "000.00.04.H01")
    token = TokenIssuer.from_pem(private.read_bytes()).issue(officer)
    assert gate.officer({TOKEN_COOKIE: token}, None) == officer
    assert gate.officer({TOKEN_COOKIE: token + "x"}, None) is None
    assert gate.sign_in_location("http://r:2/staff?x=1") == (
        "http://s:1/auth/continue?next=http%3A%2F%2Fr%3A2%2Fstaff%3Fx%3D1"
    )


def test_an_unconfigured_gate_lets_nobody_in() -> None:
    gate = OfficerGate.from_settings(SignInSettings())
    assert not gate.configured
    assert gate.officer({TOKEN_COOKIE: "anything"}, None) is None


def test_behind_tls_the_cookie_is_secure_and_not_otherwise() -> None:
    assert "Secure" in token_cookie("t", max_age_s=600, secure=True).split("; ")
    assert "Secure" not in token_cookie("t", max_age_s=600).split("; ")
