"""The sign-in token: what the issuer signs is what every verifier reads, and nothing else
passes — another key, another issuer, an expired token, an unsigned or HMAC token."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from motcua.identity import (
    InvalidOfficerToken,
    Officer,
    Role,
    TokenIssuer,
    TokenVerifier,
    generate_keypair,
    parse_roles,
)

OFFICER = Officer(
    "truc.badinh", "Nguyễn Văn An", "000.00.04.H01", frozenset({Role.DUTY_OFFICER, Role.LEADER})
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def pair() -> tuple[TokenIssuer, TokenVerifier]:
    private_pem, public_pem = generate_keypair()
    return TokenIssuer.from_pem(private_pem), TokenVerifier.from_pem(public_pem)


def test_a_verifier_with_only_the_public_key_reads_back_the_officer() -> None:
    issuer, verifier = pair()
    assert verifier.verify(issuer.issue(OFFICER)) == OFFICER


def test_the_token_carries_no_more_than_the_officer_and_its_lifetime() -> None:
    issuer, _ = pair()
    claims = jwt.decode(issuer.issue(OFFICER), options={"verify_signature": False})
    assert set(claims) == {"iss", "aud", "sub", "name", "unit", "roles", "iat", "exp", "jti"}
    assert claims["exp"] - claims["iat"] == 600
    assert claims["roles"] == ["duty_officer", "leader"]


def test_a_token_signed_by_another_key_is_refused() -> None:
    issuer, _ = pair()
    _, other_verifier = pair()
    with pytest.raises(InvalidOfficerToken):
        other_verifier.verify(issuer.issue(OFFICER))


def test_an_expired_token_is_refused_beyond_the_clock_skew_allowance() -> None:
    issuer, verifier = pair()
    old = datetime.now(UTC) - timedelta(minutes=11)
    with pytest.raises(InvalidOfficerToken, match="expired"):
        verifier.verify(issuer.issue(OFFICER, now=old))
    recent = datetime.now(UTC) - timedelta(minutes=10, seconds=5)
    assert verifier.verify(issuer.issue(OFFICER, now=recent)) == OFFICER


def test_another_issuer_is_refused() -> None:
    private_pem, public_pem = generate_keypair()
    issuer = TokenIssuer.from_pem(private_pem, issuer="someone-else")
    with pytest.raises(InvalidOfficerToken):
        TokenVerifier.from_pem(public_pem).verify(issuer.issue(OFFICER))


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_unsigned_and_symmetric_tokens_are_refused(algorithm: str) -> None:
    _, public_pem = generate_keypair()
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": "motcua-deadlines",
        "aud": "motcua",
        "sub": "x",
        "name": "x",
        "unit": "000.00.00.H01",
        "roles": ["leader"],
        "iat": now,
        "exp": now + 600,
    }
    # The classic confusion attack: HMAC keyed with the public key the verifier trusts
    # (built by hand: PyJWT itself refuses to use a PEM as an HMAC secret).
    header = _b64(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64(signature) if algorithm == 'HS256' else ''}"
    with pytest.raises(InvalidOfficerToken):
        TokenVerifier.from_pem(public_pem).verify(token)


def test_a_token_with_an_unknown_role_or_no_unit_is_refused() -> None:
    issuer, verifier = pair()
    forged = Officer("x", "x", "", frozenset())
    with pytest.raises(InvalidOfficerToken):
        verifier.verify(issuer.issue(forged))
    with pytest.raises(ValueError, match="unknown role 'admin'"):
        parse_roles(["duty_officer", "admin"])


def test_garbage_is_refused() -> None:
    _, verifier = pair()
    for token in ["", "abc", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30.AAAA"]:
        with pytest.raises(InvalidOfficerToken):
            verifier.verify(token)
