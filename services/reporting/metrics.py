"""Reporting's Prometheus metrics.

Label cardinality is bounded by design: province (the units directly under the root in
today's tree — the 34 provincial police since the 2025 reform, and the ministry's own
departments; a retired province's or commune's figures, history included, are its final
successor's), field (a dozen procedure fields), a measure or level from a fixed list —
never a dossier, a commune or an officer, which would make a series per citizen.

The business gauges and the consumer lag are the same whichever worker computes them, so
only the worker holding the ``gauges`` advisory lock exports them (``gauges.py``); every
other replica exports none, and a dashboard summing over instances counts once.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_APPLIED = Counter(
    "motcua_reporting_events_applied_total",
    "Events applied to the official figures, by topic.",
    ["topic"],
)
VISIBLE_SECONDS = Histogram(
    "motcua_reporting_visible_seconds",
    "From an event's Kafka timestamp to the commit that makes it visible in the figures.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)
LAST_APPLIED = Gauge(
    "motcua_reporting_last_applied_timestamp_seconds",
    "Unix time of this worker's last committed batch.",
)
CONSUMER_LAG = Gauge(
    "motcua_kafka_consumer_lag",
    "Messages behind the end of the topic, per platform consumer group (one worker exports).",
    ["group", "topic"],
)
DOSSIERS = Gauge(
    "motcua_reporting_dossiers",
    "This month's dossiers (Vietnam time) by province, field and measure (one worker exports).",
    ["province", "field", "measure"],
)
SATISFACTION = Gauge(
    "motcua_reporting_satisfaction_ratio",
    "This month's satisfied valid answers over valid answers.",
    ["province", "field"],
)
RESPONSE = Gauge(
    "motcua_reporting_response_ratio",
    "This month's invited dossiers with a valid answer over invited dossiers.",
    ["province"],
)
APOLOGY_COMPLIANCE = Gauge(
    "motcua_reporting_apology_compliance_ratio",
    "This month's late dossiers whose letter went out in time over late dossiers.",
    ["province"],
)
APOLOGY_DELIVERY_COMPLIANCE = Gauge(
    "motcua_reporting_apology_delivery_compliance_ratio",
    "This month's late dossiers whose letter reached the citizen in time over late dossiers.",
    ["province"],
)
APOLOGY_DELIVERY_FAILURES = Gauge(
    "motcua_reporting_apology_delivery_failures",
    "This month's apology letters whose every notice failed for good (not reached the citizen).",
    ["province"],
)
RATINGS = Gauge(
    "motcua_reporting_ratings",
    "This month's answers by overall level (invalid: paper forms that do not count).",
    ["province", "level"],
)
RECONCILIATION_DIFFERENCE = Gauge(
    "motcua_reporting_reconciliation_difference",
    "Live figures minus the recomputation from intake's API (0 when healthy).",
    ["measure"],
)
RECONCILED_AT = Gauge(
    "motcua_reporting_reconciliation_timestamp_seconds",
    "Unix time of the last reconciliation with intake.",
)
