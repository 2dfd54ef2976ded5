"""How a service's pages find the signed-in officer: the token from the cookie every
Motcua service on the same host shares (or an ``Authorization: Bearer`` header, for API
clients), checked with the public key; without one, a redirect to the sign-in service,
which hands the browser back once it has a session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings

from motcua.identity._officer import Officer
from motcua.identity._tokens import DEFAULT_ISSUER, InvalidOfficerToken, TokenVerifier

TOKEN_COOKIE = "motcua_officer"  # noqa: S105 (a cookie name)
CONTINUE_PATH = "/auth/continue"


class TokenCheckSettings(BaseSettings):
    """Which sign-in tokens a service trusts."""

    officer_token_public_key_file: str = Field(
        default="",
        description="PEM file of the Ed25519 public key that checks officers' sign-in tokens "
        "(or an OIDC provider's key). Unset: the service's officer pages answer 503.",
    )
    officer_token_issuer: str = Field(
        default=DEFAULT_ISSUER,
        description="The `iss` the sign-in tokens must carry (the deadlines service, or the "
        "OIDC realm's issuer URL).",
    )

    def token_verifier(self) -> TokenVerifier | None:
        if not self.officer_token_public_key_file:
            return None
        pem = Path(self.officer_token_public_key_file).read_bytes()
        return TokenVerifier.from_pem(pem, issuer=self.officer_token_issuer)


class SignInSettings(TokenCheckSettings):
    """What a service with officers' pages needs to know about sign-in."""

    signin_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Base URL of the sign-in service (deadlines): where a page without a "
        "valid token sends the browser, to `/auth/continue?next=…`.",
    )


class PagesSettings(BaseSettings):
    """Where each service's officer pages live, for the links between them in the header."""

    pages_board_url: str = Field(
        default="http://127.0.0.1:8002/board",
        description="The duty-officer board (deadlines), as the browser reaches it.",
    )
    pages_ratings_url: str = Field(
        default="http://127.0.0.1:8003/staff",
        description="Ratings' staff pages, as the browser reaches them.",
    )
    pages_reporting_url: str = Field(
        default="http://127.0.0.1:8004/reports",
        description="Reporting's leaders' page, as the browser reaches it.",
    )
    pages_intake_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Intake as the browser reaches it: its one page is the inspectors' "
        "audit trail (`/audit`).",
    )

    def audit_pages(self) -> tuple[tuple[str, str], ...]:
        """Each service's audit page (service, URL), so an inspector moves between them."""
        return (
            ("intake", f"{self.pages_intake_url.rstrip('/')}/audit"),
            ("deadlines", f"{self.pages_board_url.rstrip('/')}/audit"),
            ("ratings", f"{self.pages_ratings_url.rstrip('/')}/audit"),
            ("reporting", f"{self.pages_reporting_url.rstrip('/')}/audit"),
        )


def token_cookie(token: str, *, max_age_s: int, secure: bool = False) -> str:
    """Set-Cookie for the token: HttpOnly; SameSite=Lax so a link from an e-mail or SMS
    opens a page signed in, while other sites still cannot post forms with it; Secure
    (HTTPS only) wherever the platform is served over TLS."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[TOKEN_COOKIE] = token
    cookie[TOKEN_COOKIE].update(
        {"httponly": "true", "samesite": "Lax", "path": "/", "max-age": str(max_age_s)}
    )
    if secure:
        cookie[TOKEN_COOKIE]["secure"] = True
    return cookie[TOKEN_COOKIE].OutputString()


def token_from(cookies: Mapping[str, str], authorization: str | None) -> str | None:
    """The bearer token if the request names one, else the shared cookie's."""
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return cookies.get(TOKEN_COOKIE) or None


def safe_next(next_url: str | None, allowed_origins: Iterable[str], default: str) -> str:
    """Where to send the browser after sign-in: a path on this service, or a page on one
    of the platform's own services; anything else (another site) goes to ``default``."""
    if not next_url:
        return default
    parts = urlsplit(next_url)
    if not parts.scheme and not parts.netloc and next_url.startswith("/"):
        return default if next_url.startswith("//") or "\\" in next_url else next_url
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = {o.rstrip("/").lower() for o in allowed_origins if o}
    return next_url if parts.scheme in ("http", "https") and origin in allowed else default


@dataclass(frozen=True)
class OfficerGate:
    """One per service: checks tokens, and says where to sign in."""

    verifier: TokenVerifier | None
    signin_url: str

    @classmethod
    def from_settings(cls, settings: SignInSettings) -> OfficerGate:
        return cls(settings.token_verifier(), settings.signin_url.rstrip("/"))

    @property
    def configured(self) -> bool:
        return self.verifier is not None

    def officer(self, cookies: Mapping[str, str], authorization: str | None) -> Officer | None:
        """The signed-in officer, or None (no token, expired, forged, not configured)."""
        token = token_from(cookies, authorization)
        if token is None or self.verifier is None:
            return None
        try:
            return self.verifier.verify(token)
        except InvalidOfficerToken:
            return None

    def sign_in_location(self, page_url: str) -> str:
        """The sign-in service's hand-off, coming back to ``page_url`` afterwards."""
        return f"{self.signin_url}{CONTINUE_PATH}?next={quote(page_url, safe='')}"
