"""Whether a late dossier's apology letter reached the citizen, as the board shows it. Pure.

The board reads, for each row's latest issued letter, the latest notice of its latest
version (and the notice it follows, when a permanent failure moved it to the next
channel) and the first moment any notice of the letter reached the citizen (delivered,
or posted with the day's print batch). A letter that had not reached the citizen by its
apology deadline (Nghị định 61/2018, Điều 19 khoản 9) is flagged, in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from motcua.web.strings import CHANNEL_LABELS, DELIVERY_TEXTS, local_time, short_time


@dataclass(frozen=True)
class LetterDelivery:
    """The latest notice of a letter's latest version, as the board reads it."""

    letter_number: str
    apology_deadline: datetime | None
    reached_at: datetime | None
    """When a notice of the letter (any version) was first delivered or posted."""
    channel: str | None = None
    state: str | None = None
    """None when no notice exists yet."""
    reason: str | None = None
    at: datetime | None = None
    """When the notice took its state: delivered, sent (or posted) or failed."""
    in_batch: bool = False
    failed_channel: str | None = None
    """The channel of the notice this one follows (its permanent failure moved it here)."""
    failed_reason: str | None = None


@dataclass(frozen=True)
class DeliveryView:
    lines: tuple[str, ...]
    flag: str | None
    """The warning shown when the letter had not reached the citizen by its deadline."""

    @property
    def flagged(self) -> bool:
        return self.flag is not None


def is_flagged(delivery: LetterDelivery, now: datetime) -> bool:
    """Not delivered (or posted) by the apology deadline: the same rule as the board's SQL
    (``apology_deadline < coalesce(reached_at, now())``)."""
    deadline = delivery.apology_deadline
    return deadline is not None and deadline < (delivery.reached_at or now)


def _channel(code: str | None) -> str:
    return CHANNEL_LABELS.get(code or "", code or "")


def _state_line(delivery: LetterDelivery) -> str:
    state, channel = delivery.state, _channel(delivery.channel)
    at = short_time(delivery.at) if delivery.at else ""
    reason = delivery.reason or DELIVERY_TEXTS["no_reason"]
    match state:
        case None:
            return DELIVERY_TEXTS["none"]
        case "queued" if delivery.channel == "post":
            return DELIVERY_TEXTS["post_printing" if delivery.in_batch else "post_waiting"]
        case "queued" if delivery.channel:
            return DELIVERY_TEXTS["queued_on"].format(channel=channel)
        case "queued":
            return DELIVERY_TEXTS["queued"]
        case "posted":
            return DELIVERY_TEXTS["posted"].format(at=at)
        case "delivered" | "sent" | "failed_temporary" | "failed_permanent":
            return DELIVERY_TEXTS[state].format(channel=channel, at=at, reason=reason)
        case _:
            return state


def describe(delivery: LetterDelivery, now: datetime) -> DeliveryView:
    """The words of the board's delivery cell: a failure that moved the notice to the next
    channel first, then where the latest notice stands, then the flag if any."""
    lines = []
    if delivery.failed_channel:
        lines.append(
            DELIVERY_TEXTS["moved_on"].format(
                channel=_channel(delivery.failed_channel),
                reason=delivery.failed_reason or DELIVERY_TEXTS["no_reason"],
                next=_channel(delivery.channel),
            )
        )
    lines.append(_state_line(delivery))
    flag = None
    if is_flagged(delivery, now):
        assert delivery.apology_deadline is not None
        key = "flag_late" if delivery.reached_at else "flag_missing"
        flag = DELIVERY_TEXTS[key].format(deadline=local_time(delivery.apology_deadline))
    return DeliveryView(tuple(lines), flag)
