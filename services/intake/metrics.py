"""Intake's domain metrics (the shared HTTP latency histogram lives in motcua.metrics, the
outbox relay's in motcua.outbox)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RECEIVED = Counter(
    "motcua_intake_dossiers_received_total",
    "Dossiers received, by intake channel and receiving unit level.",
    ["channel", "unit_level"],
)
TRANSITIONS = Counter(
    "motcua_intake_transitions_total", "Lifecycle transitions recorded, by type.", ["transition"]
)
REJECTS = Counter(
    "motcua_intake_commands_rejected_total",
    "Commands refused (nothing written), by reason and door (http, batch, kafka).",
    ["reason", "door"],
)
REPLAYS = Counter(
    "motcua_intake_commands_replayed_total",
    "Commands seen before, answered with their original outcome.",
    ["door"],
)
LETTERS_FOR_FINISHED = Counter(
    "motcua_intake_letters_for_finished_dossiers_total",
    "Issued apology letters for dossiers whose result was given before the letter arrived: "
    "no appointment left to move, so nothing is written and nothing is dead-lettered.",
)
BATCH_ABORTS = Counter(
    "motcua_intake_batch_aborts_total",
    "Write transactions PostgreSQL aborted (every door: single requests, groups of "
    "receipts, batches, the Kafka door), by error (deadlock, serialization, "
    "connection_lost: the server went away under it); each is run again whole by the unit "
    "of work. Deadlocks stay at zero while every writer locks in "
    "one global order.",
    ["error"],
)
BATCH_PATHS = Counter(
    "motcua_intake_batch_paths_total",
    "Writes (a batch, a group of receipts, a single command) by the path that wrote them: "
    "set-based (a few statements for the whole set) or item by item (a savepoint each, "
    "where the set-based path gave up: an event id twice in the set, a daily sequence "
    "running out, a concurrent write's conflict).",
    ["path"],
)
GROUP_SIZES = Histogram(
    "motcua_intake_group_commit_receipts",
    "Single receipts written by one group commit (one transaction, one fsync).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
