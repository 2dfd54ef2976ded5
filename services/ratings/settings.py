"""Settings of the ratings service, from the environment (every one in docs/settings.md)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from motcua.delivery import DeliverySettings
from motcua.identity import PagesSettings, SignInSettings
from motcua.outbox import OutboxSettings


class RatingsSettings(OutboxSettings, DeliverySettings, SignInSettings, PagesSettings):
    """Everything ratings reads from its environment."""

    ratings_public_url: str = Field(
        default="http://127.0.0.1:8003",
        description="Public address of the rating form; links are `RATINGS_PUBLIC_URL/r/<token>`.",
    )
    db_pool_size: int = Field(default=10, ge=2, description="PostgreSQL connections per process.")
    invitations_enabled: bool = Field(
        default=True,
        description="Consume returned and rejected dossiers (motcua.dossier-events) in the API "
        "process and create their invitations.",
    )
    ratings_group_id: str = Field(
        default="motcua-ratings", description="Consumer group of ratings' invitation consumer."
    )
    invitations_batch_size: int = Field(
        default=500, ge=1, description="Dossier events the consumer handles per transaction."
    )
    invitation_expiry_days: int = Field(
        default=30, ge=1, description="Days an invitation's link stays usable."
    )
    ratings_token_key: SecretStr | None = Field(
        default=None,
        description="Secret sealing tokens until their messages are sent (AES-GCM); unset = a "
        "key of this process only.",
    )
    delivery_enabled: bool = Field(
        default=True, description="Run the invitation sender in the API process."
    )
    intake_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Intake's API, asked for the citizen's contact at send time.",
    )
    intake_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="Ratings' read-only intake API key (scope dossiers:read, root unit).",
    )
    reference_refresh_s: float = Field(
        default=300.0,
        ge=1.0,
        le=86_400.0,
        description="How often the pages reload intake's unit tree and procedure catalogue "
        "(names, head titles, public phones).",
    )
    delivery_batch_size: int = Field(
        default=200, ge=1, description="Deliveries the sender takes per round."
    )
    delivery_concurrency: int = Field(
        default=100, ge=1, description="Messages the sender has in flight at once."
    )
    reminder_after_days: float = Field(
        default=3, gt=0, description="Days after the invitation an unanswered one is reminded."
    )
    form_secret: SecretStr | None = Field(
        default=None,
        description="Key signing the forms' CSRF tokens; unset = a random key per process, "
        "so set it when HTTP_WORKERS > 1 (a form served by one worker is posted to another).",
    )
    entry_form_lifetime_s: int = Field(
        default=3600,
        ge=60,
        description="How long a kiosk, paper or phone entry form opened by a signed-in officer "
        "may still be submitted when the officer's sign-in token has run out meanwhile.",
    )
    rate_limit_per_address: str = Field(
        default="120/minute",
        description="Requests one client address may make to the citizens' rating pages "
        "(the `limits` notation: `120/minute`, `10/second`); more is 429 with Retry-After.",
    )
    rate_limit_per_token: str = Field(
        default="20/minute",
        description="Requests naming one rating token (known or not) the public doors accept.",
    )
    portal_quota_per_minute: int = Field(
        default=6000,
        ge=1,
        description="Ratings a minute one portal key (national portal, VNeID) may post through "
        "`POST /v1/ratings` and `:batch`, unless the key has its own (`create-key --per-minute`); "
        "more is 429 with Retry-After.",
    )
    portal_batch_max_items: int = Field(
        default=500, ge=1, description="Most ratings one `POST /v1/ratings:batch` takes."
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
