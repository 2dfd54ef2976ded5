"""A Faust worker's consumer acknowledges only the events its streams took in: an event
dropped unread in a rebalance must stay uncommitted, to be read again after the seek."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import faust
from faust.types import TP, Message

from motcua.streaming import StreamSettings, create_faust_app
from motcua.streaming._consumer import RebalanceSafeConsumer


def _app(tmp_path: Path) -> tuple[faust.App, Any]:
    settings = StreamSettings(
        kafka_bootstrap_servers="127.0.0.1:9", data_dir=tmp_path, table_store="memory"
    )
    app = create_faust_app("motcua-test-acks", settings)
    app.topics.add(app.topic("motcua.test-acks", value_serializer="raw"))  # as an agent does
    conductor: Any = app.topics
    asyncio.run(conductor._update_indices())  # as the worker does once subscribed
    consumer = app.consumer
    return app, consumer


def _message(offset: int, *, tracked: bool) -> Message:
    message = Message(
        "motcua.test-acks",
        0,
        offset,
        timestamp=0.0,
        timestamp_type=0,
        headers=[],
        key=b"k",
        value=b"v",
        checksum=None,
        tp=TP("motcua.test-acks", 0),
    )
    message.tracked = tracked
    return message


def test_the_workers_consumer_is_the_rebalance_safe_one(tmp_path: Path) -> None:
    _, consumer = _app(tmp_path)
    assert isinstance(consumer, RebalanceSafeConsumer)


def test_an_event_dropped_unread_is_not_acknowledged_one_taken_in_is(tmp_path: Path) -> None:
    _, consumer = _app(tmp_path)
    tp = TP("motcua.test-acks", 0)
    assert consumer.ack(_message(7, tracked=False)) is False
    assert 7 not in consumer._acked[tp]
    assert consumer.ack(_message(8, tracked=True)) is True
    assert list(consumer._acked[tp]) == [8]
