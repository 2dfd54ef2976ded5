"""The rating form's nine criteria (Nghị định 61/2018 Điều 31, docs/domain.md), defined once.

Their values are the keys of ``rating.submitted``'s ``scores`` (schemas/events/), in the
law's order: ratings asks them, reporting counts them by number, the page texts label
them and the demo answers them, all from this one list.
"""

from __future__ import annotations

from enum import StrEnum


class Criterion(StrEnum):
    """The nine criteria, in the Decree's order."""

    PROCESSING_TIME = "processing_time"
    AGENCIES_CONTACTED = "agencies_contacted"
    VISITS = "visits"
    PROCEDURE_INFORMATION = "procedure_information"
    STAFF_CONDUCT = "staff_conduct"
    LAWFUL_COST = "lawful_cost"
    FEEDBACK_HANDLING = "feedback_handling"
    ONLINE_SERVICE = "online_service"
    OTHER = "other"

    @property
    def number(self) -> int:
        """1–9 as printed on the paper form."""
        return list(Criterion).index(self) + 1
