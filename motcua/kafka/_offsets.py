"""Where a consumer resumes after a batch: the next offset of each partition it touched."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Message, TopicPartition


def next_offsets(batch: Sequence[Message]) -> list[TopicPartition]:
    """The offset to resume from on each partition the batch touched."""
    highest: dict[tuple[str, int], int] = {}
    for message in batch:
        key = (str(message.topic()), int(message.partition() or 0))
        highest[key] = max(highest.get(key, -1), int(message.offset() or 0))
    return [TopicPartition(topic, p, offset + 1) for (topic, p), offset in highest.items()]
