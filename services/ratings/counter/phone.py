"""Phone entry's own steps besides the form: the citizen's number to call, masked until the
officer asks to see it (each unmasking recorded: who, when), and a call's outcome when it
ends without a rating (unreachable, declined), counted apart from the ratings.

The number is asked from intake at render (``counter/intake.py``) and never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from anyio import from_thread

from motcua.delivery import IntakeUnavailable
from services.ratings.counter.intake import CounterIntake
from services.ratings.counter.rules import mask_phone


@dataclass(frozen=True)
class PhoneView:
    """What the phone entry page shows of the number: masked, unmasked, or why neither."""

    number: str | None
    revealed: bool = False
    problem: str = ""
    """A text key when there is no number to show (``phone_none``, ``phone_unavailable``)."""


def phone_view(intake: CounterIntake, code: str, *, revealed: bool) -> PhoneView:
    """The number of the dossier's applicant, asked from intake now; called from a page's
    worker thread, so the request's event loop does the asking."""
    try:
        number = from_thread.run(intake.phone, code)
    except IntakeUnavailable:
        return PhoneView(None, problem="phone_unavailable")
    if not number:
        return PhoneView(None, problem="phone_none")
    return PhoneView(number if revealed else mask_phone(number), revealed=revealed)
