"""The official content of the rating form (Nghị định 61/2018 Điều 31): nine criteria, each
answered on three levels scoring 2 / 1 / 0, and an overall level on the same scale.

The keys are the event contract's (``rating.submitted.v1``'s ``scores``); the Vietnamese
wording lives with every other page text in :mod:`motcua.web.strings`.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


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


class Level(IntEnum):
    """A level and its score: what Thông tư 01/2018 sums and divides."""

    VERY_SATISFIED = 2
    SATISFIED = 1
    DISSATISFIED = 0

    @property
    def key(self) -> str:
        """``very_satisfied``…: the contract's name of the overall level."""
        return self.name.lower()

    @classmethod
    def from_key(cls, key: str) -> Level:
        return cls[key.upper()]


LEVELS: tuple[Level, ...] = (Level.VERY_SATISFIED, Level.SATISFIED, Level.DISSATISFIED)
"""Best first, as the form lists them."""

OPTIONAL: frozenset[Criterion] = frozenset({Criterion.FEEDBACK_HANDLING, Criterion.OTHER})
"""Criteria a citizen may leave blank: not everyone filed feedback or has anything else to say
(the form says "nếu có")."""


def criteria_for(online: bool) -> tuple[Criterion, ...]:
    """The criteria asked of a dossier: criterion 8 (online service) only for an online one."""
    return tuple(c for c in Criterion if online or c is not Criterion.ONLINE_SERVICE)
