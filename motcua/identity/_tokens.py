"""The officers' sign-in token: a short-lived JWT signed with Ed25519 (EdDSA).

The service that owns accounts (deadlines) holds the private key and issues the token at
sign-in; every other service holds only the public key and checks it, with no database and
no call to the issuer. An OIDC provider (Keycloak) replaces the issuer in production by
signing the same claims; the verifiers only change the key they trust (docs/operations.md,
"One sign-in for every service").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from motcua.identity._officer import Officer, parse_roles

ALGORITHM = "EdDSA"
DEFAULT_ISSUER = "motcua-deadlines"
AUDIENCE = "motcua"
DEFAULT_LIFETIME = timedelta(minutes=10)
LEEWAY = timedelta(seconds=30)
"""Clock skew allowed between the issuer's and a verifier's machines."""


class InvalidOfficerToken(ValueError):
    """Missing, expired, forged or malformed: the caller signs in again."""


def generate_keypair() -> tuple[bytes, bytes]:
    """A new (private PEM, public PEM) pair for the local stack and tests."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def write_keypair(private_path: Path, public_path: Path) -> None:
    """Create the pair unless it exists; the private key is readable by its owner only."""
    if private_path.exists() and public_path.exists():
        return
    private_pem, public_pem = generate_keypair()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.touch(mode=0o600)
    private_path.write_bytes(private_pem)
    public_path.write_bytes(public_pem)


@dataclass(frozen=True)
class TokenIssuer:
    private_key: Ed25519PrivateKey
    issuer: str = DEFAULT_ISSUER
    lifetime: timedelta = DEFAULT_LIFETIME

    @classmethod
    def from_pem(cls, pem: bytes, **options: Any) -> TokenIssuer:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the officer-token private key must be an Ed25519 key")
        return cls(key, **options)

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def issue(self, officer: Officer, *, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": officer.username,
            "name": officer.display_name,
            "unit": officer.unit_code,
            "roles": sorted(role.value for role in officer.roles),
            "iat": int(issued.timestamp()),
            "exp": int((issued + self.lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM)


@dataclass(frozen=True)
class TokenVerifier:
    public_key: Ed25519PublicKey
    issuer: str = DEFAULT_ISSUER

    @classmethod
    def from_pem(cls, pem: bytes, **options: Any) -> TokenVerifier:
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the officer-token public key must be an Ed25519 key")
        return cls(key, **options)

    def verify(self, token: str) -> Officer:
        """The officer the token names; InvalidOfficerToken for anything else."""
        return self.verify_until(token)[0]

    def verify_until(self, token: str) -> tuple[Officer, datetime]:
        """The officer the token names and when the token expires.

        Only EdDSA is accepted (never ``none`` or an HMAC keyed with the public key), and
        issuer, audience, expiry and every claim the services rely on are required.
        """
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self.issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
            name, unit, roles = claims["name"], claims["unit"], claims["roles"]
        except jwt.ExpiredSignatureError:
            raise InvalidOfficerToken("the sign-in token expired") from None
        except (jwt.InvalidTokenError, KeyError) as exc:
            raise InvalidOfficerToken(f"not a valid sign-in token ({type(exc).__name__})") from None
        if not (isinstance(name, str) and isinstance(unit, str) and unit):
            raise InvalidOfficerToken("the token lacks the officer's name or unit")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise InvalidOfficerToken("the token's roles are not a list of names")
        try:
            officer = Officer(claims["sub"], name, unit, parse_roles(roles))
        except ValueError as exc:
            raise InvalidOfficerToken(str(exc)) from None
        return officer, datetime.fromtimestamp(claims["exp"], UTC)
