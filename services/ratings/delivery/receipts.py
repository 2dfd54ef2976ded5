"""A provider's receipt of one invitation message, applied to ``invitation_messages`` (the
shared webhook, ``motcua.delivery.receipts_router``, checked its signature): the state the
receipt reports, once, when ``motcua.delivery.judge`` lets it move; with when it happened
and, for a failure, the provider's reason (shown on the staff messages page)."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from motcua.delivery import ApplyReceipt, DeliveryState, Receipt, Verdict, judge

_CURRENT = """
SELECT state FROM invitation_messages WHERE id = %s AND channel = %s FOR UPDATE
"""

_APPLY = """
UPDATE invitation_messages SET
    state = %(state)s,
    reason = CASE WHEN %(state)s = 'delivered' THEN reason ELSE %(reason)s END,
    delivered_at = CASE WHEN %(state)s = 'delivered' THEN %(at)s ELSE delivered_at END,
    failed_at = CASE WHEN %(state)s = 'delivered' THEN failed_at ELSE %(at)s END
WHERE id = %(id)s
"""


def receipt_applier(pool: ConnectionPool) -> ApplyReceipt:
    """``apply(channel, receipt)`` for the webhook: None for a message ratings never sent
    on ``channel``."""

    def apply(channel: str, receipt: Receipt) -> Verdict | None:
        with pool.connection() as conn:
            row = conn.execute(_CURRENT, (receipt.reference, channel)).fetchone()
            if row is None:
                return None
            verdict = judge(DeliveryState(row[0]), receipt.state)
            if verdict is Verdict.APPLIED:
                conn.execute(
                    _APPLY,
                    {
                        "id": receipt.reference,
                        "state": receipt.state.value,
                        "reason": receipt.reason,
                        "at": receipt.occurred_at,
                    },
                )
            return verdict

    return apply
