"""The deadlines service's metrics: what ops and inspection watch."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OPEN_DOSSIERS = Gauge("motcua_deadlines_open_dossiers", "Open dossiers tracked by this worker.")
ALERTS = Counter("motcua_deadlines_alerts_total", "Alerts emitted, by kind.", ["kind"])
ALERT_LAG = Histogram(
    "motcua_deadlines_alert_lag_seconds",
    "Emit time minus the instant the alert became due.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 30.0, 300.0),
)
