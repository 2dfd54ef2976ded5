"""Dead-letter records: the original message, untouched, plus why it was given up on.

A consumer that cannot process a message (malformed, violates its contract, refused by
the domain) writes it here and moves on, so one poison message never blocks a partition
and never vanishes. Ops read the reason from the headers.

A dead letter is a record *about* a message, not an event: its value is whatever came,
malformed or not, so it never claims to be a CloudEvent. The source's ``content-type``
header (the structured-mode claim of an event the platform produced) moves to
``motcua-dlq-content-type``; the record itself carries none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import Message, Producer

from motcua.kafka._topics import dead_letter_topic
from motcua.metrics import DEAD_LETTERS

MAX_DETAIL = 2000
_SOURCE_CONTENT_TYPE = "motcua-dlq-content-type"

Headers = list[tuple[str, str | bytes | None]]


def _is_content_type(name: str) -> bool:
    return name.lower() == "content-type"


class DeadLetterNotAcknowledged(RuntimeError):
    """Kafka did not acknowledge a dead letter: the source message's offset must not move."""


class SourceMessage(Protocol):
    """What a dead letter reads of its source: a Kafka message, or a Faust event's."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def headers(self) -> Any: ...


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    detail: str

    def headers(self, service: str, source: SourceMessage) -> Headers:
        """Why, and where the message came from, followed by its own headers (its
        ``content-type`` renamed: the value may be anything)."""
        source_headers = source.headers()
        pairs = (
            source_headers.items() if isinstance(source_headers, Mapping) else source_headers or []
        )
        return [
            ("motcua-dlq-service", service.encode()),
            ("motcua-dlq-reason", self.reason.encode()),
            ("motcua-dlq-detail", self.detail[:MAX_DETAIL].encode()),
            ("motcua-dlq-topic", str(source.topic()).encode()),
            ("motcua-dlq-partition", str(source.partition()).encode()),
            ("motcua-dlq-offset", str(source.offset()).encode()),
            *((_SOURCE_CONTENT_TYPE if _is_content_type(n) else n, v) for n, v in pairs),
        ]


def send_to_dead_letter(
    producer: Producer, service: str, source: Message, letter: DeadLetter, *, timeout_s: float = 30
) -> None:
    """Write the dead letter and wait for Kafka's acknowledgement (then the offset may move)."""
    errors: list[str] = []
    producer.produce(
        dead_letter_topic(service).value,
        key=source.key(),
        value=source.value(),
        headers=letter.headers(service, source),
        on_delivery=lambda error, _: errors.append(str(error)) if error else None,
    )
    if producer.flush(timeout_s) > 0 or errors:
        raise DeadLetterNotAcknowledged(f"dead letter not acknowledged: {errors or 'timeout'}")
    DEAD_LETTERS.labels(letter.reason).inc()
