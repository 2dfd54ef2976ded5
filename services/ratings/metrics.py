"""Ratings' domain metrics (the shared HTTP latency histogram lives in motcua.metrics):
invitations created, sent, failed and reminded, by channel (``qr`` for the invitations only
the slip's QR code carries), and the answers.

Submissions are counted as they are stored, per process (Prometheus sums the processes);
the follow-up gauges are ``followups/gauges.py``.
"""

from __future__ import annotations

from prometheus_client import Counter

INVITATIONS_CREATED = Counter(
    "motcua_ratings_invitations_created_total",
    "Rating invitations created (one per returned or rejected dossier), by channel.",
    ["channel"],
)
HISTORY_NOT_INVITED = Counter(
    "motcua_ratings_history_not_invited_total",
    "Returned or rejected dossiers brought across by the history importer, which invite "
    "nobody: by history mark (closed, open) and outcome.",
    ["history", "outcome"],
)
INVITATIONS_SENT = Counter(
    "motcua_ratings_invitations_sent_total",
    "Invitation messages handed to their channel, by channel.",
    ["channel"],
)
INVITATIONS_FAILED = Counter(
    "motcua_ratings_invitations_failed_total",
    "Invitation or reminder messages given up after their last try, by channel and kind.",
    ["channel", "kind"],
)
INVITATIONS_REMINDED = Counter(
    "motcua_ratings_invitations_reminded_total",
    "Reminders sent for invitations still unanswered, by channel.",
    ["channel"],
)
FOLLOWUP_NOTICES = Counter(
    "motcua_ratings_followup_notices_total",
    "Citizens told that the follow-up of their unhappy answer was closed, by channel.",
    ["channel"],
)
DELIVERY_ATTEMPTS = Counter(
    "motcua_ratings_delivery_attempts_total",
    "Tries of sending a message, by channel and result (ok, transient, permanent).",
    ["channel", "result"],
)

SUBMITTED = Counter(
    "motcua_ratings_submitted_total",
    "Valid ratings stored, by channel and overall level (very_satisfied, satisfied, dissatisfied).",
    ["channel", "overall"],
)
INVALID_FORMS = Counter(
    "motcua_ratings_invalid_forms_total",
    "Invalid paper forms recorded (counted apart, out of the denominator), by reason.",
    ["reason"],
)
PHONE_CALLS = Counter(
    "motcua_ratings_phone_calls_total",
    "Calls made to ask a citizen for a rating, by outcome (answered, unreachable, declined): "
    "counted apart from the ratings.",
    ["outcome"],
)
REFUSED = Counter(
    "motcua_ratings_refused_total",
    "Answers refused, by reason (unknown, not_returned, already_rated, expired, invalid, "
    "csrf, rate_limited, serial_used).",
    ["reason"],
)
