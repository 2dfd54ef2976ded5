"""Settings of the ratings service, from the environment (see the README's settings table)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from motcua.identity import PagesSettings, SignInSettings
from motcua.settings import ServiceSettings


class RatingsSettings(ServiceSettings, SignInSettings, PagesSettings):
    """Everything ratings reads from its environment."""

    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connections per process.")
    form_secret: SecretStr | None = Field(
        default=None,
        description="Key signing the forms' CSRF tokens; unset = a random key per process, "
        "so set it when HTTP_WORKERS > 1 (a form served by one worker is posted to another).",
    )
    rate_limit_per_address: str = Field(
        default="120/minute",
        description="Requests one client address may make to the public rating pages and API "
        "(the `limits` notation: `120/minute`, `10/second`); more is 429 with Retry-After.",
    )
    rate_limit_per_token: str = Field(
        default="20/minute",
        description="Requests naming one rating token (known or not) the public doors accept.",
    )
    rate_limit_storage_uri: str = Field(
        default="memory://",
        description="Where the rate-limit counters live (`memory://` per process; "
        "`redis://…` to share them between processes and hosts).",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark the CSRF cookie Secure (set behind HTTPS in production).",
    )
