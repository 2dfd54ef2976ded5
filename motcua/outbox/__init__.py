"""The transactional outbox every service that publishes events shares: a state change and
its event commit in one transaction (:func:`enqueue`), and a relay publishes the committed
rows to Kafka in order, losing none.

Each service keeps the table in its own schema, made by the one copy of its DDL in
``motcua/outbox/migrations`` (``outbox (id, event_id, topic, message_key, payload,
created_at, published_at, created_xid)``), which ``motcua.db`` applies to every service
whose own migrations depend on it. A service's settings extend :class:`OutboxSettings`; its
process adds the relay to its supervised loops with :func:`supervise_relay` (intake's and
ratings' FastAPI lifespans, deadlines' worker) and, for a relay apart,
``python -m services.<service>.relay`` calls :func:`run_relay`. Relays of different schemas
run side by side; a service's standby relays wait for the active one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from motcua.db import recordset
from motcua.outbox._metrics import OUTBOX_LAG, OUTBOX_PUBLISHED, PUBLISH_ERRORS
from motcua.outbox._relay import (
    PUBLISHED_RETENTION,
    RETRY_AFTER_S,
    OutboxRelay,
    advisory_lock_id,
    outbox_schema,
    relay_producer_config,
)
from motcua.outbox._run import relay_from, run_relay, supervise_relay
from motcua.outbox._settings import OutboxSettings


def _dumps(event: Mapping[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def enqueue(event: Mapping[str, Any], *, topic: str, key: str, db_session: Connection) -> str:
    """Stage ``event`` (already made and validated by ``motcua.contracts.new_event``) for
    ``topic`` under ``key``, in the caller's transaction; returns its id."""
    db_session.execute(
        "INSERT INTO outbox (event_id, topic, message_key, payload) VALUES (%s, %s, %s, %s)",
        (event["id"], topic, key, Jsonb(dict(event), dumps=_dumps)),
    )
    return str(event["id"])


def enqueue_many(
    events: Sequence[Mapping[str, Any]], *, topic: str, keys: Sequence[str], db_session: Connection
) -> None:
    """:func:`enqueue` for a batch, in one statement: ``events[i]`` under ``keys[i]``, in
    order (the relay publishes by id, so a dossier's events keep theirs)."""
    if len(events) != len(keys):
        msg = "one key per event"
        raise ValueError(msg)
    if not events:
        return
    rows = recordset(
        {"id": str(event["id"]), "key": key, "payload": event}
        for event, key in zip(events, keys, strict=True)
    )
    db_session.execute(
        "INSERT INTO outbox (event_id, topic, message_key, payload) "
        "SELECT e.id, %s, e.key, e.payload "
        "FROM ROWS FROM (jsonb_to_recordset(%s) AS (id text, key text, payload jsonb)) "
        "WITH ORDINALITY AS e(id, key, payload, n) ORDER BY e.n",
        (topic, rows),
    )


__all__ = [
    "OUTBOX_LAG",
    "OUTBOX_PUBLISHED",
    "PUBLISHED_RETENTION",
    "PUBLISH_ERRORS",
    "RETRY_AFTER_S",
    "OutboxRelay",
    "OutboxSettings",
    "advisory_lock_id",
    "enqueue",
    "enqueue_many",
    "outbox_schema",
    "relay_from",
    "relay_producer_config",
    "run_relay",
    "supervise_relay",
]
