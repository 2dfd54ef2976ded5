"""Kafka plumbing: the topic list, admin helpers, the idempotent producer and the one
consumer loop."""

from motcua.kafka._admin import (
    KafkaUnavailable,
    check_kafka,
    ensure_internal_topics,
    ensure_topics,
)
from motcua.kafka._client import (
    LIBRDKAFKA_LOGGER,
    client_config,
    consumer_config,
    idempotent_producer_config,
)
from motcua.kafka._consumer import (
    Assigned,
    Commit,
    ConsumerLoop,
    DeadLetters,
    Group,
    Handler,
    from_beginning,
    read_range,
)
from motcua.kafka._dead_letter import DeadLetter, DeadLetterNotAcknowledged, send_to_dead_letter
from motcua.kafka._durability import Durability
from motcua.kafka._offsets import next_offsets
from motcua.kafka._topics import TOPICS, Topic, TopicSpec, dead_letter_topic

__all__ = [
    "LIBRDKAFKA_LOGGER",
    "TOPICS",
    "Assigned",
    "Commit",
    "ConsumerLoop",
    "DeadLetter",
    "DeadLetterNotAcknowledged",
    "DeadLetters",
    "Durability",
    "Group",
    "Handler",
    "KafkaUnavailable",
    "Topic",
    "TopicSpec",
    "check_kafka",
    "client_config",
    "consumer_config",
    "dead_letter_topic",
    "ensure_internal_topics",
    "ensure_topics",
    "from_beginning",
    "idempotent_producer_config",
    "next_offsets",
    "read_range",
    "send_to_dead_letter",
]
