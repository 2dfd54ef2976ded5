"""A batch staged with ``enqueue_many`` is what the same events staged one by one would be,
in the batch's order (the relay publishes by id)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from motcua.outbox import enqueue, enqueue_many
from tests.conftest import Database


def _event(n: int) -> dict[str, Any]:
    dossier = str(uuid.uuid4())
    return {"id": str(uuid.uuid4()), "subject": dossier, "data": {"n": n, "tên": "Hồ sơ"}}


def _rows(conn: psycopg.Connection, ids: list[str]) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT event_id, topic, message_key, payload FROM outbox "
        "WHERE event_id = ANY(%s) ORDER BY id",
        (ids,),
    ).fetchall()


def test_a_batch_is_staged_in_its_order_as_single_events_would_be(database: Database) -> None:
    topic = f"test.enqueue.{uuid.uuid4().hex[:8]}"
    batch = [_event(n) for n in range(50)]
    batch.reverse()  # ids are not in any sorted order of their own
    singles = [_event(n) for n in range(3)]
    with psycopg.connect(database.service_urls["ratings"]) as conn:
        enqueue_many(batch, topic=topic, keys=[e["subject"] for e in batch], db_session=conn)
        for event in singles:
            enqueue(event, topic=topic, key=event["subject"], db_session=conn)
        rows = _rows(conn, [e["id"] for e in batch])
        single_rows = _rows(conn, [e["id"] for e in singles])
        conn.rollback()  # read inside the transaction: no relay ever sees these rows
    assert rows == [(e["id"], topic, e["subject"], e) for e in batch]
    assert single_rows == [(e["id"], topic, e["subject"], e) for e in singles]


def test_a_batch_needs_one_key_per_event_and_may_be_empty(database: Database) -> None:
    topic = f"test.enqueue.{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database.service_urls["ratings"]) as conn:
        with pytest.raises(ValueError, match="one key per event"):
            enqueue_many([_event(1), _event(2)], topic=topic, keys=["k"], db_session=conn)
        enqueue_many([], topic=topic, keys=[], db_session=conn)
        staged = conn.execute("SELECT count(*) FROM outbox WHERE topic = %s", (topic,))
        assert staged.fetchone() == (0,)
        conn.rollback()
