"""Settings of the reporting service, from the environment (every one in docs/settings.md)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from motcua.identity import PagesSettings, SignInSettings
from motcua.settings import ServiceSettings


class ReportingSettings(ServiceSettings, SignInSettings, PagesSettings):
    """Everything reporting reads from its environment."""

    db_pool_size: int = Field(default=6, ge=2, description="PostgreSQL connections per process.")
    consumer_enabled: bool = Field(
        default=True,
        description="Count events in this process (every process of the group shares the "
        "partitions).",
    )
    exporter_enabled: bool = Field(
        default=True,
        description="Take part in electing the one worker that exports the business gauges, "
        "the consumer lag and the reconciliation.",
    )
    reporting_group_id: str = Field(
        default="motcua-reporting", description="Consumer group of reporting's fact consumer."
    )
    reporting_topic_prefix: str = Field(
        default="",
        description="Read `<prefix>motcua.dossier-events` and the others instead of the "
        "platform's topics (a shared cluster, the tests' own topics).",
    )
    consumer_batch_size: int = Field(
        default=2000, ge=1, description="Events stored per transaction at most."
    )
    intake_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Intake's API: unit and procedure names, and the reconciliation's tally.",
    )
    intake_api_key: SecretStr = Field(
        default=SecretStr(""),
        description="Reporting's read-only intake API key (scope dossiers:read, root unit).",
    )
    reconcile_interval_s: float = Field(
        default=60.0, gt=0, description="Seconds between reconciliations with intake."
    )
    gauges_interval_s: float = Field(
        default=15.0, gt=0, description="Seconds between refreshes of the business gauges."
    )
    ranking_min_answers: int = Field(
        default=30,
        ge=1,
        description="Valid answers a unit needs in the period to be ranked; below it the "
        "ranking says 'not enough answers'.",
    )
    publish_deepest_level: int = Field(
        default=3,
        ge=1,
        description="The deepest level of the unit tree whose figures are published at "
        "/cong-khai (1 the ministry, 2 a province's police, 3 the units directly under a "
        "province); deeper units are never published.",
    )
    publish_max_age_s: int = Field(
        default=3600,
        ge=0,
        description="How long browsers and proxies may keep a published page or file "
        "(Cache-Control max-age); they revalidate with its ETag after that.",
    )
    lag_groups: str = Field(
        default="motcua-intake-inbound,motcua-deadlines,motcua-deadlines-delivered,"
        "motcua-ratings,motcua-reporting",
        description="Consumer groups whose lag reporting exports (comma-separated; a fixed "
        "list keeps the label set bounded).",
    )
