"""The recording channel answering like a provider: after recording a message it posts a
signed receipt to the service's own webhook (``DELIVERY_CALLBACK_BASE_URL``), so the local
stack and the tests go through the same door as a real SMS gateway, Zalo OA or bounce
processor. Told by ``RECORDING_RECEIPTS``: ``delivered``, ``failed``, or ``demo`` (most
delivered, about one in ten failed for good, the same ones every time).

The answer goes out in the background a moment after the message, never holding up the
sender's round, and is tried again a few times while the service's web is not up yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from motcua.delivery._receipts import SIGNATURE_HEADER, sign

RecordingReceiptsMode = Literal["none", "delivered", "failed", "demo"]

_log = logging.getLogger("motcua.delivery.recording")

TOLD_TO_FAIL = "recording channel: told to fail"
DEMO_FAILURES = {
    "sms": "recording channel (demo): subscriber unknown",
    "zalo": "recording channel (demo): the number has no Zalo account",
    "email": "recording channel (demo): 550 5.1.1 mailbox unavailable",
}
"""What a provider says of a message that will never arrive, one per channel."""


def demo_fails(reference: str) -> bool:
    """About one message in ten, always the same ones (a hash of the reference)."""
    return int.from_bytes(hashlib.sha256(reference.encode()).digest()[:8], "big") % 10 == 0


def receipt_body(
    mode: RecordingReceiptsMode, channel: str, reference: str, at: datetime
) -> dict[str, object] | None:
    """The receipt a provider told ``mode`` would post for ``reference``; None for none."""
    if mode == "none":
        return None
    if mode == "failed":
        reason: str | None = TOLD_TO_FAIL
    elif mode == "demo" and demo_fails(reference):
        reason = DEMO_FAILURES[channel]
    else:
        reason = None
    return {
        "reference": reference,
        "status": "delivered" if reason is None else "failed",
        "permanent": reason is not None,
        "reason": reason,
        "occurred_at": at.isoformat(),
    }


class _NotYet(Exception):
    """The webhook could not take it now (not up yet, 5xx): worth trying again."""


@dataclass(frozen=True)
class RecordingAnswers:
    """How the recording channel ``channel`` answers: where, with what secret."""

    mode: RecordingReceiptsMode
    callback_url: str
    secret: str
    delay_s: float = 1.0
    tries: int = 5
    retry_wait_s: float = 2.0


class Answerer:
    """Posts the receipts of one recording channel, each in a task of its own."""

    def __init__(self, channel: str, answers: RecordingAnswers) -> None:
        self.channel = channel
        self.answers = answers
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def answer(self, reference: str) -> None:
        """Schedule the receipt of ``reference`` (in the running event loop)."""
        if self.answers.mode == "none":
            return
        task = asyncio.get_running_loop().create_task(self._post_later(reference))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post_later(self, reference: str) -> None:
        await asyncio.sleep(self.answers.delay_s)
        body = receipt_body(self.answers.mode, self.channel, reference, datetime.now(UTC))
        raw = json.dumps(body).encode()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.answers.tries),
            wait=wait_fixed(self.answers.retry_wait_s),
            retry=retry_if_exception_type(_NotYet),
            reraise=True,
        )
        extra = {"channel": self.channel, "reference": reference}
        try:
            async for attempt in retrying:
                with attempt:
                    status = await self._post(raw)
        except _NotYet as exc:
            _log.warning("receipt not taken: %s", exc, extra=extra)
            return
        if status >= 300:
            _log.warning("receipt refused (%s)", status, extra=extra)

    async def _post(self, raw: bytes) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.answers.secret, raw, int(datetime.now(UTC).timestamp())),
        }
        try:
            async with self._session.post(
                self.answers.callback_url, data=raw, headers=headers
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _NotYet(f"webhook unreachable: {type(exc).__name__}") from None
        if status >= 500:
            raise _NotYet(f"webhook answered {status}")
        return status

    async def close(self) -> None:
        """Receipts still waiting are dropped (a demo's; the message stays sent)."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None
