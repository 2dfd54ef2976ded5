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
HISTORY_CLOSED = Counter(
    "motcua_deadlines_history_closed_events_total",
    "Dossier events of dossiers closed in history (the history importer's): read and left "
    "alone, no clock, no alert, no letter.",
)
EVENT_GAPS = Counter(
    "motcua_deadlines_event_gaps_total",
    "Dossier events the worker's stream skipped: `read_back` from the partition and "
    "applied in order, or `missing` (a dossier's event still not the next after its clock "
    "once that and the clocks changelog were read: what they settled, a resolved-late "
    "alert, is lost). `missing` is zero when healthy; alerted.",
    ["outcome"],
)
CLOCKS_RESTORED = Counter(
    "motcua_deadlines_clocks_restored_total",
    "Clocks a worker's table had lost (Faust's recovery of a partition can miss changelog "
    "records) found again in the clocks changelog, compared after every recovery or at an "
    "event showing the loss.",
)
OVERDUE_NOW = Gauge(
    "motcua_deadlines_overdue_dossiers", "Open dossiers past their due date (all units)."
)
LATE_WITHOUT_LETTER = Gauge(
    "motcua_deadlines_late_without_letter",
    "Overdue dossiers with no issued apology letter, per handling unit: zero in a healthy unit.",
    ["unit"],
)
LETTERS_ISSUED_LATE = Gauge(
    "motcua_deadlines_letters_issued_late",
    "Apology letters issued after their apology deadline, per unit (all time).",
    ["unit"],
)
LETTERS = Gauge(
    "motcua_deadlines_apology_letters", "Apology letters of open dossiers, by status.", ["status"]
)
CONSUMER_LAG = Gauge(
    "motcua_deadlines_consumer_lag",
    "Records not yet read, per assigned partition.",
    ["topic", "partition"],
)
CALENDAR_OVERRIDES = Gauge(
    "motcua_deadlines_calendar_overrides",
    "Announced calendar overrides (days off and days worked) this worker counts time with.",
)
LETTER_NOTICES = Counter(
    "motcua_letter_notices_total",
    "Apology letter notices moved to a state (queued to print, sent, delivered, failed), "
    "by channel.",
    ["channel", "state"],
)
SIGNIN_FAILURES = Counter(
    "motcua_deadlines_signin_failures_total",
    "Failed officer sign-ins, by reason: wrong_password, unknown (no such account, or a "
    "disabled one) or throttled (refused unchecked). Never by username.",
    ["reason"],
)
for _reason in ("wrong_password", "unknown", "throttled"):
    SIGNIN_FAILURES.labels(_reason)  # at zero from the start, so increase() sees the first
