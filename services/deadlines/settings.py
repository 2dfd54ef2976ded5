"""Settings of the deadlines service, from the environment (every one in docs/settings.md)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from motcua.delivery import DeliverySettings
from motcua.identity import PagesSettings, TokenCheckSettings
from motcua.outbox import OutboxSettings
from motcua.streaming import StreamSettings


class DeadlinesSettings(
    StreamSettings, OutboxSettings, DeliverySettings, TokenCheckSettings, PagesSettings
):
    """Everything deadlines reads from its environment."""

    app_id: str = Field(
        default="motcua-deadlines",
        description="Faust app id: the consumer group and the prefix of its table topics.",
    )
    apology_working_days: int = Field(
        default=1,
        ge=0,
        le=30,
        description="Working days before the due date by which the apology letter must go "
        "out (Nghị định 61/2018 Điều 19 khoản 9: one).",
    )
    due_soon_lead_working_days: int = Field(
        default=1,
        ge=0,
        le=30,
        description="Working days before the apology deadline when the due-soon alert fires "
        "and the draft letter appears, so the officer has time to issue it.",
    )
    check_batch_size: int = Field(
        default=1000,
        ge=1,
        le=10_000,
        description="Checks handled together: their alerts share one board transaction.",
    )
    tick_interval_s: float = Field(
        default=0.2, gt=0, le=1.0, description="How often the timer looks for due checks."
    )
    intake_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Intake's base URL, asked for the citizen's details when a letter is issued.",
    )
    intake_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="Deadlines' read-only intake API key (scope dossiers:read, root unit).",
    )
    reference_refresh_s: float = Field(
        default=300.0,
        ge=1.0,
        le=86_400.0,
        description="How often the board reloads intake's procedure catalogue and unit tree "
        "(names shown on the board); the last good copy is kept meanwhile.",
    )
    suggested_extension_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="The extension the apology-letter form suggests, in working days.",
    )
    officer_token_private_key_file: str = Field(
        default="",
        description="PEM file of the Ed25519 private key that signs officers' sign-in "
        "tokens (deadlines owns sign-in); the other services hold only its public key. "
        "Unset: a key made up at start, so only deadlines' own pages work (a warning says so).",
    )
    officer_token_lifetime_s: int = Field(
        default=600,
        ge=60,
        le=3600,
        description="How long a sign-in token is good for; pages renew it from the session "
        "(12 h), so this bounds how long a closed session stays usable elsewhere.",
    )
    signin_cookies_secure: bool = Field(
        default=False,
        description="Mark the session and sign-in cookies Secure (sent over HTTPS only): "
        "set it wherever the pages are served over TLS; the local stack speaks plain HTTP.",
    )
    signin_account_failures: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Failed sign-ins of one username (known or not) within the window after "
        "which its attempts are refused with 429, unchecked, until the window lets them go.",
    )
    signin_address_failures: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Failed sign-ins from one client address within the window after which "
        "its attempts are refused with 429, unchecked.",
    )
    signin_window_s: int = Field(
        default=900,
        ge=60,
        le=86_400,
        description="The sign-in throttle's window, in seconds: failures older count for nothing.",
    )
    signin_return_origins: str = Field(
        default="",
        description="Comma-separated origins (e.g. http://127.0.0.1:8003) of the other "
        "services' pages, to which sign-in may send the browser back; any other `next` "
        "goes to the board.",
    )
    letter_notices_enabled: bool = Field(
        default=True,
        description="Run the sender of the apology letters' notices in the worker process.",
    )
    letter_public_url: str = Field(
        default="http://127.0.0.1:8002",
        description="The officers' web as a citizen's browser reaches it: a notice's link is "
        "`LETTER_PUBLIC_URL/l/<token>`.",
    )
    letter_link_ttl_days: int = Field(
        default=30, ge=1, le=365, description="Days a notice's link to the letter stays usable."
    )
