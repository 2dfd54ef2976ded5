"""Retries: only what may pass is tried again, up to the policy's tries, each wait doubling
with jitter under a cap."""

from __future__ import annotations

import asyncio

from motcua.delivery import (
    Message,
    PermanentSendError,
    RetryPolicy,
    SendFailed,
    Sent,
    TransientSendError,
    send_with_retries,
)

MESSAGE = Message("m-1", "000.00.12.H26-250610-0007", "sms", "invite", "l", None, "text")


class Scripted:
    """A channel that fails as told, in order, then sends."""

    name = "sms"

    def __init__(self, *failures: SendFailed) -> None:
        self.failures = list(failures)
        self.sent: list[str] = []

    async def send(self, message: Message, destination: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(destination)

    async def close(self) -> None:
        return None


def _send(
    channel: Scripted, policy: RetryPolicy
) -> tuple[Sent, list[float], list[tuple[str, str]]]:
    waits: list[float] = []
    seen: list[tuple[str, str]] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    sent = asyncio.run(
        send_with_retries(
            channel,
            MESSAGE,
            "0912345678",
            policy,
            lambda name, result: seen.append((name, result)),
            sleep=sleep,
        )
    )
    return sent, waits, seen


def test_transient_failures_are_tried_again_with_doubling_waits_and_jitter() -> None:
    channel = Scripted(*(TransientSendError("gateway answered 503") for _ in range(3)))
    sent, waits, seen = _send(channel, RetryPolicy(max_attempts=5, initial_s=2.0, max_s=60.0))
    assert sent == Sent(4)
    assert channel.sent == ["0912345678"]
    assert len(waits) == 3
    for n, wait in enumerate(waits):
        assert 2.0 * 2**n <= wait <= 2.0 * 2**n + 2.0
    assert seen == [("sms", "transient")] * 3 + [("sms", "ok")]


def test_no_wait_is_longer_than_the_cap() -> None:
    channel = Scripted(*(TransientSendError("timeout") for _ in range(6)))
    _, waits, _ = _send(channel, RetryPolicy(max_attempts=7, initial_s=2.0, max_s=10.0))
    assert len(waits) == 6
    assert waits[0] < 10.0
    assert waits[3:] == [10.0, 10.0, 10.0]


def test_the_tries_stop_at_the_policy_with_the_last_failure() -> None:
    channel = Scripted(TransientSendError("first"), TransientSendError("last"))
    sent, waits, _ = _send(channel, RetryPolicy(max_attempts=2, initial_s=1.0, max_s=5.0))
    assert sent.attempts == 2
    assert isinstance(sent.failure, TransientSendError)
    assert sent.failure.reason == "last"
    assert channel.sent == []
    assert len(waits) == 1


def test_a_permanent_failure_is_not_tried_again() -> None:
    channel = Scripted(PermanentSendError("refused (400)"))
    sent, waits, seen = _send(channel, RetryPolicy(max_attempts=5))
    assert sent.attempts == 1
    assert isinstance(sent.failure, PermanentSendError)
    assert waits == []
    assert seen == [("sms", "permanent")]
