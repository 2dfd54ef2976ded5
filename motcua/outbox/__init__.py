"""The transactional outbox every service that publishes events shares: a state change and
its event commit in one transaction (:func:`enqueue`), and a relay publishes the committed
rows to Kafka in order, losing none.

Each service keeps the table in its own schema (the same DDL in its migrations:
``outbox (id, event_id, topic, message_key, payload, created_at, published_at,
created_xid)``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb


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


__all__ = ["enqueue"]
