"""Dead letters of the deadlines worker's agents: the shared record
(:class:`motcua.kafka.DeadLetter`: the reason, and the source message's own headers) for
a Faust event."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from motcua.kafka import DeadLetter
from motcua.metrics import DEAD_LETTERS

SERVICE = "deadlines"
_log = logging.getLogger("motcua.deadlines")

Send = Callable[..., Awaitable[Any]]
"""The dead-letter topic's ``send`` (key, value, headers)."""


@dataclass(frozen=True)
class FaustSource:
    """A Faust message seen the way the shared record reads a Kafka message."""

    message: Any

    def topic(self) -> str:
        return str(self.message.topic)

    def partition(self) -> int:
        return int(self.message.partition)

    def offset(self) -> int:
        return int(self.message.offset)

    def headers(self) -> Any:
        """As Faust gives them, a list of pairs or a mapping: the shared record takes both."""
        return self.message.headers


async def dead_letter(send: Send, event: Any, reason: str, detail: str) -> None:
    """The event as it came, on deadlines' dead-letter topic, with why it was given up."""
    headers = DeadLetter(reason, detail).headers(SERVICE, FaustSource(event.message))
    await send(key=event.key, value=event.value, headers=headers)
    DEAD_LETTERS.labels(reason).inc()
    _log.warning("event dead-lettered", extra={"reason": reason})
