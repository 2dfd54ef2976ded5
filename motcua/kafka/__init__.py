"""Kafka plumbing: the topic list, admin helpers and the idempotent producer."""

from motcua.kafka._admin import (
    KafkaUnavailable,
    check_kafka,
    ensure_internal_topics,
    ensure_topics,
)
from motcua.kafka._dead_letter import DeadLetter, send_to_dead_letter
from motcua.kafka._offsets import next_offsets
from motcua.kafka._topics import TOPICS, Topic, TopicSpec, dead_letter_topic

__all__ = [
    "TOPICS",
    "DeadLetter",
    "KafkaUnavailable",
    "Topic",
    "TopicSpec",
    "check_kafka",
    "dead_letter_topic",
    "ensure_internal_topics",
    "ensure_topics",
    "next_offsets",
    "send_to_dead_letter",
]
