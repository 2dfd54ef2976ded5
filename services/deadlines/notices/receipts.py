"""A provider's receipt applied to a letter's notice: what the shared receipts webhook
calls (``motcua.delivery``), once it has checked the signature and parsed the body.

The notice is locked and the receipt judged (``motcua.delivery.judge``): a repeated one
changes nothing, one contradicting a final state is refused. A permanent failure hands
the letter to the next channel exactly as a failure the sender saw does (``moves``).
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from psycopg import Connection

from motcua.delivery import DeliveryState, Receipt, Verdict, judge
from services.deadlines.notices.moves import fall_back, lock_notice, publish


def _notice_id(reference: str) -> str | None:
    try:
        return str(uuid.UUID(reference))
    except ValueError:
        return None


def apply_receipt(channel: str, receipt: Receipt, *, db_session: Connection) -> Verdict | None:
    """The receipt's verdict, applied in the caller's transaction; None when no notice of
    ``channel`` has that reference (unknown, or another channel's)."""
    notice_id = _notice_id(receipt.reference)
    if notice_id is None:
        return None
    notice = lock_notice(notice_id, channel=channel, db_session=db_session)
    if notice is None:
        return None
    verdict = judge(DeliveryState(notice.state), receipt.state)
    if verdict is not Verdict.APPLIED:
        return verdict
    at = receipt.occurred_at
    if receipt.state is DeliveryState.FAILED_PERMANENT:
        fall_back(notice, receipt.reason or "failed", at, db_session=db_session)
        return verdict
    # A receipt that beats the sender's own record: the provider accepted it by then.
    notice = replace(notice, sent_at=notice.sent_at or at)
    delivered = receipt.state is DeliveryState.DELIVERED
    db_session.execute(
        "UPDATE letter_notices SET state = %s, sent_at = %s, reason = %s, "
        "delivered_at = CASE WHEN %s THEN %s ELSE delivered_at END, "
        "failed_at = CASE WHEN %s THEN failed_at ELSE %s END, "
        "next_attempt_at = NULL, updated_at = now() WHERE id = %s",
        (
            receipt.state.value,
            notice.sent_at,
            None if delivered else receipt.reason,
            delivered,
            at,
            delivered,
            at,
            notice.notice_id,
        ),
    )
    publish(notice, receipt.state, at, reason=receipt.reason, db_session=db_session)
    return verdict
