"""How a message is tried again: capped exponential backoff with jitter (tenacity), only
for what may pass (:class:`TransientSendError`), up to a number of tries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from motcua.delivery._channels import Channel, SendFailed, TransientSendError
from motcua.delivery._message import Message

AttemptSeen = Callable[[str, str], None]
"""Told ``(channel, result)`` after each try, result ``ok``, ``transient`` or ``permanent``
(a service's attempts counter)."""


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` tries; the n-th wait is ``initial_s * 2**(n-1)`` plus up to
    ``initial_s`` of jitter, never more than ``max_s``."""

    max_attempts: int = 5
    initial_s: float = 2.0
    max_s: float = 60.0

    def retrying(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential_jitter(
                multiplier=self.initial_s, max=self.max_s, jitter=self.initial_s
            ),
            retry=retry_if_exception_type(TransientSendError),
            reraise=True,
            sleep=sleep,
        )


@dataclass(frozen=True)
class Sent:
    """What the tries of one message came to: how many, and the failure that ended them."""

    attempts: int
    failure: SendFailed | None = None


async def send_with_retries(
    channel: Channel,
    message: Message,
    destination: str,
    policy: RetryPolicy,
    seen: AttemptSeen | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Sent:
    """``message`` to ``destination`` on ``channel``, tried again as ``policy`` says."""
    attempts = 0
    try:
        async for attempt in policy.retrying(sleep):
            with attempt:
                attempts += 1
                await _try(channel, message, destination, seen)
    except SendFailed as exc:
        return Sent(attempts, exc)
    return Sent(attempts)


async def _try(
    channel: Channel, message: Message, destination: str, seen: AttemptSeen | None
) -> None:
    def tell(result: str) -> None:
        if seen is not None:
            seen(channel.name, result)

    try:
        await channel.send(message, destination)
    except TransientSendError:
        tell("transient")
        raise
    except SendFailed:
        tell("permanent")
        raise
    tell("ok")
