"""Prometheus metrics shared by every service (each service adds its own domain metrics)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

HTTP_REQUEST_SECONDS = Histogram(
    "motcua_http_request_duration_seconds",
    "HTTP request latency by route and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
READINESS = Gauge(
    "motcua_dependency_up",
    "1 when the last readiness check of a dependency passed.",
    ["dependency"],
)
DEAD_LETTERS = Counter(
    "motcua_dead_letters_total", "Messages sent to a dead-letter topic, by reason.", ["reason"]
)
CONSUMED = Counter(
    "motcua_messages_consumed_total", "Messages a consumer finished with, by topic.", ["topic"]
)
CONSUMER_LAG = Gauge(
    "motcua_consumer_lag_messages",
    "Messages behind a partition's end after a consumer loop's last batch on it.",
    ["consumer", "topic", "partition"],
)

LOOP_UP = Gauge(
    "motcua_loop_up",
    "1 while a supervised background loop runs, 0 while it waits to restart.",
    ["loop"],
)
LOOP_RESTARTS = Counter(
    "motcua_loop_restarts_total",
    "Background loops restarted after they failed, by loop.",
    ["loop"],
)


def render_metrics() -> tuple[bytes, str]:
    """The Prometheus exposition and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
