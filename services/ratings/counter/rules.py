"""The counter's small rules (pure: no I/O): how a phone number is shown before the officer
unmasks it, what a call can end in, and the reference a citizen is given for a rating."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

MASK = "•"


class CallOutcome(StrEnum):
    """How a call to ask for a rating ended: only ``answered`` leads to the form; the others
    are counted apart, never as ratings."""

    ANSWERED = "answered"
    UNREACHABLE = "unreachable"
    """No answer, switched off, wrong number: không liên lạc được."""
    DECLINED = "declined"
    """The citizen answered and refused to rate: từ chối đánh giá."""


NOT_RATED = (CallOutcome.UNREACHABLE, CallOutcome.DECLINED)
"""The outcomes an officer records without a form."""


def mask_phone(number: str) -> str:
    """The number with all but its first two and last two digits hidden
    (``0912345678`` → ``09••••••78``): enough to tell numbers apart, not to dial."""
    digits = [ch for ch in number if ch.isdigit() or ch == "+"]
    if len(digits) <= 4:
        return MASK * len(digits)
    return "".join(digits[:2]) + MASK * (len(digits) - 4) + "".join(digits[-2:])


def rating_reference(rating_id: UUID) -> str:
    """The reference a citizen may quote about their rating: ``ĐG-`` and the first eight
    hexadecimal digits of its id, in capitals (one in four billion to collide)."""
    return f"ĐG-{rating_id.hex[:8].upper()}"
