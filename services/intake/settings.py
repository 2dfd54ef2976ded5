"""Settings of the intake service, from the environment (every one in docs/settings.md)."""

from __future__ import annotations

from datetime import time

from pydantic import Field, SecretStr

from motcua.identity import PagesSettings, SignInSettings
from motcua.outbox import OutboxSettings


class IntakeSettings(OutboxSettings, SignInSettings, PagesSettings):
    """Everything intake reads from its environment."""

    paper_cutoff: time = Field(
        default=time(15, 0),
        description="Paper dossiers received after this local time start their clock the next "
        "working day (Nghị định 61 Điều 18).",
    )
    applicant_ref_key: SecretStr | None = Field(
        default=None,
        description="HMAC key making applicant references stable per person; unset = a random "
        "reference per dossier.",
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connections per process.")
    inbound_enabled: bool = Field(
        default=True,
        description="Consume commands from the motcua.intake-commands topic in the API process.",
    )
    apology_letters_enabled: bool = Field(
        default=True,
        description="Apply the deadlines service's issued apology letters (motcua.apology-letters) "
        "as the reschedule transition, in the API process.",
    )
    inbound_group_id: str = Field(
        default="motcua-intake-inbound",
        description="Consumer group of intake's Kafka door (commands and issued apology letters).",
    )
    apology_system: str = Field(
        default="deadlines",
        description="The registered system (scope dossiers:reschedule) whose issued apology "
        "letters move a dossier's appointment.",
    )
    reschedule_once: bool = Field(
        default=True,
        description="An appointment may be moved once only (Nghị định 61 Điều 19 khoản 9; "
        "unconfirmed under NĐ 118/2025, hence a setting).",
    )
    group_committers: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Threads per process committing single receipts together (group commit).",
    )
    group_commit_max: int = Field(
        default=200, ge=1, le=1000, description="Most single receipts one group commit writes."
    )
    batch_max_items: int = Field(
        default=1000, ge=1, description="Most events accepted by one `POST /v1/events:batch`."
    )
    occurred_at_max_past_days: int = Field(
        default=3653,
        ge=1,
        le=36500,
        description="How far in the past a command's occurred_at may lie (days); older is 422.",
    )
    occurred_at_max_future_s: float = Field(
        default=300.0,
        ge=0,
        le=100 * 366 * 86400,  # a test of far-off calendars may open it that far
        description="How far in the future a command's occurred_at may lie (clock skew, "
        "seconds); later is 422.",
    )
    calendar_startup_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="How long a starting process waits to have read every announced calendar "
        "override (motcua.calendar-overrides) before it refuses to start: a due date computed "
        "without them would be wrong on the receipt.",
    )
    retention_result_years: int = Field(
        default=10,
        ge=1,
        le=100,
        description="Years an applicant's personal data is kept after a dossier's result was "
        "produced or handed over (completed, returned); see docs/personal-data.md.",
    )
    retention_refused_years: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Years an applicant's personal data is kept after a dossier was rejected "
        "or withdrawn; see docs/personal-data.md.",
    )
    anonymisation_interval_s: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds between the anonymisation runs inside each intake process; 0 = "
        "never in the process (run `python -m services.intake.manage anonymise`).",
    )
    subject_hash_key: SecretStr | None = Field(
        default=None,
        description="HMAC key turning an ID number into the keyed hash that legal holds and "
        "the data-subject request log keep; unset = those doors answer 503 and the "
        "anonymisation does not run.",
    )
