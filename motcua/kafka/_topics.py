"""Every topic the platform uses, declared once.

The local stack, the test stack and docker-compose create topics from this list only:
brokers run with auto-create off, so a topic missing here is a start-up error, not a
silently created single-partition topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

DAY_MS = 24 * 60 * 60 * 1000
REBUILD_RETENTION_DAYS = 400
"""What reporting rebuilds its figures from is kept more than a year (``manage rebuild``
replays it into a fresh schema; a year's figures must come back whole)."""


class Topic(StrEnum):
    DOSSIER_EVENTS = "motcua.dossier-events"
    INTAKE_COMMANDS = "motcua.intake-commands"
    DEADLINE_ALERTS = "motcua.deadline-alerts"
    APOLOGY_LETTERS = "motcua.apology-letters"
    APOLOGY_DELIVERIES = "motcua.apology-deliveries"
    RATING_INVITATIONS = "motcua.rating-invitations"
    RATING_SUBMISSIONS = "motcua.rating-submissions"
    CALENDAR_OVERRIDES = "motcua.calendar-overrides"
    DLQ_INTAKE = "motcua.dlq.intake"
    DLQ_DEADLINES = "motcua.dlq.deadlines"
    DLQ_RATINGS = "motcua.dlq.ratings"
    DLQ_REPORTING = "motcua.dlq.reporting"


def dead_letter_topic(service: str) -> Topic:
    """The dead-letter topic a consumer of ``service`` gives up to."""
    return Topic(f"motcua.dlq.{service}")


@dataclass(frozen=True)
class TopicSpec:
    name: str
    """A :class:`Topic` of the platform (any name in the tests)."""
    purpose: str
    partitions: int = 6
    retention_days: int = 30
    cleanup_policy: str = "delete"
    extra_config: dict[str, str] = field(default_factory=dict)

    def config(self) -> dict[str, str]:
        return {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(self.retention_days * DAY_MS),
            **self.extra_config,
        }


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        Topic.DOSSIER_EVENTS,
        "Dossier lifecycle facts published by intake's outbox relay; keyed by dossier id.",
        retention_days=REBUILD_RETENTION_DAYS,
    ),
    TopicSpec(
        Topic.INTAKE_COMMANDS,
        "Inbound commands from upstream case systems that write to Kafka directly.",
        retention_days=7,
    ),
    TopicSpec(Topic.DEADLINE_ALERTS, "Due-soon, overdue and resolved-late alerts."),
    TopicSpec(
        Topic.APOLOGY_LETTERS,
        "Apology letters (Mẫu 04) issued.",
        retention_days=REBUILD_RETENTION_DAYS,
    ),
    TopicSpec(
        Topic.APOLOGY_DELIVERIES,
        "Where each apology letter's notice to the citizen stands (sent, delivered, failed, "
        "posted), keyed by dossier id; no contact data.",
        retention_days=REBUILD_RETENTION_DAYS,
    ),
    TopicSpec(
        Topic.RATING_INVITATIONS,
        "Invitations sent to citizens to rate the service.",
        retention_days=REBUILD_RETENTION_DAYS,
    ),
    TopicSpec(
        Topic.RATING_SUBMISSIONS,
        "Accepted citizen ratings and their follow-ups.",
        retention_days=REBUILD_RETENTION_DAYS,
    ),
    TopicSpec(
        Topic.CALENDAR_OVERRIDES,
        "Announced calendar overrides (days off, Saturdays worked), keyed by date; every "
        "service that counts working time reads it from the beginning.",
        # One partition: a handful of records a year, read whole by every process.
        partitions=1,
        cleanup_policy="compact",
    ),
    *(
        TopicSpec(dead_letter_topic(service), f"Messages {service} gave up on, with the reason.")
        for service in ("intake", "deadlines", "ratings", "reporting")
    ),
)
