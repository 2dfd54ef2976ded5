"""Ratings' own Prometheus metrics: invitations created, sent, failed and reminded, by
channel (``qr`` for the invitations only the slip's QR code carries)."""

from __future__ import annotations

from prometheus_client import Counter

INVITATIONS_CREATED = Counter(
    "motcua_ratings_invitations_created_total",
    "Rating invitations created (one per returned or rejected dossier), by channel.",
    ["channel"],
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
DELIVERY_ATTEMPTS = Counter(
    "motcua_ratings_delivery_attempts_total",
    "Tries of sending a message, by channel and result (ok, transient, permanent).",
    ["channel", "result"],
)
