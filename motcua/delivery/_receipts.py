"""Receipts: what a provider reports back about one message, and whether it changes the
message's state. Pure.

Every service's messages move through the same states. A provider's callback (the SMS
gateway's, Zalo OA's, the mail relay's bounce processor) names a message by the
``reference`` it was given at send time and says ``delivered`` or ``failed``; a receipt
is applied once, a repeated one changes nothing, and one that contradicts a final state
(a ``delivered`` after a permanent failure, say) is refused as out of order. Callbacks are
signed with a shared secret per channel (:func:`sign`, :func:`verify`): HMAC-SHA256 over
the timestamp and the raw body, the scheme the webhook docs give providers.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

SIGNATURE_HEADER = "X-Motcua-Signature"
SIGNATURE_TOLERANCE_S = 300
"""How old a signed callback may be; a replay within it is harmless (receipts are
idempotent), an older one is refused."""


class DeliveryState(StrEnum):
    """Where one message stands, the same words in every service's table and event."""

    QUEUED = "queued"
    """Waiting for its channel (or for the print batch, by post)."""
    SENT = "sent"
    """Handed to the provider, who accepted it; no receipt yet."""
    DELIVERED = "delivered"
    """The provider reported it reached the citizen."""
    FAILED_TEMPORARY = "failed_temporary"
    """The provider reported a failure it may still overcome (phone off, mailbox full)."""
    FAILED_PERMANENT = "failed_permanent"
    """It will never arrive this way (no such number, address bounced): the next channel."""
    POSTED = "posted"
    """A printed letter the unit marked posted."""


FINAL_STATES = frozenset(
    {DeliveryState.DELIVERED, DeliveryState.FAILED_PERMANENT, DeliveryState.POSTED}
)
RECEIPT_STATES = frozenset(
    {DeliveryState.DELIVERED, DeliveryState.FAILED_TEMPORARY, DeliveryState.FAILED_PERMANENT}
)
"""What a provider's receipt may report."""


class Verdict(StrEnum):
    APPLIED = "applied"
    REPEATED = "repeated"
    """The message is already in that state: nothing changes (a provider's retry)."""
    OUT_OF_ORDER = "out_of_order"
    """The message's state is final and says otherwise: refused, nothing changes."""


@dataclass(frozen=True)
class Receipt:
    """One provider callback, as the webhook parsed it (no contact in it)."""

    reference: str
    state: DeliveryState
    reason: str | None
    occurred_at: datetime

    def __post_init__(self) -> None:
        if self.state not in RECEIPT_STATES:
            raise ValueError(f"a receipt cannot report {self.state}")


def judge(current: DeliveryState, reported: DeliveryState) -> Verdict:
    """Whether a receipt reporting ``reported`` moves a message now in ``current``.

    A receipt may beat the sender's own record of ``sent`` (the provider answers fast), so
    a queued message takes it too; the sender must then leave the state as the receipt
    set it. A temporary failure may still end delivered or failed for good.
    """
    if reported not in RECEIPT_STATES:
        raise ValueError(f"a receipt cannot report {reported}")
    if current == reported:
        return Verdict.REPEATED
    if current in FINAL_STATES:
        return Verdict.OUT_OF_ORDER
    return Verdict.APPLIED


def sign(secret: str, body: bytes, at: int) -> str:
    """The signature header's value for ``body`` sent at Unix time ``at``."""
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def verify(secret: str, header: str | None, body: bytes, now: int) -> bool:
    """Whether ``header`` signs ``body`` with ``secret``, no more than the tolerance ago
    (or ahead: clocks drift). Compared in constant time."""
    if not secret or not header:
        return False
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        at = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - at) > SIGNATURE_TOLERANCE_S:
        return False
    expected, given = sign(secret, body, at), f"t={at},v1={parts.get('v1', '')}"
    return hmac.compare_digest(expected.encode(), given.encode())  # any text, not only ASCII
