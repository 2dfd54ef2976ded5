"""The relay's metrics, one series per service (``service``): the same names, alerts and
dashboard panels for every service that publishes through an outbox."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_LAG = Gauge(
    "motcua_outbox_lag_seconds",
    "Age of the oldest unpublished outbox event, by service.",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "motcua_outbox_published_total", "Outbox events published to Kafka, by service.", ["service"]
)
PUBLISH_ERRORS = Counter(
    "motcua_outbox_publish_errors_total",
    "Outbox events Kafka did not acknowledge, by service and error.",
    ["service", "error"],
)
