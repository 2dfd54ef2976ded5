"""Issued letters to Kafka: each version's ``apology issued`` event is sent once its
version has committed, and marked once Kafka acknowledged it; a version a crash left
unmarked is sent again, under the same event id, by :meth:`LetterPublisher.run`."""

from __future__ import annotations

import asyncio
import logging

from confluent_kafka import KafkaException, Producer

from motcua.contracts import encode_event
from motcua.crash_points import crash_point
from motcua.kafka import Topic
from services.deadlines.database import Database
from services.deadlines.letters.service import IssuedVersion, mark_published, unpublished
from services.deadlines.metrics import LETTERS_PUBLISHED

_log = logging.getLogger("motcua.deadlines.letters")


class LetterPublisher:
    def __init__(self, db: Database, producer: Producer, *, republish_after_s: float) -> None:
        self.db = db
        self.producer = producer
        self.republish_after_s = republish_after_s

    def _send(self, key: bytes, value: bytes) -> None:
        """Produce and wait for Kafka's acknowledgement (in a thread)."""
        errors: list[str] = []
        self.producer.produce(
            Topic.APOLOGY_LETTERS.value,
            key=key,
            value=value,
            on_delivery=lambda error, _: errors.append(str(error)) if error else None,
        )
        if self.producer.flush(30) > 0 or errors:
            raise KafkaException(f"letter event not acknowledged: {errors or 'timeout'}")

    async def publish(self, issued: IssuedVersion) -> None:
        """Send the ``apology issued`` event, wait for Kafka's ack, then mark it sent. A
        crash before the mark sends it again (``republish``) under the same event id."""
        crash_point("letter-committed")
        key = issued.event["subject"].encode()
        await asyncio.to_thread(self._send, key, encode_event(issued.event))
        crash_point("letter-sent")
        await self.db.run(mark_published, issued.letter_id, issued.version)
        LETTERS_PUBLISHED.inc()

    async def republish(self) -> None:
        """Letters whose event a crash lost between commit and Kafka's ack."""
        for issued in await self.db.run(unpublished, older_than_s=self.republish_after_s):
            await self.publish(issued)

    async def run(self) -> None:
        """Republish every few seconds for as long as the process lives."""
        while True:
            await asyncio.sleep(min(10.0, self.republish_after_s))
            try:
                await self.republish()
            except Exception:
                _log.exception("republishing letters failed; trying again")
