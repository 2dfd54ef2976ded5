"""Dead-letter records: the original message, untouched, plus why it was given up on.

A consumer that cannot process a message (malformed, violates its contract, refused by
the domain) writes it here and moves on, so one poison message never blocks a partition
and never vanishes. Ops read the reason from the headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka import Message, Producer

from motcua.kafka._topics import dead_letter_topic
from motcua.metrics import DEAD_LETTERS

MAX_DETAIL = 2000

Headers = list[tuple[str, str | bytes | None]]
SourceHeaders = Mapping[str, str | bytes | None] | Iterable[tuple[str, str | bytes | None]] | None


class DeadLetterNotAcknowledged(RuntimeError):
    """Kafka did not acknowledge a dead letter: the source message's offset must not move."""


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    detail: str

    def headers(self, service: str, source: Message) -> Headers:
        """Why, and where the message came from, followed by its own headers."""
        return self.headers_of(
            service, str(source.topic()), source.partition(), source.offset(), source.headers()
        )

    def headers_of(
        self,
        service: str,
        topic: str,
        partition: int | None,
        offset: int | None,
        source_headers: SourceHeaders,
    ) -> Headers:
        """:meth:`headers` for a message held by another client than confluent-kafka's
        (a stream processor's event)."""
        return [
            ("motcua-dlq-service", service.encode()),
            ("motcua-dlq-reason", self.reason.encode()),
            ("motcua-dlq-detail", self.detail[:MAX_DETAIL].encode()),
            ("motcua-dlq-topic", topic.encode()),
            ("motcua-dlq-partition", str(partition).encode()),
            ("motcua-dlq-offset", str(offset).encode()),
            *(
                source_headers.items()
                if isinstance(source_headers, Mapping)
                else source_headers or []
            ),
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
